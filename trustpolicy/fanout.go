package trustpolicy

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
)

// DefaultConcurrency is how many accounts ApplyAll works on at once.
const DefaultConcurrency = 4

// Target is one account to apply an edit in: a name for reports (a profile
// name, an account ID, a role ARN) and an IAM client for that account. The
// frontend builds the clients (one per profile with config.LoadDefaultConfig,
// or one per role ARN with stscreds.NewAssumeRoleProvider).
type Target struct {
	Name string
	API  RoleAPI
	// Validator, when set, proves each change in this account with IAM
	// Access Analyzer before it is sent (see WithValidator).
	Validator Validator
	// Caller, when set, names who made a change in the journal
	// (WithJournal).
	Caller CallerAPI
}

// ApplyAll applies the same edit to the role named roleName in every target,
// at most WithConcurrency at a time. One target's failure does not stop the
// others. The results come back in target order, each with its Target name;
// with WithDryRun nothing is changed anywhere and every diff is reported.
// Re-running after a partial failure is safe: the targets already done
// report Unchanged.
func ApplyAll(ctx context.Context, targets []Target, roleName string, edit Edit, opts ...Option) []Result {
	cfg := newConfig(opts)
	n := cfg.concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	results := make([]Result, len(targets))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var r *Result
			if err := ctx.Err(); err != nil {
				r = &Result{Role: roleName, Status: Failed, Err: fmt.Errorf("trustpolicy: %s: %w", t.Name, err)}
			} else {
				v := t.Validator
				if v == nil {
					v = cfg.validator
				}
				tcfg := cfg
				tcfg.target = t.Name
				if t.Caller != nil {
					tcfg.caller = t.Caller
				}
				r = apply(ctx, t.API, v, roleName, edit, &tcfg)
			}
			r.Target = t.Name
			results[i] = *r
			if r.Err != nil {
				cfg.log.WarnContext(ctx, "trust policy edit failed", "target", t.Name, "role", roleName, "err", r.Err)
			}
		}()
	}
	wg.Wait()
	return results
}

// Summary counts results by status.
func Summary(results []Result) map[Status]int {
	m := map[Status]int{}
	for _, r := range results {
		m[r.Status]++
	}
	return m
}

// CustomChecks counts the CheckNoNewAccess calls (custom policy checks,
// charged per call by AWS) the results made.
func CustomChecks(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Check != nil {
			n += r.Check.CustomChecks
		}
	}
	return n
}

// WriteReport writes one block per result for people: the target and role,
// the status (with the reason when it failed), and the diff when the
// document changed or would change; then a count per status. A frontend
// prints it for a dry run and after applying.
func WriteReport(w io.Writer, results []Result) error {
	var sb strings.Builder
	for _, r := range results {
		name := r.Role
		if r.Target != "" {
			name = r.Target + ": " + r.Role
		}
		switch r.Status {
		case Failed:
			fmt.Fprintf(&sb, "%s: %s: %v\n", name, r.Status, r.Err)
		case Changed:
			fmt.Fprintf(&sb, "%s: %s (%d %s)\n", name, r.Status, r.Attempts, plural(r.Attempts, "attempt"))
		default:
			fmt.Fprintf(&sb, "%s: %s\n", name, r.Status)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(&sb, "    warning: %s\n", w)
		}
		if c := r.Check; c != nil {
			verdict := c.NoNewAccess
			if verdict == "" {
				verdict = "not run"
			}
			fmt.Fprintf(&sb, "    Access Analyzer: %d %s (%d blocking); CheckNoNewAccess %s\n",
				len(c.Findings), plural(len(c.Findings), "finding"), len(c.Blocking()), verdict)
			for _, f := range c.Findings {
				fmt.Fprintf(&sb, "      %s\n", f)
			}
			for _, reason := range c.Reasons {
				fmt.Fprintf(&sb, "      reason: %s\n", reason)
			}
			if len(c.NewAccess) == 0 {
				sb.WriteString("    new access (iamkit, from the diff): none\n")
			}
			for _, a := range c.NewAccess {
				fmt.Fprintf(&sb, "    new access (iamkit, from the diff): %s\n", a)
			}
		}
		if r.Diff != "" && r.Status != Unchanged {
			for _, l := range strings.SplitAfter(strings.TrimSuffix(r.Diff, "\n"), "\n") {
				sb.WriteString("    ")
				sb.WriteString(l)
			}
			sb.WriteByte('\n')
		}
	}
	s := Summary(results)
	var parts []string
	for _, st := range []Status{Changed, WouldChange, Unchanged, Skipped, Failed} {
		if s[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", s[st], st))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(&sb, "%s\n", strings.Join(parts, ", "))
	}
	checked := 0
	for _, r := range results {
		if r.Check != nil {
			checked++
		}
	}
	if checked > 0 {
		n := CustomChecks(results)
		fmt.Fprintf(&sb, "Access Analyzer: %d changed %s validated; %d custom policy %s (CheckNoNewAccess, charged per call)\n",
			checked, plural(checked, "document"), n, plural(n, "check"))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
