package iamuser

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/mfa"
)

// Spec describes a person to onboard.
type Spec struct {
	UserName            string            // IAM user name (required)
	Path                string            // IAM path, default "/"
	Tags                map[string]string // user tags
	PermissionsBoundary string            // managed policy ARN, optional
	Groups              []string          // groups to add the user to; they must exist
	NoConsole           bool              // no login profile (no console password)
	NoMFA               bool              // no virtual MFA device
	AccessKey           bool              // create an access key
	SSHPublicKeys       []string          // OpenSSH public keys to upload (for CodeCommit or host sync)
}

// StepStatus says what a step did.
type StepStatus string

// Step statuses.
const (
	StepCreated  StepStatus = "created"  // the step made something new
	StepExisting StepStatus = "existing" // it was already there (a resumed run)
	StepReplaced StepStatus = "replaced" // a leftover was removed and made anew
	StepSkipped  StepStatus = "skipped"  // not asked for
)

// Step is one step of an onboarding, as reported in Result.Steps.
type Step struct {
	Name   string
	Status StepStatus
	Detail string
}

// Result is what Onboard made. Secret fields (Password, MFASeed, OTPAuthURI,
// QRCodePNG, SecretAccessKey) are empty when the corresponding item already
// existed: AWS never reveals them twice. Result implements slog.LogValuer and
// fmt.Stringer without its secrets.
type Result struct {
	UserName  string
	UserID    string
	UserARN   string
	AccountID string
	Partition string
	SignInURL string // the account's console sign-in page

	Password              string
	PasswordResetRequired bool

	MFASerial  string
	MFASeed    string // Base32 seed
	OTPAuthURI string
	QRCodePNG  []byte

	Groups []string

	AccessKeyID     string
	SecretAccessKey string

	SSHPublicKeyIDs []string

	Steps []Step
}

// String summarises the result without any secret.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "user %s (%s)", r.UserName, r.UserARN)
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "\n  %-14s %-8s %s", s.Name, s.Status, s.Detail)
	}
	return b.String()
}

// LogValue implements slog.LogValuer: user, ARN and step statuses only.
func (r *Result) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", r.UserName), slog.String("arn", r.UserARN), slog.Int("steps", len(r.Steps)))
}

// StepError is returned when an onboarding step fails after the steps before it
// succeeded. Re-running Onboard with the same Spec resumes from where it stopped.
type StepError struct {
	UserName string
	Step     string
	Err      error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("iamuser: onboarding %s: %s: %v (re-run to resume)", e.UserName, e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

type onboarding struct {
	m     *Manager
	spec  Spec
	res   *Result
	fresh bool // the user was created by this run
	cache *runCache
	rec   runRecord // the OnboardingTag: this run's, or an interrupted one's
}

// runCache holds what one run (a single or bulk onboarding) learned about the
// account, so a bulk import asks for the password policy and each group once.
type runCache struct {
	mu         sync.Mutex
	policy     *types.PasswordPolicy
	policyDone bool
	groupsOK   map[string]bool
}

// Onboard creates the IAM user described by spec with everything a person
// needs on day one: a console password (generated from the account's password
// policy, reset required at first sign-in), a virtual MFA device created and
// enabled at once without waiting for a TOTP step, group memberships, and
// optionally an access key and SSH public keys.
//
// The spec is validated, and its groups checked to exist, before anything is
// created. Onboard is resumable: for a user that a failed run left half-made it
// keeps the user, login profile, groups and keys that exist, replaces a leftover
// unassigned virtual MFA device named after the user, and finishes the rest.
func (m *Manager) Onboard(ctx context.Context, spec Spec) (*Result, error) {
	return m.onboard(ctx, spec, &runCache{groupsOK: map[string]bool{}})
}

func (m *Manager) onboard(ctx context.Context, spec Spec, cache *runCache) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	o := &onboarding{m: m, spec: spec, res: &Result{UserName: spec.UserName}, cache: cache}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"check groups", o.checkGroups},
		{"user", o.createUser},
		{"login profile", o.loginProfile},
		{"mfa", o.mfaDevice},
		{"groups", o.addGroups},
		{"access key", o.accessKey},
		{"ssh keys", o.sshKeys},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				// Nothing was created: the caller reports the input error.
				m.log.DebugContext(ctx, "onboarding refused", "user", spec.UserName, "step", s.name, "error", err)
				return nil, err
			}
			m.log.WarnContext(ctx, "onboarding step failed", "user", spec.UserName, "step", s.name, "error", err)
			o.failRecord(ctx)
			return o.res, &StepError{UserName: spec.UserName, Step: s.name, Err: err}
		}
	}
	o.finishRecord(ctx)
	m.log.InfoContext(ctx, "onboarded", "result", o.res)
	return o.res, nil
}

