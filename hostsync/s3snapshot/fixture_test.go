package s3snapshot_test

import "github.com/iamkit/iamkit/hostsync/internal/hsfixture"

// The snapshot fixture shared by hostsync's packages (internal/hsfixture).
var (
	newSnapFixture = hsfixture.NewSnap
	snapCfg        = hsfixture.SnapConfig
	managedNames   = hsfixture.ManagedNames
	snapshot       = hsfixture.HostSnapshot
)
