package server

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
)

// Every Cognito Identity and S3 method iamkit's packages declare in their
// interfaces is served over the wire.
func TestPackagesInterfacesAreServed(t *testing.T) {
	for _, tc := range []struct {
		iface  reflect.Type
		serves func(string) bool
	}{
		{reflect.TypeFor[federation.CognitoBasicAPI](), servesCognito},
		{reflect.TypeFor[federation.CognitoEnhancedAPI](), servesCognito},
		{reflect.TypeFor[s3snapshot.SnapshotGetAPI](), servesS3},
		{reflect.TypeFor[s3snapshot.SnapshotPublishAPI](), servesS3},
	} {
		for i := range tc.iface.NumMethod() {
			m := tc.iface.Method(i).Name
			assert.True(t, tc.serves(m), "%s.%s is not served over the wire", tc.iface, m)
		}
	}
}