func (o *onboarding) step(name string, status StepStatus, detail string) {
	o.res.Steps = append(o.res.Steps, Step{Name: name, Status: status, Detail: detail})
}

func (o *onboarding) checkGroups(ctx context.Context) error {
	return o.m.checkGroups(ctx, o.spec.Groups, o.cache)
}

// checkGroups checks that every group exists (each at most once per run,
// through cache): a missing group is a *ValidationError naming it.
func (m *Manager) checkGroups(ctx context.Context, groups []string, cache *runCache) error {
	for i, g := range groups {
		err := cache.checkGroup(strings.ToLower(g), func() error {
			_, err := m.api.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(g), MaxItems: aws.Int32(1)})
			if isNoSuchEntity(err) {
				return &ValidationError{Field: fmt.Sprintf("groups[%d]", i), Value: g, Reason: "no such IAM group"}
			}
			if err != nil {
				return fmt.Errorf("checking group %s: %w", g, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *onboarding) createUser(ctx context.Context) error {
	in := &iam.CreateUserInput{UserName: aws.String(o.spec.UserName)}
	if o.spec.Path != "" {
		in.Path = aws.String(o.spec.Path)
	}
	if o.spec.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(o.spec.PermissionsBoundary)
	}
	keys := make([]string, 0, len(o.spec.Tags))
	for k := range o.spec.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(o.spec.Tags[k])})
	}
	// A new user carries the record of this run from the start, so a lost
	// reply to any later call (or to CreateUser itself) is recognised.
	if o.needsRecord() {
		o.newRunRecord()
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(OnboardingTag), Value: aws.String(o.rec.value())})
	}
	var u *types.User
	out, err := o.m.api.CreateUser(ctx, in)
	switch {
	case err == nil:
		u, o.fresh = out.User, true
		o.step("user", StepCreated, aws.ToString(u.Arn))
	case isAlreadyExists(err):
		got, gerr := o.m.api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(o.spec.UserName)})
		if gerr != nil {
			return fmt.Errorf("user exists but cannot be read: %w", gerr)
		}
		u = got.User
		o.rec, _ = parseRunRecord(u.Tags)
		if err := o.recordStart(ctx); err != nil {
			return err
		}
		detail := aws.ToString(u.Arn)
		if o.rec.interrupted {
			detail += " (resuming the run begun " + o.rec.started.Format(time.RFC3339) + ")"
		}
		o.step("user", StepExisting, detail)
	default:
		o.rec = runRecord{}
		return err
	}
	o.res.UserName = aws.ToString(u.UserName)
	o.res.UserID = aws.ToString(u.UserId)
	o.res.UserARN = aws.ToString(u.Arn)
	a, err := arn.Parse(o.res.UserARN)
	if err != nil {
		return fmt.Errorf("IAM returned an unparsable user ARN %q: %w", o.res.UserARN, err)
	}
	o.res.AccountID, o.res.Partition = a.AccountID, a.Partition
	o.res.SignInURL = SignInURL(a.Partition, a.AccountID)
	return nil
}

// SignInURL returns the console sign-in page of an account in a partition.
func SignInURL(partition, accountID string) string {
	switch partition {
	case "aws-cn":
		return "https://" + accountID + ".signin.amazonaws.cn/console"
	case "aws-us-gov":
		return "https://" + accountID + ".signin.amazonaws-us-gov.com/console"
	default:
		return "https://" + accountID + ".signin.aws.amazon.com/console"
	}
}

// checkGroup runs check once per group for the whole run: concurrent rows
// wait for the first check instead of repeating it.
func (c *runCache) checkGroup(group string, check func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groupsOK[group] {
		return nil
	}
	if err := check(); err != nil {
		return err
	}
	c.groupsOK[group] = true
	return nil
}

