package hostsync_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/authkeys"
)

// FuzzAuthkeysCacheFile: authkeys.ParseCacheFile accepts every file
// hostsync.ParseKeyCacheFile accepts, with the same keys and fingerprints,
// and refuses what it refuses — except an ECDSA point off its curve, which
// only x/crypto/ssh checks (see the authkeys package doc).
func FuzzAuthkeysCacheFile(f *testing.F) {
	for _, keys := range [][]hostsync.Key{{activeKey("a")}, {activeKey("a"), activeKey("b")}} {
		data, err := hostsync.FormatKeyCacheFile("alice", keys)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("# iamkit hostsync key cache v1 user=alice\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		wu, wk, werr := hostsync.ParseKeyCacheFile(data)
		ru, rk, rerr := authkeys.ParseCacheFile(data)
		if werr == nil {
			require.NoError(t, rerr)
			assert.Equal(t, wu, ru)
			require.Len(t, rk, len(wk))
			for i := range wk {
				assert.Equal(t, []string{wk[i].ID, wk[i].Body, wk[i].Fingerprint}, []string{rk[i].ID, rk[i].Body, rk[i].Fingerprint})
			}
			return
		}
		assert.ErrorIs(t, werr, hostsync.ErrCorruptKeyCache)
		if rerr == nil {
			assert.Contains(t, string(data), "ecdsa-sha2-", "authkeys accepted what hostsync refuses: %v", werr)
			return
		}
		assert.ErrorIs(t, rerr, authkeys.ErrCorruptKeyCache)
	})
}

// FuzzAuthkeysConfig: authkeys.ParseConfig reads the marker group, local
// groups and reserved names hostsync.ParseConfig reads, and refuses every
// configuration whose syntax or values of these keys hostsync refuses; it
// refuses nothing hostsync accepts.
func FuzzAuthkeysConfig(f *testing.F) {
	for _, s := range []string{
		"LOCAL_MARKER_GROUP=ssh-users\n",
		"export LOCAL_GROUPS='a,b' # c\nIAMKIT_RESERVED=\"x y\"\n",
		"LOCAL_MARKER_GROUP=$(id)\n",
		"BOGUS=1\nSUDOERS_GROUPS=##ALL##\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wc, werr := hostsync.ParseConfig(data)
		rc, rerr := authkeys.ParseConfig(data)
		if werr == nil {
			require.NoError(t, rerr)
			assert.Equal(t, wc.MarkerGroup, rc.MarkerGroup)
			assert.Equal(t, wc.LocalGroups, rc.LocalGroups)
			assert.Equal(t, wc.Reserved, rc.Reserved)
			return
		}
		if rerr != nil {
			return
		}
		// authkeys accepted: hostsync's refusal must be about a key
		// authkeys does not read.
		var ce *hostsync.ConfigError
		require.ErrorAs(t, werr, &ce)
		for _, k := range []string{"LOCAL_MARKER_GROUP", "LOCAL_GROUPS", "IAMKIT_RESERVED"} {
			assert.NotEqual(t, k, ce.Key, "%v", werr)
		}
		assert.NotErrorIs(t, werr, hostsync.ErrSyntax, "%v", werr)
	})
}
