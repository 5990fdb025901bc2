package hostsync_test

import "github.com/iamkit/iamkit/hostsync/internal/hsfixture"

// The IAM fixture shared by hostsync's packages (internal/hsfixture).
type srcIAMFixture = hsfixture.Fixture

var (
	newSrcIAMFixture = hsfixture.NewIAM
	srcIAMFixtureOn  = hsfixture.OnAccount
	srcCanonicalBody = hsfixture.CanonicalBody
)