func (o *onboarding) passwordPolicy(ctx context.Context) (*types.PasswordPolicy, error) {
	// Held across the call so a bulk run asks once, not once per worker.
	o.cache.mu.Lock()
	defer o.cache.mu.Unlock()
	if o.cache.policyDone {
		return o.cache.policy, nil
	}
	out, err := o.m.api.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	switch {
	case isNoSuchEntity(err):
		o.cache.policy = nil
	case err != nil:
		return nil, fmt.Errorf("reading the account password policy: %w", err)
	default:
		o.cache.policy = out.PasswordPolicy
	}
	o.cache.policyDone = true
	return o.cache.policy, nil
}

func (o *onboarding) loginProfile(ctx context.Context) error {
	if o.spec.NoConsole {
		o.step("login profile", StepSkipped, "no console access asked for")
		return nil
	}
	if !o.fresh {
		got, err := o.m.api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(o.spec.UserName)})
		switch {
		case err == nil:
			lp := got.LoginProfile
			if o.rec.interrupted && !o.rec.delivered["password"] && lp != nil && o.rec.since(lp.CreateDate) {
				return o.resetPassword(ctx, "the interrupted run never received it")
			}
			o.step("login profile", StepExisting, "kept; its password is not known to this run")
			return nil
		case !isNoSuchEntity(err):
			return fmt.Errorf("reading the login profile: %w", err)
		}
	}
	pw, err := o.newPassword(ctx)
	if err != nil {
		return err
	}
	err = o.m.retryConsistency(ctx, o.fresh, func() error {
		_, err := o.m.api.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{
			UserName: aws.String(o.spec.UserName), Password: aws.String(pw), PasswordResetRequired: true,
		})
		return err
	})
	switch {
	case err == nil:
		o.res.Password, o.res.PasswordResetRequired = pw, true
		o.recordDelivered("password")
		o.step("login profile", StepCreated, "password reset required at first sign-in")
	case isAlreadyExists(err):
		// Absent a moment ago (or the user is new): this run made it, and
		// the reply was lost on the way (the SDK's retry found it made).
		return o.resetPassword(ctx, "the reply to CreateLoginProfile was lost")
	default:
		return err
	}
	return nil
}

func (o *onboarding) newPassword(ctx context.Context) (string, error) {
	policy, err := o.passwordPolicy(ctx)
	if err != nil {
		return "", err
	}
	return generatePassword(policy, o.m.rand)
}

// resetPassword sets a new password, reset required, on a login profile
// made by this onboarding whose password nobody received.
func (o *onboarding) resetPassword(ctx context.Context, why string) error {
	pw, err := o.newPassword(ctx)
	if err != nil {
		return err
	}
	err = o.m.retryConsistency(ctx, o.fresh, func() error {
		_, err := o.m.api.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{
			UserName: aws.String(o.spec.UserName), Password: aws.String(pw), PasswordResetRequired: aws.Bool(true),
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("resetting the password nobody received: %w", err)
	}
	o.res.Password, o.res.PasswordResetRequired = pw, true
	o.recordDelivered("password")
	o.step("login profile", StepReplaced, "password reset ("+why+"); reset required at first sign-in")
	return nil
}

func (o *onboarding) mfaDevice(ctx context.Context) error {
	if o.spec.NoMFA {
		o.step("mfa", StepSkipped, "no MFA asked for")
		return nil
	}
	if !o.fresh {
		out, err := o.m.api.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(o.spec.UserName)})
		if err != nil {
			return fmt.Errorf("listing MFA devices: %w", err)
		}
		if len(out.MFADevices) > 0 {
			o.res.MFASerial = aws.ToString(out.MFADevices[0].SerialNumber)
			o.step("mfa", StepExisting, o.res.MFASerial)
			return nil
		}
	}
	status := StepCreated
	create := func() (*types.VirtualMFADevice, error) {
		in := &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(o.spec.UserName)}
		if o.spec.Path != "" {
			in.Path = aws.String(o.spec.Path)
		}
		out, err := o.m.api.CreateVirtualMFADevice(ctx, in)
		if err != nil {
			return nil, err
		}
		return out.VirtualMFADevice, nil
	}
	dev, err := create()
	if isAlreadyExists(err) {
		// A leftover of an earlier, interrupted run: remove it if unassigned.
		if err := o.removeLeftoverDevice(ctx); err != nil {
			return err
		}
		status = StepReplaced
		dev, err = create()
	}
	if err != nil {
		return fmt.Errorf("creating the virtual MFA device: %w", err)
	}
	serial, seed := aws.ToString(dev.SerialNumber), string(dev.Base32StringSeed)
	err = o.m.retryConsistency(ctx, o.fresh, func() error {
		return mfa.Enable(ctx, o.m.api, o.m.clock, o.spec.UserName, serial, seed)
	})
	if err != nil {
		return err
	}
	uri := mfa.URI(seed, mfa.URIOptions{Issuer: o.m.issuer, AccountName: o.spec.UserName + "@" + o.res.AccountID})
	png, err := mfa.QRCodePNG(uri, 0)
	if err != nil {
		return fmt.Errorf("rendering the QR code: %w", err)
	}
	o.res.MFASerial, o.res.MFASeed, o.res.OTPAuthURI, o.res.QRCodePNG = serial, seed, uri, png
	o.step("mfa", status, serial+" enabled")
	return nil
}

