package main

import (
	"log/slog"

	"github.com/iamkit/iamkit"
	"github.com/iamkit/iamkit/hostsync"
)

// defaultHostsyncEnv is the real world: this Linux host, the flock(2) lock
// and the wall clock; AWS (the standard configuration chain) and the
// instance metadata through the app's configuration (hostsyncEnv.resolve).
func defaultHostsyncEnv() *hostsyncEnv {
	return &hostsyncEnv{
		newSystem: newLinuxSystem,
		lock:      hostsync.AcquireLock,
		managed: func(cfg hostsync.Config, root string) func(string) (bool, error) {
			l := &hostsync.Linux{Config: cfg, Root: root}
			return l.IsManaged
		},
		clock: iamkit.SystemClock{},
	}
}

// newLinuxSystem is this host, with hostsync's files in the layout sd.
// Accounts change through useradd/usermod/userdel (USERADD_PROGRAM, ...),
// sudo through /etc/sudoers.d drop-ins checked with visudo.
func newLinuxSystem(cfg hostsync.Config, sd hostsync.StateDir, log *slog.Logger) (hostsync.System, error) {
	return sd.Linux(cfg, log), nil
}
