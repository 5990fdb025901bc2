package iamsource_test

import "github.com/iamkit/iamkit/hostsync/internal/hsfixture"

// The IAM fixture shared by hostsync's packages (internal/hsfixture).
var (
	newSrcIAMFixture = hsfixture.NewIAM
	srcCanonicalBody = hsfixture.CanonicalBody
	srcByName        = hsfixture.ByName
	pubKey           = hsfixture.PubKey
)