// removeLeftoverDevice deletes the unassigned virtual MFA device named after
// the user. An assigned one belongs to someone: it is never touched.
func (o *onboarding) removeLeftoverDevice(ctx context.Context) error {
	suffix := "mfa" + o.pathOrRoot() + o.spec.UserName
	p := iam.NewListVirtualMFADevicesPaginator(o.m.api, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeAny})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("looking for a leftover MFA device: %w", err)
		}
		for _, d := range page.VirtualMFADevices {
			serial := aws.ToString(d.SerialNumber)
			if !strings.HasSuffix(strings.ToLower(serial), ":"+strings.ToLower(suffix)) {
				continue
			}
			if d.User != nil {
				return fmt.Errorf("virtual MFA device %s is assigned to %s; refusing to replace it", serial, aws.ToString(d.User.UserName))
			}
			if _, err := o.m.api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil && !isNoSuchEntity(err) {
				return fmt.Errorf("removing leftover MFA device %s: %w", serial, err)
			}
			return nil
		}
	}
	return fmt.Errorf("a virtual MFA device named %s exists but could not be found to replace", o.spec.UserName)
}

func (o *onboarding) pathOrRoot() string {
	if o.spec.Path == "" {
		return "/"
	}
	return o.spec.Path
}

func (o *onboarding) addGroups(ctx context.Context) error {
	if len(o.spec.Groups) == 0 {
		o.step("groups", StepSkipped, "none asked for")
		return nil
	}
	member := map[string]bool{}
	if !o.fresh {
		p := iam.NewListGroupsForUserPaginator(o.m.api, &iam.ListGroupsForUserInput{UserName: aws.String(o.spec.UserName)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("listing the user's groups: %w", err)
			}
			for _, g := range page.Groups {
				member[strings.ToLower(aws.ToString(g.GroupName))] = true
			}
		}
	}
	var added []string
	for _, g := range o.spec.Groups {
		o.res.Groups = append(o.res.Groups, g)
		if member[strings.ToLower(g)] {
			continue
		}
		err := o.m.retryConsistency(ctx, o.fresh, func() error {
			_, err := o.m.api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(o.spec.UserName), GroupName: aws.String(g)})
			return err
		})
		if err != nil {
			return fmt.Errorf("adding to group %s: %w", g, err)
		}
		added = append(added, g)
	}
	if len(added) == 0 {
		o.step("groups", StepExisting, strings.Join(o.spec.Groups, ", "))
	} else {
		o.step("groups", StepCreated, strings.Join(added, ", "))
	}
	return nil
}

