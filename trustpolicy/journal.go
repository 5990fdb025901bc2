package trustpolicy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerAPI is the part of STS that the journal calls to record who made
// a change; *sts.Client satisfies it.
type CallerAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ CallerAPI = (*sts.Client)(nil)

// JournalEntry is one change recorded in a Journal: enough to undo it, and
// to refuse undoing it on a role that was deleted and created again.
type JournalEntry struct {
	Time     time.Time       `json:"time"`
	Target   string          `json:"target,omitempty"` // the Target's name
	RoleName string          `json:"role_name"`
	RoleID   string          `json:"role_id"` // AROA…: a re-created role has another
	RoleARN  string          `json:"role_arn"`
	Caller   string          `json:"caller"` // GetCallerIdentity's ARN
	Edit     string          `json:"edit"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
}

// ErrJournal is matched (errors.Is) by errors reading or writing a journal.
var ErrJournal = errors.New("trust journal")

// Journal is a local file of JSON lines, one JournalEntry per change,
// only ever appended to: the record `iamkit trust rollback` undoes. It is
// created with mode 0600 (it holds policies and ARNs), and a journal whose
// mode lets others read it is refused. Each entry is appended with one
// write(2) on a file opened O_APPEND and synced before Apply sends the
// change, so an entry is never interleaved with another writer's nor lost
// to a crash after the change was made. Safe for concurrent use.
type Journal struct {
	path string
	mu   sync.Mutex
}

// OpenJournal opens (creating it, and its directory with mode 0700, if
// needed) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	if path == "" {
		return nil, fmt.Errorf("trustpolicy: %w: no path", ErrJournal)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("trustpolicy: %w: %s is not a regular file", ErrJournal, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("trustpolicy: %w: %s has mode %v: others may read it (chmod 600 it)", ErrJournal, path, st.Mode().Perm())
	}
	return &Journal{path: path}, nil
}

// Path returns the journal's file name.
func (j *Journal) Path() string { return j.path }

// Append records e as one line.
func (j *Journal) Append(e JournalEntry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("trustpolicy: %w: appending to %s: %w", ErrJournal, j.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("trustpolicy: %w: syncing %s: %w", ErrJournal, j.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	return nil
}

// maxJournalLine bounds one journal line (two documents of at most a few
// KB, far below it).
const maxJournalLine = 1 << 20

// ReadJournal parses a journal: one JSON object per line, blank lines
// skipped. Every entry must name a role (name, ID, ARN) and hold a valid
// "before" document; a malformed line fails the whole read, naming its
// number, since a rollback from a damaged journal must not guess.
func ReadJournal(r io.Reader) ([]JournalEntry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxJournalLine)
	var out []JournalEntry
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e JournalEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("trustpolicy: %w: line %d: %v", ErrJournal, n, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("trustpolicy: %w: line %d: more than one JSON value", ErrJournal, n)
		}
		switch {
		case e.RoleName == "" || e.RoleID == "" || e.RoleARN == "":
			return nil, fmt.Errorf("trustpolicy: %w: line %d: role_name, role_id and role_arn are required", ErrJournal, n)
		case len(e.Before) == 0:
			return nil, fmt.Errorf("trustpolicy: %w: line %d: no before document", ErrJournal, n)
		}
		if _, err := Parse(e.Before); err != nil {
			return nil, fmt.Errorf("trustpolicy: %w: line %d: before: %w", ErrJournal, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	return out, nil
}

// ReadJournalFile reads the journal at path (ReadJournal).
func ReadJournalFile(path string) ([]JournalEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
		}
		return nil, fmt.Errorf("trustpolicy: %w: %w", ErrJournal, err)
	}
	defer f.Close()
	return ReadJournal(f)
}

// ErrReplaced is matched (errors.Is) when a rollback finds the role under
// the journalled name with another role ID: it was deleted and created
// again, and the journalled document belongs to the old role.
var ErrReplaced = errors.New("the role was replaced (different role ID)")

// ErrOtherAccount is matched (errors.Is) when a rollback's target holds
// the role name under another ARN: the journal entry is for another
// account.
var ErrOtherAccount = errors.New("the role is in another account")

// RollbackPlan is the undo of every journalled change to one role: the
// document it had before the first of them.
type RollbackPlan struct {
	RoleName, RoleID, RoleARN string
	Restore                   *Document
	// Changes counts the journal entries undone; Since is the first one's
	// time.
	Changes int
	Since   time.Time
}

// PlanRollback groups entries by role ID, in the journal's order, keeping
// for each role the document from before its first journalled change.
func PlanRollback(entries []JournalEntry) ([]RollbackPlan, error) {
	var plans []RollbackPlan
	idx := map[string]int{}
	for i, e := range entries {
		if k, ok := idx[e.RoleID]; ok {
			plans[k].Changes++
			continue
		}
		doc, err := Parse(e.Before)
		if err != nil {
			return nil, fmt.Errorf("trustpolicy: %w: entry %d: %w", ErrJournal, i+1, err)
		}
		idx[e.RoleID] = len(plans)
		plans = append(plans, RollbackPlan{RoleName: e.RoleName, RoleID: e.RoleID, RoleARN: e.RoleARN, Restore: doc, Changes: 1, Since: e.Time})
	}
	return plans, nil
}

// Rollback restores the plan's document on the role, through Apply's path
// (diff first, nothing sent when nothing differs, WithDryRun, the checks of
// WithValidator, the journal of WithJournal). It refuses with ErrReplaced
// when the role now has another role ID, and with ErrOtherAccount when the
// role name is another account's role.
func Rollback(ctx context.Context, api RoleAPI, plan RollbackPlan, opts ...Option) (*Result, error) {
	cfg := newConfig(opts)
	cfg.expect = &plan
	res := apply(ctx, api, cfg.validator, plan.RoleName, Replace(plan.Restore), &cfg)
	return res, res.Err
}

// checkExpected is apply's check of the role it read against a rollback plan.
func checkExpected(plan *RollbackPlan, roleID, roleARN string) error {
	if plan == nil {
		return nil
	}
	if !strings.EqualFold(roleARN, plan.RoleARN) {
		return fmt.Errorf("%w: %s is not %s", ErrOtherAccount, roleARN, plan.RoleARN)
	}
	if roleID != plan.RoleID {
		return fmt.Errorf("%w: %s now has role ID %s, the journal has %s; its old trust policy is not restored onto the new role", ErrReplaced, plan.RoleName, roleID, plan.RoleID)
	}
	return nil
}

// journalEntry builds the entry of one change.
func journalEntry(ctx context.Context, caller CallerAPI, now time.Time, target string, res *Result, edit Edit) (JournalEntry, error) {
	e := JournalEntry{
		Time: now.UTC(), Target: target, RoleName: res.Role, RoleID: res.RoleID, RoleARN: res.RoleARN,
		Edit: edit.String(), Before: res.Before.Bytes(), After: res.After.Bytes(),
	}
	if caller != nil {
		out, err := caller.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return e, fmt.Errorf("trustpolicy: %w: asking who the caller is: %w", ErrJournal, err)
		}
		e.Caller = aws.ToString(out.Arn)
	}
	return e, nil
}
