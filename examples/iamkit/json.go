package main

import (
	"encoding/json"
	"io"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/s3snapshot"
	"github.com/iamkit/iamkit/iamuser"
)

// The --json shapes. Each command prints exactly one JSON document on
// stdout (nothing else goes there); field names are snake_case, empty
// fields are left out. No secret is ever in them: not the password, the
// MFA secret, the otpauth URI, the QR code or the secret access key — the
// credentials bundle stays the only place for those; secrets_in_bundle
// only names which of them the bundle holds.

// onboardJSON is "user create --json", and one row of "user import --json".
type onboardJSON struct {
	// Line is the CSV line of the row (user import only).
	Line int `json:"line,omitempty"`
	// User is the IAM user name.
	User string `json:"user"`
	// Status is "ok", "resumed" (part of the work was already done) or
	// "failed".
	Status string `json:"status"`
	// UserARN and UserID identify the user once it exists.
	UserARN string `json:"user_arn,omitempty"`
	UserID  string `json:"user_id,omitempty"`
	// SignInURL is the account's console sign-in page.
	SignInURL string `json:"sign_in_url,omitempty"`
	// PasswordResetRequired is true when the console password must be
	// changed at first sign-in.
	PasswordResetRequired bool `json:"password_reset_required,omitempty"`
	// MFASerial is the MFA device's serial number (enabled).
	MFASerial string `json:"mfa_serial,omitempty"`
	// Groups are the groups the user is in.
	Groups []string `json:"groups,omitempty"`
	// AccessKeyID is the access key's ID (never its secret).
	AccessKeyID string `json:"access_key_id,omitempty"`
	// SSHPublicKeyIDs are the IDs of the uploaded SSH keys.
	SSHPublicKeyIDs []string `json:"ssh_public_key_ids,omitempty"`
	// Steps are the onboarding steps: name, status, detail.
	Steps []stepJSON `json:"steps,omitempty"`
	// SecretsInBundle names the new secrets the bundle holds: "password",
	// "mfa_secret", "secret_access_key". Empty: no bundle was written.
	SecretsInBundle []string `json:"secrets_in_bundle,omitempty"`
	// Bundle is the directory of the credentials bundle, and BundleFiles
	// its files.
	Bundle      string   `json:"bundle,omitempty"`
	BundleFiles []string `json:"bundle_files,omitempty"`
	// Error is why the onboarding, or writing the bundle, failed.
	Error string `json:"error,omitempty"`
}

// stepJSON is one onboarding step.
type stepJSON struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// importJSON is "user import --json".
type importJSON struct {
	// File is the CSV file ("-": stdin).
	File string `json:"file"`
	// Rows are the rows, in file order.
	Rows []onboardJSON `json:"rows"`
	// OK and Failed count the rows; NothingCreated is true when a bad row
	// or a missing group stopped the import before anyone was created.
	OK             int  `json:"ok"`
	Failed         int  `json:"failed"`
	NothingCreated bool `json:"nothing_created,omitempty"`
}

// offboardJSON is "user delete --json".
type offboardJSON struct {
	// User is the IAM user name; Exists is false when it does not exist
	// (nothing to do).
	User   string `json:"user"`
	Exists bool   `json:"exists"`
	// DryRun is true with --dry-run: Plan only, nothing changed.
	DryRun bool `json:"dry_run,omitempty"`
	// Plan is every action, in the order they run.
	Plan []offboardActionJSON `json:"plan"`
	// Warnings name the optional listings the endpoint does not implement.
	Warnings []string `json:"warnings,omitempty"`
	// Results say what each action did (not with --dry-run).
	Results []offboardActionJSON `json:"results,omitempty"`
	// Verified is true when IAM answers, after the run, that the user is
	// gone.
	Verified bool `json:"verified,omitempty"`
	// Error is why planning or applying failed.
	Error string `json:"error,omitempty"`
}

