// Package durflag is the duration flag of iamkit's binaries: a whole number
// of seconds ("3600", as aws-mfa and the AWS CLI take them) or Go's syntax
// ("1h", "90m"), with trailing junk refused by a message that says what is
// wanted — flag.Duration takes no seconds and answers only "parse error".
package durflag

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads a whole number of seconds or a Go duration. Negative values
// are refused.
func Parse(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q: want a number of seconds (3600) or a duration (1h)", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: a duration cannot be negative", v)
	}
	return d, nil
}

// Value is a flag.Value over *D.
type Value struct{ D *time.Duration }

var _ flag.Value = Value{}

// String shows the duration in Go's syntax ("" for zero).
func (v Value) String() string {
	if v.D == nil || *v.D == 0 {
		return ""
	}
	return v.D.String()
}

// Set parses s with Parse.
func (v Value) Set(s string) error {
	d, err := Parse(s)
	if err != nil {
		return err
	}
	*v.D = d
	return nil
}

// Var defines a duration flag on fs, like fs.DurationVar.
func Var(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(Value{p}, name, usage)
}

// Duration defines a duration flag on fs, like fs.Duration.
func Duration(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	Var(fs, p, name, value, usage)
	return p
}
