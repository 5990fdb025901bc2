package iamuser

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// OnboardingTag is the user tag in which Onboard records a run in progress:
// its value is the run's start (RFC 3339, UTC, whole seconds) followed by
// what the run has handed back in a Result so far ("password", access key
// IDs), separated by spaces. It is set before the first credential is made
// (in CreateUser's tags for a new user) and removed when the run succeeds,
// so a user carrying it was left by an interrupted run. A re-run decides
// from it what a lost reply made: a login profile or an access key created
// since the run began (within an hour of it: a credential made later was
// made by other means, and is kept) whose secret was never handed back.
// Spec.Tags may not use it.
//
// A tag, rather than a file beside the bundle, because the record must
// travel with the user: a re-run from another machine, another output
// directory or another program (OnboardBulk, a Lambda) sees it, and a run
// that never got as far as a bundle still leaves it.
const OnboardingTag = "iamkit:onboarding-started"

// runRecord is the parsed OnboardingTag.
type runRecord struct {
	present     bool            // the user carries the tag (set by this run or an earlier one)
	interrupted bool            // it was there before this run: an earlier run did not finish
	started     time.Time       // when the recorded run began
	delivered   map[string]bool // "password" and access key IDs handed back in a Result
}

func (r *runRecord) value() string {
	parts := append([]string{r.started.UTC().Format(time.RFC3339)}, sortedKeys(r.delivered)...)
	return strings.Join(parts, " ")
}

// maxRunLength bounds how long after its start an onboarding run can have
// made a credential: one made later is not an interrupted run's lost
// reply, even if unused (an admin made it by other means), and is kept.
const maxRunLength = time.Hour

// since reports whether t is at or after the recorded start (IAM's dates
// have whole seconds, as the record has) and within maxRunLength of it.
func (r *runRecord) since(t *time.Time) bool {
	return r.present && t != nil && !t.Before(r.started) && t.Before(r.started.Add(maxRunLength))
}

// parseRunRecord reads the OnboardingTag among tags; ok is false when it is
// absent or unreadable (an unreadable one is treated as absent: nothing is
// reset on its word).
func parseRunRecord(tags []types.Tag) (rec runRecord, ok bool) {
	for _, t := range tags {
		if !strings.EqualFold(aws.ToString(t.Key), OnboardingTag) {
			continue
		}
		fields := strings.Fields(aws.ToString(t.Value))
		if len(fields) == 0 {
			return runRecord{}, false
		}
		started, err := time.Parse(time.RFC3339, fields[0])
		if err != nil || started.UTC().Year() < 1970 || started.UTC().Year() > 9999 {
			return runRecord{}, false
		}
		rec = runRecord{present: true, interrupted: true, started: started.UTC(), delivered: map[string]bool{}}
		for _, f := range fields[1:] {
			rec.delivered[f] = true
		}
		return rec, true
	}
	return runRecord{}, false
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newRunRecord starts the record of this run.
func (o *onboarding) newRunRecord() {
	o.rec = runRecord{present: true, started: o.m.clock.Now().UTC().Truncate(time.Second), delivered: map[string]bool{}}
}

// needsRecord reports whether the spec makes a secret a lost reply could
// swallow: a password or an access key (a lost MFA device is replaced by
// name, see removeLeftoverDevice).
func (o *onboarding) needsRecord() bool { return !o.spec.NoConsole || o.spec.AccessKey }

// recordStart writes the record of this run on a user that carries none,
// before any credential is made.
func (o *onboarding) recordStart(ctx context.Context) error {
	if o.rec.present || !o.needsRecord() {
		return nil
	}
	o.newRunRecord()
	if err := o.writeRecord(ctx); err != nil {
		o.rec = runRecord{}
		if notImplemented(err) {
			// An endpoint without TagUser (an emulator): onboard without
			// the record; a lost reply then goes unrecognised.
			o.m.log.WarnContext(ctx, "the endpoint does not implement TagUser: a lost reply of this run will not be recognised",
				"user", o.spec.UserName, "error", err)
			return nil
		}
		return fmt.Errorf("recording the onboarding run in tag %s: %w", OnboardingTag, err)
	}
	return nil
}

func (o *onboarding) writeRecord(ctx context.Context) error {
	_, err := o.m.api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(o.spec.UserName),
		Tags: []types.Tag{{Key: aws.String(OnboardingTag), Value: aws.String(o.rec.value())}}})
	return err
}

