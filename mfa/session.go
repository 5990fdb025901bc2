package mfa

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/internal/awsname"
	"github.com/iamkit/iamkit/internal/errwrap"

	"github.com/iamkit/iamkit/mfa/credfile"
)

// STSAPI is the two STS methods Session calls. *sts.Client satisfies it, and
// so does the fake account's STS.
type STSAPI interface {
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ STSAPI = (*sts.Client)(nil)

// STSFactory builds the STS client Session calls, signed with creds — the
// long-term keys read from the credentials file — in region (empty: the
// caller's default region).
type STSFactory func(creds aws.Credentials, region string) STSAPI

// NewSTSFactory returns an STSFactory that builds clients from cfg (as
// loaded by config.LoadDefaultConfig: retryer, endpoints, AWS_ENDPOINT_URL
// and the rest) with creds as static credentials. The region is the one
// asked for, else cfg's, else us-east-1; STS answers on the regional
// endpoint of that region.
func NewSTSFactory(cfg aws.Config) STSFactory {
	return func(creds aws.Credentials, region string) STSAPI {
		return sts.NewFromConfig(cfg, func(o *sts.Options) {
			o.Credentials = credentials.StaticCredentialsProvider{Value: creds}
			switch {
			case region != "":
				o.Region = region
			case o.Region == "":
				o.Region = "us-east-1"
			}
		})
	}
}

// Session defaults and STS limits.
const (
	// DefaultLongTermSuffix names the long-term section: profile "dev" keeps
	// its keys in [dev-long-term].
	DefaultLongTermSuffix = "long-term"
	// SuffixNone as a suffix means the bare profile name.
	SuffixNone = "none"

	DefaultSessionDuration = 12 * time.Hour   // GetSessionToken
	DefaultRoleDuration    = time.Hour        // AssumeRole
	MinSessionDuration     = 15 * time.Minute // both
	MaxSessionDuration     = 36 * time.Hour   // GetSessionToken for an IAM user
	MaxRoleDuration        = 12 * time.Hour   // AssumeRole; the role's own maximum may be lower

	// DefaultRefreshMargin: a short-term section that expires sooner than
	// this is refreshed.
	DefaultRefreshMargin = 5 * time.Minute

	// ExpirationLayout is how aws-mfa writes "expiration" (UTC).
	ExpirationLayout = "2006-01-02 15:04:05"
)

// Environment variables Session reads, the same as aws-mfa.
const (
	EnvProfile    = "AWS_PROFILE"
	EnvDevice     = "MFA_DEVICE"
	EnvDuration   = "MFA_STS_DURATION"
	EnvAssumeRole = "MFA_ASSUME_ROLE"
)

// Keys of the credentials and config files.
const (
	keyAccessKeyID     = "aws_access_key_id"
	keySecretKey       = "aws_secret_access_key"
	keySessionToken    = "aws_session_token"
	keySecurityToken   = "aws_security_token"
	keyExpiration      = "expiration"
	keyAssumedRole     = "assumed_role"
	keyAssumedRoleARN  = "assumed_role_arn"
	keyMFADevice       = "aws_mfa_device" // aws-mfa, long-term section
	keyAssumeRole      = "assume_role"    // aws-mfa, long-term section
	keyMFASeed         = "aws_mfa_seed"   // iamkit, long-term section, opt-in
	keyMFASerial       = "mfa_serial"     // AWS CLI config
	keyRoleARN         = "role_arn"       // AWS CLI config
	keyDurationSeconds = "duration_seconds"
	keyRegion          = "region"
	keyMFAProcess      = "mfa_process"
)

// Errors Session returns (wrapped, with the profile and the reason). Test
// with errors.Is. In every case the credentials file is left untouched.
var (
	// ErrNoLongTerm: the long-term section, or one of its two keys, is missing.
	ErrNoLongTerm = errors.New("long-term credentials missing")
	// ErrNoDevice: no MFA device serial number from the options, MFA_DEVICE,
	// aws_mfa_device, or mfa_serial; or it is not a valid serial number.
	ErrNoDevice = errors.New("no valid MFA device")
	// ErrInvalidDuration: the duration is not whole seconds within the STS
	// limits of the call that would be made.
	ErrInvalidDuration = errors.New("invalid session duration")
	// ErrInvalidRole: the role ARN or the role session name is malformed.
	ErrInvalidRole = errors.New("invalid role")
	// ErrInvalidProfile: a profile or suffix gives an unusable section name,
	// or the long-term and short-term sections are the same.
	ErrInvalidProfile = errors.New("invalid profile")
	// ErrNoTokenSource: credentials must be refreshed and there is no way to
	// get a code.
	ErrNoTokenSource = errors.New("no MFA code source")
)

// RefreshReason says why Session refreshes the short-term section, or that it
// does not (ReasonValid).
type RefreshReason string

// Refresh reasons.
const (
	ReasonValid         RefreshReason = "valid"          // still valid beyond the margin: no call
	ReasonMissing       RefreshReason = "missing"        // no short-term section
	ReasonIncomplete    RefreshReason = "incomplete"     // a key is missing from it
	ReasonForced        RefreshReason = "forced"         // Force was set
	ReasonRoleChanged   RefreshReason = "role-changed"   // a different role, or role vs no role
	ReasonExpired       RefreshReason = "expired"        // expiration has passed
	ReasonExpiring      RefreshReason = "expiring"       // expires within the refresh margin
	ReasonBadExpiration RefreshReason = "bad-expiration" // expiration unreadable
)

// SessionRequest is what Session is asked for: the fields that mirror
// aws-mfa's flags, plus the files' locations. The zero value (with WithSTS
// and a code source) behaves like aws-mfa run without flags. Each field that
// mirrors an aws-mfa flag takes precedence over its environment variable,
// which takes precedence over the files. Dependencies and tuning (clock,
// logger, environment, STS factory, prompt, refresh margin, stored seeds)
// are Options.
type SessionRequest struct {
	// Profile is the profile to obtain credentials for (--profile); default
	// $AWS_PROFILE, else "default".
	Profile string
	// LongTermSuffix (--long-term-suffix): the long-term section is
	// PROFILE-SUFFIX; default "long-term"; "none" means PROFILE.
	LongTermSuffix string
	// ShortTermSuffix (--short-term-suffix): the short-term section is
	// PROFILE-SUFFIX; default (or "none") PROFILE.
	ShortTermSuffix string
	// Device is the MFA device's serial number (--device); else $MFA_DEVICE,
	// aws_mfa_device or mfa_serial in the long-term section, mfa_serial in
	// the config file's [profile PROFILE] (or [profile LONG-TERM]).
	Device string
	// AssumeRole is a role ARN to assume (--assume-role); else
	// $MFA_ASSUME_ROLE, assume_role in the long-term section, role_arn in the
	// config file. Without a role, GetSessionToken is called.
	AssumeRole string
	// RoleSessionName (--role-session-name); default the login name ($LOGNAME,
	// $USER, $LNAME, $USERNAME, then the passwd entry, as aws-mfa), else
	// "iamkit".
	RoleSessionName string
	// Duration (--duration); else $MFA_STS_DURATION (seconds), then, for a
	// role only, duration_seconds from the config file; default 12 h for a
	// session token, 1 h for a role. Checked against STS's limits (15 min to
	// 36 h, 12 h for a role) before any call.
	Duration time.Duration
	// Force refreshes even if the short-term section is still valid (--force).
	Force bool
	// Region for STS (--region); default region from the config file's
	// profile, else the STSFactory's default.
	Region string
	// Token is the code source to use (--token: StaticToken). When nil, a
	// stored seed (WithStoredSeed) is used, else an mfa_process command from
	// the long-term section or the config file, else WithPrompt's.
	Token TokenSource
	// CredentialsPath and ConfigPath override the files' locations (default
	// as the AWS CLI: $AWS_SHARED_CREDENTIALS_FILE, $AWS_CONFIG_FILE,
	// ~/.aws/...).
	CredentialsPath, ConfigPath string
	// StatePath is the file remembering the last TOTP step used per device;
	// default the credentials file's path + ".mfa-state".
	StatePath string
}

// SessionPlan is what Session decided before calling anything: the sections,
// the device, the call and its duration, and whether a refresh is due. It
// holds no secret; String renders it for a dry run.
type SessionPlan struct {
	Profile         string // short-term section written
	LongTermProfile string // long-term section read
	CredentialsPath string
	ConfigPath      string // "" when unknown
	StatePath       string

	Device          string
	RoleARN         string // "" for GetSessionToken
	RoleSessionName string // "" for GetSessionToken
	Duration        time.Duration
	Region          string // "" for the STSFactory's default

	Refresh    bool
	Reason     RefreshReason
	Expiration time.Time // of the current short-term section; zero if none or unreadable

	longTerm aws.Credentials
	current  Credentials // when !Refresh
	seed     string      // aws_mfa_seed, when allowed
	process  string      // mfa_process
}

// Operation returns the STS operation the plan calls: "AssumeRole" or
// "GetSessionToken".
func (p *SessionPlan) Operation() string {
	if p.RoleARN != "" {
		return "AssumeRole"
	}
	return "GetSessionToken"
}

// String describes the plan in one line.
func (p *SessionPlan) String() string {
	if !p.Refresh {
		return fmt.Sprintf("[%s] is valid until %s: nothing to do", p.Profile, p.Expiration.UTC().Format(time.RFC3339))
	}
	what := fmt.Sprintf("GetSessionToken for %s", p.Duration)
	if p.RoleARN != "" {
		what = fmt.Sprintf("AssumeRole %s as %s for %s", p.RoleARN, p.RoleSessionName, p.Duration)
	}
	return fmt.Sprintf("[%s] %s: %s with the keys of [%s] and MFA device %s, then rewrite [%s] in %s",
		p.Profile, p.Reason, what, p.LongTermProfile, p.Device, p.Profile, p.CredentialsPath)
}

// SessionResult is what Session did.
type SessionResult struct {
	Plan SessionPlan
	// Credentials are the short-term credentials now in the short-term
	// section: new ones, or the still valid ones when Refreshed is false.
	Credentials Credentials
	// Refreshed is true when STS was called and the section rewritten.
	Refreshed bool
	// Waited is how long Session waited for a fresh TOTP step so as not to
	// send a code twice.
	Waited time.Duration
}

// sessionEnv holds the resolved injected dependencies.
type sessionEnv struct {
	getenv  func(string) string
	clk     iamkit.Clock
	log     *slog.Logger
	account func() string // the passwd name of the current user, "" if none
}

func (o *settings) sessionEnv() sessionEnv {
	e := sessionEnv{getenv: o.getenv, clk: o.clock, log: o.logger, account: o.currentUser}
	if e.account == nil {
		e.account = passwdName
	}
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	if e.clk == nil {
		e.clk = iamkit.SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

var (
	// mfaSerialRE is STS's pattern for SerialNumber.
	mfaSerialRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=/:,.@-]{9,256}$`) })
)

// sectionNames derives the long-term and short-term section names.
func sectionNames(profile, longSuffix, shortSuffix string) (long, short string, err error) {
	long = profile + "-" + DefaultLongTermSuffix
	switch {
	case strings.EqualFold(longSuffix, SuffixNone):
		long = profile
	case longSuffix != "":
		long = profile + "-" + longSuffix
	}
	short = profile
	if shortSuffix != "" && !strings.EqualFold(shortSuffix, SuffixNone) {
		short = profile + "-" + shortSuffix
	}
	for _, name := range []string{long, short} {
		if strings.TrimSpace(name) != name || strings.ContainsAny(name, "[]#;\r\n") {
			return "", "", fmt.Errorf("mfa: %w: section name %q", ErrInvalidProfile, name)
		}
	}
	if long == short {
		return "", "", fmt.Errorf("mfa: %w: the long-term and short-term sections are both [%s]; the suffixes must differ", ErrInvalidProfile, long)
	}
	return long, short, nil
}

// lookup is one place a key may be set: a section of a file (nil: no file).
type lookup struct {
	f       *credfile.File
	section string
}

func firstValue(key string, places ...lookup) string {
	for _, p := range places {
		if p.f == nil {
			continue
		}
		if v, ok := p.f.Get(p.section, key); ok && credfile.StripInlineComment(v) != "" {
			return credfile.StripInlineComment(v)
		}
	}
	return ""
}

// firstRawValue is firstValue without cutting inline comments: a command
// line may hold " #" inside quotes, and the AWS CLI keeps such text.
func firstRawValue(key string, places ...lookup) string {
	for _, p := range places {
		if p.f == nil {
			continue
		}
		if v, ok := p.f.Get(p.section, key); ok && v != "" {
			return v
		}
	}
	return ""
}

// PlanSession reads the files and decides what Session would do for req,
// without calling anything or writing anything. It reads the options
// WithClock, WithGetenv, WithStoredSeed and WithRefreshMargin.
func PlanSession(ctx context.Context, req SessionRequest, opts ...Option) (*SessionPlan, error) {
	o := newSettings(opts)
	return planSession(ctx, req, &o)
}

func planSession(ctx context.Context, req SessionRequest, o *settings) (*SessionPlan, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := o.sessionEnv()
	profile := req.Profile
	if profile == "" {
		profile = e.getenv(EnvProfile)
	}
	if profile == "" {
		profile = "default"
	}
	long, short, err := sectionNames(profile, req.LongTermSuffix, req.ShortTermSuffix)
	if err != nil {
		return nil, err
	}
	p := &SessionPlan{Profile: short, LongTermProfile: long}

	// Files.
	p.CredentialsPath = req.CredentialsPath
	if p.CredentialsPath == "" {
		if p.CredentialsPath, err = credfile.CredentialsPath(e.getenv); err != nil {
			return nil, fmt.Errorf("mfa: %w", err)
		}
	}
	p.ConfigPath = req.ConfigPath
	if p.ConfigPath == "" {
		p.ConfigPath, _ = credfile.ConfigPath(e.getenv) // no home: no config file
	}
	p.StatePath = req.StatePath
	if p.StatePath == "" {
		p.StatePath = p.CredentialsPath + ".mfa-state"
	}
	creds, err := credfile.ReadFile(p.CredentialsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("mfa: %w: credentials file %s does not exist; add a [%s] section with %s and %s",
			ErrNoLongTerm, p.CredentialsPath, long, keyAccessKeyID, keySecretKey)
	}
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	var cfg *credfile.File
	if p.ConfigPath != "" {
		cfg, err = credfile.ReadFile(p.ConfigPath)
		if errors.Is(err, fs.ErrNotExist) {
			cfg, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("mfa: %w", err)
		}
	}

	// Long-term keys.
	lt, ok := creds.Section(long)
	if !ok {
		return nil, fmt.Errorf("mfa: %w: no [%s] section in %s; it must hold the long-term %s and %s",
			ErrNoLongTerm, long, p.CredentialsPath, keyAccessKeyID, keySecretKey)
	}
	keyID, _ := lt.Get(keyAccessKeyID)
	secret, _ := lt.Get(keySecretKey)
	keyID, secret = credfile.StripInlineComment(keyID), credfile.StripInlineComment(secret)
	if keyID == "" || secret == "" {
		missing := keyAccessKeyID
		if keyID != "" {
			missing = keySecretKey
		}
		return nil, fmt.Errorf("mfa: %w: [%s] in %s has no %s", ErrNoLongTerm, long, p.CredentialsPath, missing)
	}
	p.longTerm = aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, Source: CredentialSource}

	inLong := lookup{creds, long}
	inCfg := lookup{cfg, credfile.ConfigSectionName(profile)}
	inCfgLong := lookup{cfg, credfile.ConfigSectionName(long)}

	// Device.
	p.Device = req.Device
	if p.Device == "" {
		p.Device = strings.TrimSpace(e.getenv(EnvDevice))
	}
	if p.Device == "" {
		p.Device = firstValue(keyMFADevice, inLong)
	}
	if p.Device == "" {
		p.Device = firstValue(keyMFASerial, inLong, inCfg, inCfgLong)
	}
	if p.Device == "" {
		return nil, fmt.Errorf("mfa: %w for profile %s: pass a device, set %s, or set %s in [%s]",
			ErrNoDevice, profile, EnvDevice, keyMFADevice, long)
	}
	if !mfaSerialRE().MatchString(p.Device) {
		return nil, fmt.Errorf("mfa: %w: %q is not an MFA device serial number or ARN", ErrNoDevice, p.Device)
	}

	// Role.
	p.RoleARN = req.AssumeRole
	if p.RoleARN == "" {
		p.RoleARN = strings.TrimSpace(e.getenv(EnvAssumeRole))
	}
	if p.RoleARN == "" {
		p.RoleARN = firstValue(keyAssumeRole, inLong)
	}
	if p.RoleARN == "" {
		p.RoleARN = firstValue(keyRoleARN, inCfg)
	}
	if p.RoleARN != "" {
		if _, err := awsname.RoleARN(p.RoleARN); err != nil {
			return nil, fmt.Errorf("mfa: %w: %q is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)", ErrInvalidRole, p.RoleARN)
		}
		p.RoleSessionName = req.RoleSessionName
		if p.RoleSessionName == "" {
			p.RoleSessionName = defaultSessionName(e.getenv, e.account)
		}
		if !awsname.ValidRoleSessionName(p.RoleSessionName) {
			return nil, fmt.Errorf("mfa: %w: role session name %q must be 2 to 64 characters of letters, digits and +=,.@_-", ErrInvalidRole, p.RoleSessionName)
		}
	}

	// Duration.
	if p.Duration, err = resolveDuration(req.Duration, e.getenv, p.RoleARN != "", firstValue(keyDurationSeconds, inCfg)); err != nil {
		return nil, err
	}

	// Region and code sources.
	p.Region = req.Region
	if p.Region == "" {
		p.Region = firstValue(keyRegion, inCfg, inCfgLong)
	}
	if o.useStoredSeed {
		p.seed = firstValue(keyMFASeed, inLong)
	}
	p.process = firstRawValue(keyMFAProcess, inLong, inCfg, inCfgLong)

	// Is the short-term section still good?
	margin := o.refreshMargin
	if margin == 0 {
		margin = DefaultRefreshMargin
	}
	margin = max(margin, 0)
	p.Reason, p.current = checkShortTerm(creds, p, req.Force, margin, e.clk.Now())
	p.Refresh = p.Reason != ReasonValid
	p.Expiration = p.current.Expires
	if p.Refresh {
		p.current = Credentials{}
	}
	return p, nil
}

// defaultSessionName is the login name, as Python's getpass.getuser() finds
// it — $LOGNAME, $USER, $LNAME, $USERNAME, then the passwd entry of the
// process's user (account) — made a RoleSessionName by iamkit's one rule
// (internal/awsname); the first that makes one wins, else "iamkit".
func defaultSessionName(getenv func(string) string, account func() string) string {
	for _, k := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if n := awsname.RoleSessionName(getenv(k), ""); n != "" {
			return n
		}
	}
	if n := awsname.RoleSessionName(account(), ""); n != "" {
		return n
	}
	return "iamkit"
}

// passwdName is the current user's account name (os/user: the passwd
// entry), or "" when it cannot be found.
func passwdName() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}

// resolveDuration picks and checks the duration.
func resolveDuration(flag time.Duration, getenv func(string) string, role bool, cfgSeconds string) (time.Duration, error) {
	d, from := flag, "duration"
	if d == 0 {
		if v := strings.TrimSpace(getenv(EnvDuration)); v != "" {
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return 0, fmt.Errorf("mfa: %w: %s=%q is not a number of seconds", ErrInvalidDuration, EnvDuration, v)
			}
			d, from = time.Duration(n)*time.Second, EnvDuration
		}
	}
	if d == 0 && role && cfgSeconds != "" {
		n, err := strconv.ParseInt(cfgSeconds, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("mfa: %w: %s = %q in the config file is not a number of seconds", ErrInvalidDuration, keyDurationSeconds, cfgSeconds)
		}
		d, from = time.Duration(n)*time.Second, keyDurationSeconds
	}
	if d == 0 {
		if role {
			return DefaultRoleDuration, nil
		}
		return DefaultSessionDuration, nil
	}
	maxD, op := MaxSessionDuration, "GetSessionToken"
	if role {
		maxD, op = MaxRoleDuration, "AssumeRole"
	}
	if d%time.Second != 0 {
		return 0, fmt.Errorf("mfa: %w: %s %s is not a whole number of seconds", ErrInvalidDuration, from, d)
	}
	if d < MinSessionDuration || d > maxD {
		return 0, fmt.Errorf("mfa: %w: %s %s (%d s) is outside %s's limits of %d to %d seconds",
			ErrInvalidDuration, from, d, int64(d/time.Second), op, int64(MinSessionDuration/time.Second), int64(maxD/time.Second))
	}
	return d, nil
}

// ParseExpiration reads an expiration as aws-mfa writes it
// ("2006-01-02 15:04:05", UTC) or in RFC 3339 (any offset, optional
// fraction; "T" or a space between date and time). A time without an offset
// is UTC. The result is in UTC.
func ParseExpiration(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		ExpirationLayout,
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04:05.999999999",
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("mfa: expiration %q is neither %q nor RFC 3339", s, ExpirationLayout)
}

// checkShortTerm decides whether the short-term section must be refreshed,
// following aws-mfa's rules plus the margin. When it is valid, the
// credentials it holds are returned.
func checkShortTerm(f *credfile.File, p *SessionPlan, force bool, margin time.Duration, now time.Time) (RefreshReason, Credentials) {
	sec, ok := f.Section(p.Profile)
	if !ok {
		return ReasonMissing, Credentials{}
	}
	get := func(k string) string {
		v, _ := sec.Get(k)
		return credfile.StripInlineComment(v)
	}
	c := Credentials{
		Credentials: aws.Credentials{
			AccessKeyID:     get(keyAccessKeyID),
			SecretAccessKey: get(keySecretKey),
			SessionToken:    get(keySessionToken),
			Source:          CredentialSource,
		},
		Provenance: Provenance{
			Kind:          KindSessionToken,
			SourceProfile: p.LongTermProfile,
			Profile:       p.Profile,
			MFASerial:     p.Device,
			Parent:        &Provenance{Kind: KindLongTerm, Profile: p.LongTermProfile},
		},
	}
	if c.SessionToken == "" {
		c.SessionToken = get(keySecurityToken)
	}
	current := get(keyAssumedRoleARN)
	if current != "" {
		c.Kind, c.RoleARN = KindAssumedRole, current
	}
	if exp, err := ParseExpiration(get(keyExpiration)); err == nil {
		c.CanExpire, c.Expires, c.Expiration = true, exp, exp
	}
	switch {
	case c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || get(keyExpiration) == "":
		return ReasonIncomplete, c
	case force:
		return ReasonForced, c
	case current != p.RoleARN:
		return ReasonRoleChanged, c
	case !c.CanExpire:
		return ReasonBadExpiration, c
	case !c.Expires.After(now):
		return ReasonExpired, c
	case c.Expires.Sub(now) <= margin:
		return ReasonExpiring, c
	}
	return ReasonValid, c
}

// Session obtains MFA-backed short-term credentials the way aws-mfa does and
// writes them to the short-term section of the credentials file:
//
//  1. read the long-term keys from [PROFILE-long-term];
//  2. if [PROFILE] still holds credentials (for the same role, or for no
//     role) valid for longer than the refresh margin, return them: no call;
//  3. otherwise get a code (Token, a stored seed, mfa_process, Prompt) —
//     never the one last sent for the device: Session waits on the clock for
//     the next 30-second step, see the state file in the package doc;
//  4. call GetSessionToken, or AssumeRole when a role is set, with the code;
//  5. rewrite [PROFILE] in place, in aws-mfa's layout (aws_access_key_id,
//     aws_secret_access_key, aws_session_token, aws_security_token,
//     expiration, assumed_role, assumed_role_arn), changing no other byte of
//     the file (atomically, mode 0600, under a lock).
//
// The request is validated and the files read before any call; a malformed
// file gives a *credfile.ParseError. On any error the credentials file is
// left untouched.
//
// Session reads the options WithSTS, WithPrompt, WithClock, WithGetenv,
// WithLogger, WithStoredSeed and WithRefreshMargin.
func Session(ctx context.Context, req SessionRequest, opts ...Option) (*SessionResult, error) {
	o := newSettings(opts)
	e := o.sessionEnv()
	p, err := planSession(ctx, req, &o)
	if err != nil {
		return nil, err
	}
	res := &SessionResult{Plan: *p}
	if !p.Refresh {
		e.log.Info("mfa session still valid", "profile", p.Profile, "expires", p.Expiration.UTC().Format(time.RFC3339))
		res.Credentials = p.current
		return res, nil
	}
	if o.newSTS == nil {
		return nil, fmt.Errorf("mfa: session for profile %s: no STS client factory (WithSTS)", p.Profile)
	}
	src, err := p.tokenSource(req.Token, o.prompt)
	if err != nil {
		return nil, err
	}
	e.log.Info("mfa session refresh", "profile", p.Profile, "reason", string(p.Reason), "operation", p.Operation(),
		"role", p.RoleARN, "device", p.Device, "duration", p.Duration.String())

	client := o.newSTS(p.longTerm, p.Region)
	var creds Credentials
	call := func(code string) error {
		c, err := p.call(ctx, client, code)
		creds = c
		return err
	}
	waited, err := useCode(ctx, e, p, src, call)
	res.Waited = waited
	if err != nil {
		return nil, err
	}

	err = credfile.UpdateContext(ctx, p.CredentialsPath, func(f *credfile.File) error {
		return writeShortTerm(f, p.Profile, creds)
	})
	if err != nil {
		return nil, fmt.Errorf("mfa: session for profile %s: writing the credentials: %w", p.Profile, err)
	}
	e.log.Info("mfa session written", "profile", p.Profile, "path", p.CredentialsPath,
		"expires", creds.Expires.UTC().Format(time.RFC3339))
	res.Credentials = creds
	res.Refreshed = true
	return res, nil
}

// tokenSource picks the code source.
func (p *SessionPlan) tokenSource(token, prompt TokenSource) (TokenSource, error) {
	switch {
	case token != nil:
		return token, nil
	case p.seed != "":
		return SeedToken(p.seed), nil
	case p.process != "":
		argv, err := SplitCommandLine(p.process)
		if err != nil {
			return nil, errwrap.Wrap("mfa", err, "%s for profile %s", keyMFAProcess, p.Profile)
		}
		return Command{Argv: argv}, nil
	case prompt != nil:
		return prompt, nil
	}
	return nil, fmt.Errorf("mfa: session for profile %s: %w: give a token, a prompt, or set %s", p.Profile, ErrNoTokenSource, keyMFAProcess)
}

// call makes the STS call with code.
func (p *SessionPlan) call(ctx context.Context, client STSAPI, code string) (Credentials, error) {
	secs := aws.Int32(int32(p.Duration / time.Second))
	prov := Provenance{
		Kind:          KindSessionToken,
		SourceProfile: p.LongTermProfile,
		Profile:       p.Profile,
		MFASerial:     p.Device,
		Parent:        &Provenance{Kind: KindLongTerm, Profile: p.LongTermProfile},
	}
	if p.RoleARN != "" {
		out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn:         aws.String(p.RoleARN),
			RoleSessionName: aws.String(p.RoleSessionName),
			DurationSeconds: secs,
			SerialNumber:    aws.String(p.Device),
			TokenCode:       aws.String(code),
		})
		if err != nil {
			return Credentials{}, fmt.Errorf("mfa: session for profile %s: AssumeRole %s: %w", p.Profile, p.RoleARN, err)
		}
		prov.Kind, prov.RoleARN, prov.RoleSessionName = KindAssumedRole, p.RoleARN, p.RoleSessionName
		c, ok := FromSTS(out.Credentials, prov)
		if !ok || !c.CanExpire {
			return Credentials{}, fmt.Errorf("mfa: session for profile %s: AssumeRole returned no credentials", p.Profile)
		}
		return c, nil
	}
	out, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{
		DurationSeconds: secs,
		SerialNumber:    aws.String(p.Device),
		TokenCode:       aws.String(code),
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("mfa: session for profile %s: GetSessionToken: %w", p.Profile, err)
	}
	c, ok := FromSTS(out.Credentials, prov)
	if !ok || !c.CanExpire {
		return Credentials{}, fmt.Errorf("mfa: session for profile %s: GetSessionToken returned no credentials", p.Profile)
	}
	return c, nil
}

// writeShortTerm writes the short-term section in aws-mfa's layout. Existing
// keys keep their place; other keys of the section (region, output...) stay.
func writeShortTerm(f *credfile.File, section string, c Credentials) error {
	set := func(k, v string) error { return f.Set(section, k, v) }
	if c.RoleARN != "" {
		if err := set(keyAssumedRole, "True"); err != nil {
			return err
		}
		if err := set(keyAssumedRoleARN, c.RoleARN); err != nil {
			return err
		}
	} else {
		if err := set(keyAssumedRole, "False"); err != nil {
			return err
		}
		if _, err := f.Delete(section, keyAssumedRoleARN); err != nil {
			return err
		}
	}
	for _, kv := range [][2]string{
		{keyAccessKeyID, c.AccessKeyID},
		{keySecretKey, c.SecretAccessKey},
		{keySessionToken, c.SessionToken},
		{keySecurityToken, c.SessionToken},
		{keyExpiration, c.Expires.UTC().Format(ExpirationLayout)},
	} {
		if err := set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}
