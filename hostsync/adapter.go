package hostsync

import (
	"log/slog"
	"time"

	"github.com/iamkit/iamkit"
)

// Settings is what a list of Options resolves to: the view of them that
// hostsync's adapter packages (hostsync/iamsource, hostsync/s3snapshot)
// read. Each field is the value of the option of the same name; zero when
// the option is not given.
type Settings struct {
	Logger              *slog.Logger     // WithLogger
	Clock               iamkit.Clock     // WithClock
	MaxAge              time.Duration    // WithMaxAge
	KMSKeyID            string           // WithKMSKey
	ExpectedBucketOwner string           // WithExpectedBucketOwner
	RefreshAfter        time.Duration    // WithRefreshAfter
	Confirmer           AbsenceConfirmer // WithAbsenceConfirmer
	Account             string           // WithAccount
	CacheFile           string           // WithCacheFile
	Workers             int              // WithWorkers
	PageSize            int32            // WithPageSize
	KeyBodyCache        KeyBodyCache     // WithKeyBodyCache
}

// ResolveOptions applies opts (nil ones are skipped) and returns the
// Settings the adapter packages read.
func ResolveOptions(opts ...Option) Settings {
	s := newSettings(opts)
	return Settings{
		Logger: s.logger, Clock: s.clock, MaxAge: s.maxAge, KMSKeyID: s.kmsKeyID,
		ExpectedBucketOwner: s.expectedBucketOwner, RefreshAfter: s.refreshAfter,
		Confirmer: s.confirmer, Account: s.account, CacheFile: s.cacheFile,
		Workers: s.workers, PageSize: s.pageSize, KeyBodyCache: s.keyBodyCache,
	}
}

// Log returns the logger, or one that discards when none is set.
func (s Settings) Log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// WithDefaults returns c with DefaultConfig's values in the fields c leaves
// empty, as Plan and the sources read it.
func (c Config) WithDefaults() Config { return c.withDefaults() }

// CanonicalKeys returns the Active, valid keys of ks in canonical form,
// sorted by ID, without duplicate IDs or duplicate key material, and a
// reason for each key it dropped.
func CanonicalKeys(ks []Key) ([]Key, []string) { return canonicalKeys(ks) }