func (o *onboarding) accessKey(ctx context.Context) error {
	if !o.spec.AccessKey {
		o.step("access key", StepSkipped, "not asked for")
		return nil
	}
	status := StepCreated
	before := map[string]bool{}
	if !o.fresh {
		// Keys an interrupted run made since it began and never handed
		// back go first (if never used); any other key is kept.
		kept, removed, err := o.sweepOrphanKeys(ctx, func(k types.AccessKeyMetadata) bool {
			before[aws.ToString(k.AccessKeyId)] = true
			return o.rec.interrupted && !o.rec.delivered[aws.ToString(k.AccessKeyId)] && o.rec.since(k.CreateDate)
		})
		if err != nil {
			return err
		}
		if len(kept) > 0 {
			o.res.AccessKeyID = kept[0]
			o.step("access key", StepExisting, o.res.AccessKeyID+" kept; its secret cannot be shown again (delete it and re-run if it was never delivered)")
			return nil
		}
		if removed > 0 {
			status = StepReplaced
		}
	}
	var key *types.AccessKey
	var retried bool
	err := o.m.retryConsistency(ctx, o.fresh, func() error {
		out, err := o.m.api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(o.spec.UserName)})
		if err == nil {
			key = out.AccessKey
			ar, ok := retry.GetAttemptResults(out.ResultMetadata)
			retried = ok && len(ar.Results) > 1
		}
		return err
	})
	if err != nil {
		return err
	}
	o.res.AccessKeyID, o.res.SecretAccessKey = aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey)
	o.recordDelivered(o.res.AccessKeyID)
	// When the SDK resent the request, the first attempt's reply may have
	// been lost after IAM made a key: one this run made and nobody holds,
	// not there before. Remove it too.
	if retried {
		_, removed, err := o.sweepOrphanKeys(ctx, func(k types.AccessKeyMetadata) bool {
			id := aws.ToString(k.AccessKeyId)
			return id != o.res.AccessKeyID && !before[id]
		})
		if err != nil {
			return err
		}
		if removed > 0 {
			status = StepReplaced
		}
	}
	o.step("access key", status, o.res.AccessKeyID)
	return nil
}

func (o *onboarding) sshKeys(ctx context.Context) error {
	if len(o.spec.SSHPublicKeys) == 0 {
		o.step("ssh keys", StepSkipped, "none given")
		return nil
	}
	created, existing := 0, 0
	// A user this run did not create may hold some of the keys already:
	// compare fingerprints first, so that idempotency does not rest on the
	// endpoint answering DuplicateSSHPublicKey.
	have, err := o.existingKeyFingerprints(ctx)
	if err != nil {
		return err
	}
	for _, body := range o.spec.SSHPublicKeys {
		if fp := fingerprint(body); fp != "" && have[fp] {
			existing++
			continue
		}
		var id string
		err := o.m.retryConsistency(ctx, o.fresh, func() error {
			out, err := o.m.api.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(o.spec.UserName), SSHPublicKeyBody: aws.String(body)})
			if err == nil {
				id = aws.ToString(out.SSHPublicKey.SSHPublicKeyId)
			}
			return err
		})
		var dup *types.DuplicateSSHPublicKeyException
		switch {
		case errors.As(err, &dup):
			existing++
		case err != nil:
			return fmt.Errorf("uploading SSH key %s: %w", abbreviate(body), err)
		default:
			created++
			o.res.SSHPublicKeyIDs = append(o.res.SSHPublicKeyIDs, id)
		}
	}
	status := StepCreated
	if created == 0 {
		status = StepExisting
	}
	o.step("ssh keys", status, fmt.Sprintf("%d uploaded, %d already there", created, existing))
	return nil
}

// existingKeyFingerprints returns the SHA256 fingerprints of the SSH keys
// the user holds, or none without a call when this run created the user.
func (o *onboarding) existingKeyFingerprints(ctx context.Context) (map[string]bool, error) {
	have := map[string]bool{}
	if o.fresh {
		return have, nil
	}
	u := aws.String(o.spec.UserName)
	for p := iam.NewListSSHPublicKeysPaginator(o.m.api, &iam.ListSSHPublicKeysInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing SSH keys: %w", err)
		}
		for _, k := range page.SSHPublicKeys {
			out, err := o.m.api.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: u,
				SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypeSsh})
			if err != nil {
				return nil, fmt.Errorf("reading SSH key %s: %w", aws.ToString(k.SSHPublicKeyId), err)
			}
			if fp := fingerprint(aws.ToString(out.SSHPublicKey.SSHPublicKeyBody)); fp != "" {
				have[fp] = true
			}
		}
	}
	return have, nil
}

// fingerprint returns the SHA256 fingerprint of an authorized_keys line, or
// "" when it does not parse.
func fingerprint(body string) string {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(body))
	if err != nil {
		return ""
	}
	return ssh.FingerprintSHA256(k)
}
