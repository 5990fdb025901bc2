package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/iamkit/iamkit/internal/errwrap"
	"github.com/iamkit/iamkit/mfa/credfile"
)

// The state file remembers, per MFA device, the last TOTP step a code was
// sent in and a hash of that code, so that no code is sent twice (AWS refuses
// a code already used, and several profiles often share one device). It is
// a small INI file next to the credentials file, edited with credfile under
// its lock:
//
//	[arn:aws:iam::123456789012:mfa/alice]
//	last_step = 59060544
//	last_used = 2026-01-15T09:00:00Z
//	last_code_sha256 = 5c1f...
//
// The device, not the profile, is the key: one device used for ten profiles
// is still one sequence of codes.
const (
	stateLastStep = "last_step"
	stateLastUsed = "last_used"
	stateLastCode = "last_code_sha256"
)

// step returns the RFC 6238 step t falls in.
func step(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return -1
	}
	return s / int64(Period/time.Second)
}

// stepStart returns the first instant of step s.
func stepStart(s int64) time.Time { return time.Unix(s*int64(Period/time.Second), 0).UTC() }

// codeHash is what the state file keeps of a sent code: it is spent by then,
// but the file still never holds it in clear.
func codeHash(device, code string) string {
	sum := sha256.Sum256([]byte(device + "\x00" + code))
	return hex.EncodeToString(sum[:16])
}

// useCode gets a code from src for p.Device, never one already sent, calls
// call with it and records its use in the state file. It holds the state
// file's lock throughout, so concurrent sessions for the same device take
// turns. It returns how long it waited for a fresh step.
func useCode(ctx context.Context, e sessionEnv, p *SessionPlan, src TokenSource, call func(code string) error) (time.Duration, error) {
	var (
		waited  time.Duration
		callErr error
		called  bool
	)
	_, fixed := src.(fixedSource)
	if r, ok := src.(ReadyChecker); ok {
		if err := r.Ready(ctx); err != nil {
			return 0, errwrap.Wrap("mfa", err, "session for profile %s: getting the MFA code", p.Profile)
		}
	}
	wait := func(until time.Time) error {
		now := e.clk.Now()
		if !now.Before(until) {
			return nil
		}
		d := until.Sub(now)
		e.log.Info("mfa waiting for the next code so as not to reuse one", "device", p.Device, "wait", d.String())
		if n, ok := src.(WaitNotifier); ok {
			n.Waiting(p.Device, d)
		}
		if err := e.clk.Sleep(ctx, d); err != nil {
			return fmt.Errorf("mfa: waiting for the next MFA code: %w", err)
		}
		waited += d
		return nil
	}
	err := credfile.UpdateContext(ctx, p.StatePath, func(f *credfile.File) error {
		lastStep := int64(-1)
		if v, ok := f.Get(p.Device, stateLastStep); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				lastStep = n
			}
		}
		lastHash, _ := f.Get(p.Device, stateLastCode)

		if !fixed && step(e.clk.Now()) <= lastStep {
			if err := wait(stepStart(lastStep + 1)); err != nil {
				return err
			}
		}
		var code string
		for attempt := 0; ; attempt++ {
			now := e.clk.Now()
			if !fixed && lastStep >= 0 && now.Before(stepStart(lastStep+1)) {
				now = stepStart(lastStep + 1) // a clock that woke early
			}
			c, err := src.Token(ctx, TokenRequest{Device: p.Device, Profile: p.Profile, Duration: p.Duration, Time: now, Retry: attempt > 0})
			if err != nil {
				return errwrap.Wrap("mfa", err, "session for profile %s: getting the MFA code", p.Profile)
			}
			if !ValidToken(c) {
				return fmt.Errorf("mfa: session for profile %s: %w", p.Profile, ErrInvalidToken)
			}
			// The same code within three steps of its use is the same code;
			// a 6-digit code legitimately recurs only by chance, much later.
			if lastHash == "" || codeHash(p.Device, c) != lastHash || step(e.clk.Now()) > lastStep+2 {
				code = c
				break
			}
			if fixed || attempt > 0 {
				return fmt.Errorf("mfa: session for profile %s: %w: device %s was last sent this code at %s; give the next one",
					p.Profile, ErrCodeReused, p.Device, stepStart(lastStep).Format(time.RFC3339))
			}
			if err := wait(stepStart(max(lastStep, step(e.clk.Now())) + 1)); err != nil {
				return err
			}
		}

		sent := step(e.clk.Now())
		called = true
		callErr = call(code)
		// Record the use whatever STS answered: a code it saw may be spent.
		for _, kv := range [][2]string{
			{stateLastStep, strconv.FormatInt(max(sent, lastStep), 10)},
			{stateLastUsed, e.clk.Now().UTC().Format(time.RFC3339)},
			{stateLastCode, codeHash(p.Device, code)},
		} {
			if err := f.Set(p.Device, kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if called {
		if err != nil {
			// The call was made; failing to record it must not lose its result.
			e.log.Warn("mfa could not record the code's use", "path", p.StatePath, "error", err.Error())
		}
		return waited, callErr
	}
	var pe *credfile.ParseError
	if errors.As(err, &pe) {
		return waited, fmt.Errorf("mfa: state file (delete it to start afresh): %w", err)
	}
	return waited, err
}
