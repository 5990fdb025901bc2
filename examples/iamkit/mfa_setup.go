package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/iamkit/iamkit/mfa"
)

// setupFlags are the flags of "mfa session --setup".
type setupFlags struct {
	on          bool
	accessKeyID string
	secretStdin bool
	overwrite   bool
}

func (s *setupFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.on, "setup", false, "write [PROFILE-long-term] (the long-term access key) and exit, as aws-mfa --setup")
	fs.StringVar(&s.accessKeyID, "access-key-id", "", "--setup: the access key `ID` (default $AWS_ACCESS_KEY_ID, else asked)")
	fs.BoolVar(&s.secretStdin, "secret-stdin", false, "--setup: read the secret access key from the first line of stdin (default $AWS_SECRET_ACCESS_KEY, else asked without echo)")
	fs.BoolVar(&s.overwrite, "overwrite", false, "--setup: replace keys the long-term section already holds")
}

// given returns the name of a --setup-only flag set on the command line,
// or "".
func (s *setupFlags) given(fs *flag.FlagSet) string {
	var name string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "access-key-id", "secret-stdin", "overwrite":
			name = f.Name
		}
	})
	return name
}

// runMFASetup is "mfa session --setup": gather the long-term key from the
// flags, the environment or the person at the terminal, then mfa.Setup.
func runMFASetup(ctx context.Context, a *app, c *command, fs *flag.FlagSet, o mfa.SessionRequest, s setupFlags) error {
	var clash string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "token", "mfa-token", "assume-role", "assume", "duration", "force", "dry-run", "use-stored-seed", "role-session-name", "margin", "region":
			clash = f.Name
		}
	})
	if clash != "" {
		return c.usageError("--%s does not go with --setup", clash)
	}
	req := mfa.SetupRequest{
		Profile: o.Profile, LongTermSuffix: o.LongTermSuffix, ShortTermSuffix: o.ShortTermSuffix,
		AccessKeyID: s.accessKeyID, Device: o.Device, Overwrite: s.overwrite,
	}
	if req.AccessKeyID == "" {
		req.AccessKeyID = a.getenv("AWS_ACCESS_KEY_ID")
	}
	if req.Device == "" {
		req.Device = a.getenv(mfa.EnvDevice)
	}
	in := bufio.NewReader(a.stdin)
	if s.secretStdin {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the secret access key from stdin: %w", err)
		}
		req.SecretAccessKey = strings.TrimRight(line, "\r\n")
		if req.SecretAccessKey == "" {
			return c.usageError("--secret-stdin: stdin holds no secret access key")
		}
	} else {
		req.SecretAccessKey = a.getenv("AWS_SECRET_ACCESS_KEY")
	}
	ask := func(question string) (string, error) {
		fmt.Fprint(a.stderr, question)
		line, err := in.ReadString('\n')
		if err != nil && (!errors.Is(err, io.EOF) || line == "") {
			return "", fmt.Errorf("reading the answer: %w", err)
		}
		return strings.TrimSpace(line), nil
	}
	interactive := a.stdinTTY && !s.secretStdin
	profile := req.Profile
	if profile == "" {
		profile = a.getenv(mfa.EnvProfile)
	}
	if profile == "" {
		profile = "default"
	}
	var err error
	if req.AccessKeyID == "" {
		if !interactive {
			return c.usageError("--setup: no access key ID and no terminal to ask for it: give --access-key-id or AWS_ACCESS_KEY_ID")
		}
		if req.AccessKeyID, err = ask(fmt.Sprintf("Access key ID for profile %s (AKIA...): ", profile)); err != nil {
			return err
		}
	}
	if req.SecretAccessKey == "" {
		if !interactive || a.readSecret == nil {
			return c.usageError("--setup: no secret access key and no terminal to ask for it: set AWS_SECRET_ACCESS_KEY or use --secret-stdin")
		}
		fmt.Fprint(a.stderr, "Secret access key (not shown): ")
		if req.SecretAccessKey, err = a.readSecret(); err != nil {
			return fmt.Errorf("reading the secret access key: %w", err)
		}
	}
	if req.Device == "" && interactive {
		if req.Device, err = ask("MFA device ARN (Enter: none; mfa_serial or MFA_DEVICE then decide): "); err != nil {
			return err
		}
	}
	opts := []mfa.Option{mfa.WithGetenv(a.getenv), mfa.WithLogger(a.log)}
	res, err := mfa.Setup(ctx, req, opts...)
	if errors.Is(err, mfa.ErrSectionExists) && interactive {
		answer, aerr := ask(fmt.Sprintf("%v.\nReplace them? [y/N] ", err))
		if aerr != nil {
			return aerr
		}
		if !strings.EqualFold(answer, "y") && !strings.EqualFold(answer, "yes") {
			fmt.Fprintln(a.stdout, "Nothing was changed.")
			return nil
		}
		req.Overwrite = true
		res, err = mfa.Setup(ctx, req, opts...)
	}
	if err != nil {
		return err
	}
	verb := "Wrote"
	if res.Replaced {
		verb = "Replaced the keys of"
	}
	fmt.Fprintf(a.stdout, "%s [%s] in %s (access key %s). Next: iamkit mfa session --profile %s\n",
		verb, res.Section, res.CredentialsPath, strings.TrimSpace(req.AccessKeyID), profile)
	return nil
}
