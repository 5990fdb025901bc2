// Package src is a small stand-in for internal/fakes.
package src

import (
	"context"
	"errors"
	"time"
)

// Limit is a copied constant.
const Limit = 2 * time.Second

// hidden is unexported.
const hidden = 3

// Derived refers to an unexported constant, so it forwards.
const Derived = hidden + 1

// ErrBoom is a sentinel error.
var ErrBoom = errors.New("boom")

// Kind is a named string.
type Kind string

// Kinds.
const (
	KindA Kind = "a" // the first
	KindB Kind = "b"
)

// Option configures a Thing.
type Option func(*Thing)

// WithKind sets the kind.
func WithKind(k Kind) Option { return func(t *Thing) { t.kind = k } }

// Thing is a handle.
type Thing struct {
	kind Kind
	log  []Entry
}

// New returns a Thing.
func New(opts ...Option) *Thing {
	t := &Thing{}
	for _, o := range opts {
		o(t)
	}
	return t
}

// Entry is a value.
type Entry struct {
	// Kind is the entry's kind.
	Kind Kind
	At   time.Time // when
	Err  error
}

// Kind returns the kind.
func (t *Thing) Kind() Kind { return t.kind }

// Add records e.
func (t *Thing) Add(_ context.Context, e Entry, _ ...func(*int)) error {
	t.log = append(t.log, e)
	return nil
}

// Entries returns what Add recorded.
func (t *Thing) Entries() ([]Entry, bool) { return t.log, len(t.log) > 0 }

// Self returns t.
func (t *Thing) Self() *Thing { return t }

func (t *Thing) unexported() {}
