package main

import (
	"flag"
	"time"

	"github.com/iamkit/iamkit/internal/durflag"
)

// duration is a duration flag given in Go's syntax ("1h", "90m") or as a
// whole number of seconds ("3600"), as --duration is everywhere else in
// iamkit; trailing junk is refused with a message saying what is wanted
// (flag.DurationVar accepts no seconds and answers only "parse error").
type duration struct{ d *time.Duration }

var _ flag.Value = duration{}

func (f duration) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f duration) Set(v string) error {
	return durflag.Value{D: f.d}.Set(v)
}
