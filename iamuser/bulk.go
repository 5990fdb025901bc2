package iamuser

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// CSVColumns are the columns ParseCSV understands, in any order after a header
// row. Only user_name is required.
//
//	user_name             IAM user name
//	groups                group names separated by ';'
//	path                  IAM path, e.g. /engineering/
//	tags                  key=value pairs separated by ';'
//	permissions_boundary  managed policy ARN
//	console               true (default) or false: create a login profile
//	mfa                   true (default) or false: create and enable a virtual MFA device
//	access_key            true or false (default): create an access key
//	ssh_public_keys       OpenSSH public keys separated by ';'
var CSVColumns = []string{"user_name", "groups", "path", "tags", "permissions_boundary", "console", "mfa", "access_key", "ssh_public_keys"}

// CSVError reports a bad row or header of a bulk-onboarding CSV file.
type CSVError struct {
	Line int // 1-based line in the file
	Msg  string
}

func (e *CSVError) Error() string { return fmt.Sprintf("iamuser: CSV line %d: %s", e.Line, e.Msg) }

// Row is one parsed CSV row: its line number and the Spec it describes.
type Row struct {
	Line int
	Spec Spec
}

// ParseCSV reads a bulk-onboarding file (see CSVColumns). Every row is
// validated; the first bad row is reported with its line number and nothing is
// returned, so a bad file onboards no one. Duplicate user names (compared
// case-insensitively, as IAM does) are refused.
func ParseCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &CSVError{Line: 1, Msg: "empty file: a header row naming the columns is required"}
	}
	if err != nil {
		return nil, &CSVError{Line: 1, Msg: err.Error()}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		known := false
		for _, c := range CSVColumns {
			known = known || c == h
		}
		if !known {
			return nil, &CSVError{Line: 1, Msg: fmt.Sprintf("unknown column %q (known: %s)", h, strings.Join(CSVColumns, ", "))}
		}
		if _, dup := col[h]; dup {
			return nil, &CSVError{Line: 1, Msg: fmt.Sprintf("column %q appears twice", h)}
		}
		col[h] = i
	}
	if _, ok := col["user_name"]; !ok {
		return nil, &CSVError{Line: 1, Msg: "the user_name column is required"}
	}
	var rows []Row
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, &CSVError{Line: line, Msg: err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, &CSVError{Line: line, Msg: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))}
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		boolean := func(name string, def bool) (bool, error) {
			v := get(name)
			if v == "" {
				return def, nil
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return false, &CSVError{Line: line, Msg: fmt.Sprintf("column %s: %q is not true or false", name, v)}
			}
			return b, nil
		}
		spec := Spec{UserName: get("user_name"), Path: get("path"), PermissionsBoundary: get("permissions_boundary"), Groups: splitList(get("groups"))}
		if tags := splitList(get("tags")); len(tags) > 0 {
			spec.Tags = map[string]string{}
			for _, t := range tags {
				k, v, ok := strings.Cut(t, "=")
				if !ok {
					return nil, &CSVError{Line: line, Msg: fmt.Sprintf("tag %q is not key=value", t)}
				}
				spec.Tags[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
		console, err := boolean("console", true)
		if err != nil {
			return nil, err
		}
		withMFA, err := boolean("mfa", true)
		if err != nil {
			return nil, err
		}
		spec.NoConsole, spec.NoMFA = !console, !withMFA
		if spec.AccessKey, err = boolean("access_key", false); err != nil {
			return nil, err
		}
		spec.SSHPublicKeys = splitList(get("ssh_public_keys"))
		if err := spec.Validate(); err != nil {
			msg := err.Error()
			if ve, ok := errors.AsType[*ValidationError](err); ok {
				msg = ve.text()
			}
			return nil, &CSVError{Line: line, Msg: msg}
		}
		key := strings.ToLower(spec.UserName)
		if prev, dup := seen[key]; dup {
			return nil, &CSVError{Line: line, Msg: fmt.Sprintf("user %s is already on line %d", spec.UserName, prev)}
		}
		seen[key] = line
		rows = append(rows, Row{Line: line, Spec: spec})
	}
	return rows, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// WithConcurrency sets how many users OnboardBulk onboards at once
// (default 8; zero or negative means the default). IAM's API rate limits
// are account-wide; the SDK's retryer absorbs throttling. Given to New it is
// the Manager's default; given to OnboardBulk it applies to that call.
func WithConcurrency(n int) Option { return func(s *settings) { s.concurrency = n } }

// WithProgress sets a function OnboardBulk calls after each row with the
// number of rows done so far; calls are serialised. Given to New it is the
// Manager's default; given to OnboardBulk it applies to that call. nil: no
// progress calls.
func WithProgress(progress func(done, total int, r BulkResult)) Option {
	return func(s *settings) { s.progress = progress }
}

// ErrNotAttempted is the error of a bulk row that was not onboarded because
// another row of the same run is invalid (a bad spec or a missing group):
// OnboardBulk creates nobody unless every row can be onboarded.
var ErrNotAttempted = errors.New("iamuser: not attempted: another row is invalid, so nobody was created")

// preflight validates every row and checks every group the rows name
// (each once) before anyone is created. When a row is invalid, or the
// check itself fails, it fills results — the row's error, ErrNotAttempted
// (wrapped, with the reason) for the others — and reports true: the run
// stops there, having created nothing.
func (m *Manager) preflight(ctx context.Context, rows []Row, cache *runCache, results []BulkResult) bool {
	errs := make([]error, len(rows))
	var firstErr error
	for i, row := range rows {
		err := row.Spec.Validate()
		if err == nil {
			err = m.checkGroups(ctx, row.Spec.Groups, cache)
		}
		if err != nil {
			errs[i] = err
			if firstErr == nil {
				firstErr = fmt.Errorf("line %d: %w", row.Line, err)
			}
		}
	}
	if firstErr == nil {
		return false
	}
	for i, row := range rows {
		err := errs[i]
		if err == nil {
			err = fmt.Errorf("%w (%v)", ErrNotAttempted, firstErr)
		}
		results[i] = BulkResult{Row: row, Err: err}
	}
	return true
}

// BulkResult is the outcome of one row.
type BulkResult struct {
	Row    Row
	Result *Result // nil when the row failed before the user was created
	Err    error
}

// OnboardBulk onboards every row with bounded concurrency. First every row
// is validated and every group the rows name is checked to exist (each
// once): if a row is invalid, nobody is created — that row's result holds
// its *ValidationError and every other row's ErrNotAttempted (progress is
// not called). Once onboarding has started, a failing row does not stop the
// others; results come back in row order. Re-running the same
// rows is safe: Onboard resumes users that already exist. The account's
// password policy and each group are looked up once for the whole run.
//
// OnboardBulk reads the options WithConcurrency and WithProgress: the
// call's opts, applied over the ones the Manager was built with. Other
// options are ignored here (build another Manager to change them).
func (m *Manager) OnboardBulk(ctx context.Context, rows []Row, opts ...Option) []BulkResult {
	run := m.settings
	for _, o := range opts {
		if o != nil {
			o(&run)
		}
	}
	n := run.concurrency
	if n <= 0 {
		n = 8
	}
	results := make([]BulkResult, len(rows))
	cache := &runCache{groupsOK: map[string]bool{}}
	if m.preflight(ctx, rows, cache, results) {
		return results
	}
	var (
		wg       sync.WaitGroup
		progress sync.Mutex
		done     int
	)
	sem := make(chan struct{}, n)
	for i, row := range rows {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var res BulkResult
			if err := ctx.Err(); err != nil {
				res = BulkResult{Row: row, Err: err}
			} else {
				r, err := m.onboard(ctx, row.Spec, cache)
				res = BulkResult{Row: row, Result: r, Err: err}
			}
			results[i] = res
			progress.Lock()
			done++
			if run.progress != nil {
				run.progress(done, len(rows), res)
			}
			progress.Unlock()
		}()
	}
	wg.Wait()
	return results
}
