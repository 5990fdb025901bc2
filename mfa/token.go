package mfa

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// ErrInvalidToken is returned (wrapped) when a token source yields something
// other than a 6-digit code. Test with errors.Is.
var ErrInvalidToken = errors.New("MFA code must be 6 digits")

// ErrCodeReused is returned (wrapped) when a fixed code (StaticToken) is the
// one last sent for the same device less than a minute and a half ago: AWS
// would refuse it, and a code is never sent twice. Test with errors.Is.
var ErrCodeReused = errors.New("MFA code already used")

// TokenRequest is what a TokenSource is asked for: a code of Device, for the
// 30-second step Time falls in.
type TokenRequest struct {
	// Device is the MFA device's serial number (ARN for a virtual device).
	Device string
	// Profile is the profile the credentials are obtained for.
	Profile string
	// Duration is the session duration requested.
	Duration time.Duration
	// Time is the current time on the session's clock. A source that
	// computes codes (SeedToken) computes the code of this time.
	Time time.Time
	// Retry is true when the code is asked for again because the previous
	// answer was the code already used (the person read a stale screen).
	Retry bool
}

// TokenSource yields the MFA code to send. Implementations must not log or
// keep the code.
type TokenSource interface {
	Token(ctx context.Context, req TokenRequest) (string, error)
}

// TokenFunc adapts a function to a TokenSource.
type TokenFunc func(ctx context.Context, req TokenRequest) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context, req TokenRequest) (string, error) { return f(ctx, req) }

