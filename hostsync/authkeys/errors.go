package authkeys

import "github.com/iamkit/iamkit/hostsync/internal/hserr"

// errorf is hostsync's errorf: "hostsync: " once at the start.
func errorf(format string, args ...any) error { return hserr.Errorf(format, args...) }
