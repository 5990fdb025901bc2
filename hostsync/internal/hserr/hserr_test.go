package hserr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrorf(t *testing.T) {
	base := errors.New("hostsync: source unknown")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", Errorf("reading %s", "x"), "hostsync: reading x"},
		{"wraps a prefixed error once", Errorf("sync: %w", base), "hostsync: sync: source unknown"},
		{"nested", Errorf("outer: %w", Errorf("inner: %w", base)), "hostsync: outer: inner: source unknown"},
		{"joined", Errorf("two: %w", errors.Join(base, base)), "hostsync: two: source unknown\nsource unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			if tt.name != "plain" {
				assert.ErrorIs(t, tt.err, base)
			}
		})
	}
}