// recordDelivered notes that item (the password or an access key ID) is
// handed back in the Result. It is written to the tag only if the run then
// fails (failRecord): a run that succeeds removes the tag, and a process
// killed before Onboard returned never delivered it.
func (o *onboarding) recordDelivered(item string) {
	if o.rec.present {
		o.rec.delivered[item] = true
	}
}

// failRecord writes what the failed run handed back, so the re-run keeps
// it. A failure only costs a needless reset on the re-run: it is logged.
func (o *onboarding) failRecord(ctx context.Context) {
	if !o.rec.present || len(o.rec.delivered) == 0 {
		return
	}
	if err := o.writeRecord(ctx); err != nil {
		o.m.log.WarnContext(ctx, "could not update the onboarding record", "user", o.spec.UserName, "tag", OnboardingTag, "error", err)
	}
}

// finishRecord removes the record once the run succeeded. If it cannot,
// it writes what the run handed back into the record instead (as
// failRecord does), so that a re-run does not take a delivered password or
// access key for a lost reply and reset or delete it; a failure of both is
// logged.
func (o *onboarding) finishRecord(ctx context.Context) {
	if !o.rec.present {
		return
	}
	_, err := o.m.api.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(o.spec.UserName), TagKeys: []string{OnboardingTag}})
	if err != nil {
		o.m.log.WarnContext(ctx, "could not remove the onboarding record", "user", o.spec.UserName, "tag", OnboardingTag, "error", err)
		o.failRecord(ctx)
		return
	}
	o.rec = runRecord{}
}

// OrphanAccessKeyError is returned (inside a *StepError) when the user holds
// an access key that an interrupted onboarding created after it began but
// whose secret it never handed back (the CreateAccessKey reply was lost),
// and the key cannot safely be replaced because it has been used since.
// Nothing is deleted: someone holds that key.
type OrphanAccessKeyError struct {
	UserName    string
	AccessKeyID string
	Created     time.Time
	LastUsed    time.Time
	Service     string // the service it was last used with
}

func (e *OrphanAccessKeyError) Error() string {
	return fmt.Sprintf("access key %s was created at %s by an interrupted onboarding that never received its secret, and it was used at %s (%s): "+
		"find who holds it, or delete it (aws iam delete-access-key --user-name %s --access-key-id %s), then re-run",
		e.AccessKeyID, e.Created.UTC().Format(time.RFC3339), e.LastUsed.UTC().Format(time.RFC3339), e.Service, e.UserName, e.AccessKeyID)
}

// sweepOrphanKeys lists the user's access keys and removes those orphan
// reports as left by a lost CreateAccessKey reply, if never used; a used one
// is an *OrphanAccessKeyError. It returns the IDs of the keys kept and how
// many were removed.
func (o *onboarding) sweepOrphanKeys(ctx context.Context, orphan func(types.AccessKeyMetadata) bool) (kept []string, removed int, err error) {
	u := aws.String(o.spec.UserName)
	out, err := o.m.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u})
	if err != nil {
		return nil, 0, fmt.Errorf("listing access keys: %w", err)
	}
	for _, k := range out.AccessKeyMetadata {
		id := aws.ToString(k.AccessKeyId)
		if !orphan(k) {
			kept = append(kept, id)
			continue
		}
		used, err := o.m.api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
		if err != nil {
			return nil, removed, fmt.Errorf("checking whether access key %s was used: %w", id, err)
		}
		if lu := used.AccessKeyLastUsed; lu != nil && lu.LastUsedDate != nil {
			return nil, removed, &OrphanAccessKeyError{UserName: o.spec.UserName, AccessKeyID: id, Created: aws.ToTime(k.CreateDate),
				LastUsed: *lu.LastUsedDate, Service: aws.ToString(lu.ServiceName)}
		}
		if _, err := o.m.api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: k.AccessKeyId}); err != nil && !isNoSuchEntity(err) {
			return nil, removed, fmt.Errorf("removing orphan access key %s: %w", id, err)
		}
		o.m.log.InfoContext(ctx, "removed an access key whose secret was never delivered", "user", o.spec.UserName, "access_key_id", id)
		removed++
	}
	return kept, removed, nil
}