// ValidToken reports whether code is a 6-digit MFA code.
func ValidToken(code string) bool {
	if len(code) != 6 {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

// StaticToken is a code given up front (aws-mfa's --token flag, or an
// environment variable). It cannot change: Session never waits for the next
// step before using it, and refuses it with ErrCodeReused when it is the code
// last sent for the device.
type StaticToken string

// Token returns the code.
func (s StaticToken) Token(context.Context, TokenRequest) (string, error) { return string(s), nil }

// WaitNotifier is implemented by token sources that tell a person why
// nothing happens for a while: before waiting for the next 30-second step
// (so as not to reuse a code), Session calls Waiting with the device and how
// long it will wait.
type WaitNotifier interface {
	Waiting(device string, d time.Duration)
}

// ReadyChecker is implemented by token sources that can tell at once that
// they cannot yield a code (a prompt with no terminal to ask on). Session
// asks before it waits for the next 30-second step, so such a failure is
// reported immediately rather than after up to a minute's wait.
type ReadyChecker interface {
	Ready(ctx context.Context) error
}

// fixed marks a source whose answer does not depend on time.
func (StaticToken) fixed() {}

// fixedSource is implemented by sources that always give the same code.
type fixedSource interface{ fixed() }

// Prompt asks a person for the code: it writes a prompt to Out and reads one
// line from In, as aws-mfa does. Input that is not 6 digits is refused and
// asked again, up to Attempts times (default 3). Nothing is echoed: a code is
// short-lived, and a terminal's echo is the caller's business.
//
// A Prompt keeps a buffered reader on In between calls; it is not safe for
// concurrent use.
type Prompt struct {
	In       io.Reader
	Out      io.Writer
	Attempts int

	r *bufio.Reader
}

// NewPrompt returns a Prompt reading from in and writing to out.
func NewPrompt(in io.Reader, out io.Writer) *Prompt { return &Prompt{In: in, Out: out} }

// Waiting tells the person that the next code is awaited.
func (p *Prompt) Waiting(device string, d time.Duration) {
	if p.Out != nil {
		fmt.Fprintf(p.Out, "The last code of device [%s] was just used; waiting %s for the next one.\n", device, d.Round(time.Second))
	}
}

var _ WaitNotifier = (*Prompt)(nil)

// Token prompts for and reads a code.
func (p *Prompt) Token(ctx context.Context, req TokenRequest) (string, error) {
	if p.In == nil {
		return "", errors.New("mfa: prompt: no input")
	}
	if p.r == nil {
		p.r = bufio.NewReader(p.In)
	}
	out := p.Out
	if out == nil {
		out = io.Discard
	}
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	if req.Retry {
		fmt.Fprintf(out, "That code was just used; wait for the next one.\n")
	}
	for i := range attempts {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fmt.Fprintf(out, "Enter AWS MFA code for device [%s] (renewing for %d seconds): ", req.Device, int64(req.Duration/time.Second))
		line, err := p.r.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("mfa: prompt: %w", err)
		}
		code := strings.TrimSpace(line)
		if ValidToken(code) {
			return code, nil
		}
		if err != nil { // end of input
			if code == "" {
				return "", fmt.Errorf("mfa: prompt: no code entered: %w", io.ErrUnexpectedEOF)
			}
			break
		}
		if i < attempts-1 {
			fmt.Fprintf(out, "The code must be 6 digits.\n")
		}
	}
	return "", fmt.Errorf("mfa: prompt: %w", ErrInvalidToken)
}

// Command runs a program that prints the code on its standard output, the
// way the AWS CLI's credential_process works (an "mfa_process"): a password
// manager's CLI, a hardware token's tool. Its output is trimmed of
// surrounding whitespace. The environment gets AWS_MFA_DEVICE and
// AWS_MFA_PROFILE (never a secret).
type Command struct {
	// Argv is the program and its arguments; see SplitCommandLine for the
	// one-line form config files hold.
	Argv []string
	// Timeout bounds one run (default 2 minutes: a password manager may ask
	// to be unlocked).
	Timeout time.Duration
}

// Token runs the command and returns what it printed.
func (c Command) Token(ctx context.Context, req TokenRequest) (string, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return "", errors.New("mfa: mfa_process: empty command")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = append(cmd.Environ(), "AWS_MFA_DEVICE="+req.Device, "AWS_MFA_PROFILE="+req.Profile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// A program that leaves a child holding its output open must not hang us
	// once the timeout has passed.
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		// stderr is the program's own message; its stdout may be a code and is
		// never quoted.
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		if msg != "" {
			return "", fmt.Errorf("mfa: mfa_process %s: %w: %s", c.Argv[0], err, msg)
		}
		return "", fmt.Errorf("mfa: mfa_process %s: %w", c.Argv[0], err)
	}
	code := strings.TrimSpace(stdout.String())
	if !ValidToken(code) {
		return "", fmt.Errorf("mfa: mfa_process %s: %w", c.Argv[0], ErrInvalidToken)
	}
	return code, nil
}

// SplitCommandLine splits a one-line command (the value of an mfa_process or
// credential_process key) into arguments the way a POSIX shell would without
// expanding anything: whitespace separates, '...' quotes literally, "..."
// quotes with backslash escaping of \ " $ ` and newline, and a backslash
// outside quotes escapes the next character. Unbalanced quotes and a trailing
// backslash are errors.
func SplitCommandLine(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
		i     int
		n     = len(s)
	)
	for i < n {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
			i++
		case c == '\\':
			if i+1 >= n {
				return nil, errors.New("mfa: command line ends with a backslash")
			}
			inArg = true
			if s[i+1] != '\n' { // backslash-newline is a line continuation
				cur.WriteByte(s[i+1])
			}
			i += 2
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("mfa: command line has an unterminated ' quote")
			}
			inArg = true
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 2
		case c == '"':
			inArg = true
			i++
			closed := false
			for i < n {
				d := s[i]
				if d == '"' {
					closed = true
					i++
					break
				}
				if d == '\\' && i+1 < n {
					switch s[i+1] {
					case '\\', '"', '$', '`':
						cur.WriteByte(s[i+1])
						i += 2
						continue
					case '\n':
						i += 2
						continue
					}
				}
				cur.WriteByte(d)
				i++
			}
			if !closed {
				return nil, errors.New(`mfa: command line has an unterminated " quote`)
			}
		default:
			inArg = true
			cur.WriteByte(c)
			i++
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

// SeedToken computes codes from a stored TOTP seed (the device's
// Base32StringSeed) at the requested time.
//
// This is weaker than a device: whoever can read the seed holds the second
// factor, and a seed stored next to the long-term keys (Session's
// WithStoredSeed) turns two factors into one file. Use it for automation that
// must satisfy an MFA condition, not for people.
type SeedToken string

// Token returns the code of the seed at req.Time.
func (s SeedToken) Token(_ context.Context, req TokenRequest) (string, error) {
	t := req.Time
	if t.IsZero() {
		t = time.Now()
	}
	return Code(string(s), t)
}
