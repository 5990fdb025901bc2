package main

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/iamkit/iamkit/hostsync"
)

// defaultHostsyncEnv is the real world: AWS through the standard
// configuration chain, the instance metadata, this Linux host, the flock(2)
// lock and the wall clock.
func defaultHostsyncEnv() *hostsyncEnv {
	return &hostsyncEnv{
		newIAM:       loadHostsyncIAM,
		instanceTags: loadInstanceTags,
		newSystem:    newLinuxSystem,
		lock:         hostsync.AcquireLock,
		markSynced: func(keysDir string, t time.Time) error {
			return hostsync.KeyCache{Dir: keysDir}.MarkSynced(t)
		},
		managed: func(cfg hostsync.Config, root string) func(string) (bool, error) {
			l := &hostsync.Linux{Config: cfg, Root: root}
			return l.IsManaged
		},
		now: time.Now,
	}
}

// newLinuxSystem is this host, with hostsync's files in stateDir: the key
// cache in keys/ and the state in state.json. Accounts change through
// useradd/usermod/userdel (USERADD_PROGRAM, ...), sudo through
// /etc/sudoers.d drop-ins checked with visudo.
func newLinuxSystem(cfg hostsync.Config, stateDir string, log *slog.Logger) (hostsync.System, error) {
	return &hostsync.Linux{
		Config:    cfg,
		Keys:      hostsync.KeyCache{Dir: filepath.Join(stateDir, stateKeysDir)},
		StateFile: filepath.Join(stateDir, stateFile),
		Logger:    log,
	}, nil
}