// offboardActionJSON is one action of an offboarding plan or report.
type offboardActionJSON struct {
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	// Status is "done", "already gone" or "failed" (results only).
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// hostsyncPlanJSON is "hostsync plan --json".
type hostsyncPlanJSON struct {
	// Actions are the planned steps, in order.
	Actions []hostsyncActionJSON `json:"actions"`
	// Skipped are the users and keys left alone, with reasons.
	Skipped []hostsyncSkipJSON `json:"skipped,omitempty"`
	// Notes are remarks on the run as a whole.
	Notes []string `json:"notes,omitempty"`
	// Halted is why the plan refuses to change anything (DONOTSYNC, an
	// unknown source, ...).
	Halted string `json:"halted,omitempty"`
	// Error is why IAM or the host could not be read.
	Error string `json:"error,omitempty"`
}

// hostsyncActionJSON is one planned host-sync step. Keys are given by
// fingerprint and ID; the state bytes are left out.
type hostsyncActionJSON struct {
	Kind    string   `json:"kind"`
	User    string   `json:"user,omitempty"`
	IAMName string   `json:"iam_name,omitempty"`
	UID     int      `json:"uid,omitempty"`
	From    string   `json:"from,omitempty"`
	Groups  []string `json:"groups,omitempty"`
	Keys    []string `json:"keys,omitempty"` // "SHA256:... (APKA...)"
	Reason  string   `json:"reason,omitempty"`
}

// hostsyncSkipJSON is one user or key a host sync leaves alone.
type hostsyncSkipJSON struct {
	IAMName string `json:"iam_name,omitempty"`
	User    string `json:"user,omitempty"`
	Reason  string `json:"reason"`
}

// publishJSON is "hostsync publish --json".
type publishJSON struct {
	// Object is s3://BUCKET/KEY.
	Object string `json:"object"`
	// Written is true when the object was (re)written; WouldWrite, with
	// --dry-run, when it would have been.
	Written    bool `json:"written"`
	WouldWrite bool `json:"would_write,omitempty"`
	DryRun     bool `json:"dry_run,omitempty"`
	// Reason says why it was, or was not, written.
	Reason     string `json:"reason,omitempty"`
	ETag       string `json:"etag,omitempty"`
	VersionID  string `json:"version_id,omitempty"`
	Digest     string `json:"content_sha256,omitempty"`
	Generation uint64 `json:"generation,omitempty"`
	Size       int    `json:"size"`
	Users      int    `json:"users"`
	Keys       int    `json:"keys"`
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newOnboardJSON describes res (nil: nothing was made) and err, never a
// secret.
func newOnboardJSON(user string, res *iamuser.Result, err error) onboardJSON {
	j := onboardJSON{User: user, Status: "ok"}
	if res != nil {
		j.UserARN, j.UserID, j.SignInURL = res.UserARN, res.UserID, res.SignInURL
		j.PasswordResetRequired = res.Password != "" && res.PasswordResetRequired
		j.MFASerial, j.Groups, j.AccessKeyID, j.SSHPublicKeyIDs = res.MFASerial, res.Groups, res.AccessKeyID, res.SSHPublicKeyIDs
		for _, s := range res.Steps {
			j.Steps = append(j.Steps, stepJSON{Name: s.Name, Status: string(s.Status), Detail: s.Detail})
		}
		if resumed(res) {
			j.Status = "resumed"
		}
	}
	if err != nil {
		j.Status, j.Error = "failed", oneLine(err)
	}
	return j
}

// secretNames names the new secrets res holds, for secrets_in_bundle.
func secretNames(res *iamuser.Result) []string {
	var names []string
	if res.Password != "" {
		names = append(names, "password")
	}
	if res.MFASeed != "" {
		names = append(names, "mfa_secret")
	}
	if res.SecretAccessKey != "" {
		names = append(names, "secret_access_key")
	}
	return names
}

func newOffboardPlanJSON(p *iamuser.OffboardPlan) offboardJSON {
	j := offboardJSON{User: p.UserName, Exists: p.Exists, Plan: []offboardActionJSON{}, Warnings: p.Warnings}
	for _, a := range p.Actions {
		j.Plan = append(j.Plan, offboardActionJSON{Action: string(a.Kind), Target: a.Target})
	}
	return j
}

func (j *offboardJSON) addReport(rep *iamuser.OffboardReport) {
	if rep == nil {
		return
	}
	for _, r := range rep.Results {
		a := offboardActionJSON{Action: string(r.Action.Kind), Target: r.Action.Target, Status: r.Status}
		if r.Err != nil {
			a.Error = oneLine(r.Err)
		}
		j.Results = append(j.Results, a)
	}
	j.Verified = rep.Verified
}

func newHostsyncPlanJSON(p hostsync.SyncPlan, err error) hostsyncPlanJSON {
	j := hostsyncPlanJSON{Actions: []hostsyncActionJSON{}, Notes: p.Notes}
	for _, a := range p.Actions {
		ja := hostsyncActionJSON{Kind: string(a.Kind), User: a.User, IAMName: a.IAMName, UID: a.UID, From: a.From, Groups: a.Groups, Reason: a.Reason}
		for _, k := range a.Keys {
			ja.Keys = append(ja.Keys, k.Fingerprint+" ("+k.ID+")")
		}
		j.Actions = append(j.Actions, ja)
	}
	for _, s := range p.Skipped {
		j.Skipped = append(j.Skipped, hostsyncSkipJSON{IAMName: s.IAMName, User: s.User, Reason: s.Reason})
	}
	if p.Halted != nil {
		j.Halted = oneLine(p.Halted)
	}
	if err != nil && (p.Halted == nil || err.Error() != p.Halted.Error()) {
		j.Error = oneLine(err)
	}
	return j
}

func newPublishJSON(object string, res s3snapshot.PublishResult, dryRun, wouldWrite bool) publishJSON {
	return publishJSON{Object: object, Written: res.Written && !dryRun, WouldWrite: wouldWrite, DryRun: dryRun,
		Reason: res.Reason, ETag: res.ETag, VersionID: res.VersionID, Digest: res.Digest, Generation: res.Generation,
		Size: res.Size, Users: res.Users, Keys: res.Keys}
}
