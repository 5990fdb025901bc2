// Package iamsource is hostsync's live-IAM adapter: IAMSource (a
// hostsync.Source and hostsync.AbsenceConfirmer over the narrow IAMAPI),
// BuildSnapshot (a fleet snapshot read through it), LiveKeys for
// AuthorizedKeys's live fallback, and the client wiring every frontend
// shares (NewIAMClient, AssumeRoleCredentials).
//
// It is apart from hostsync's core so that a binary that never calls IAM,
// such as hostsync-keys, does not link the AWS SDK. It imports hostsync,
// never the reverse, and reads hostsync's Options (hostsync.ResolveOptions).
package iamsource
