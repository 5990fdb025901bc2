package kitlink

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Without package iamkittest linked in, nothing converts (its own tests
// cover the conversions).
func TestNotLinked(t *testing.T) {
	assert.PanicsWithValue(t, "kitlink: package iamkittest is not linked in", func() { Fakes[*int](1) })
	assert.PanicsWithValue(t, "kitlink: package iamkittest is not linked in", func() { Kit[*int](1) })
}
