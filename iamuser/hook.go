package iamuser

import (
	"context"
	"fmt"
)

// WithAfterOffboard sets a hook ApplyOffboard (and Offboard) calls once a
// run changed something in IAM — a step done, even if others failed — so
// that whatever derives from IAM learns of it at once rather than at its
// next scheduled read. The usual hook republishes the fleet's SSH snapshot
// (s3snapshot.Republisher.Republish), so hosts following it lock the
// person out and end their sessions within seconds. The hook's error is
// joined to ApplyOffboard's, wrapped with the user's name: the offboarding
// itself stands.
func WithAfterOffboard(hook func(ctx context.Context, userName string) error) Option {
	return func(s *settings) { s.afterOffboard = hook }
}

// runAfterOffboard calls the WithAfterOffboard hook when rep changed
// something.
func (m *Offboarder) runAfterOffboard(ctx context.Context, rep *OffboardReport) error {
	if m.afterOffboard == nil {
		return nil
	}
	changed := false
	for _, r := range rep.Results {
		changed = changed || r.Status == "done"
	}
	if !changed {
		return nil
	}
	if err := m.afterOffboard(ctx, rep.UserName); err != nil {
		m.log.ErrorContext(ctx, "after offboarding: the hook failed", "user", rep.UserName, "err", err)
		return fmt.Errorf("iamuser: after offboarding %s: %w", rep.UserName, err)
	}
	return nil
}
