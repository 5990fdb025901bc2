package trustpolicy

import (
	"context"
	"fmt"
	"sync"
)

// Skipped is the status of a role PruneAllRoles leaves alone: a
// service-linked role, whose trust policy only its AWS service may change.
const Skipped Status = "skipped"

// AccountAPI is what PruneAllRoles calls in an account: ListRoles, GetRole
// and UpdateAssumeRolePolicy. *iam.Client satisfies it; a Target's API is
// used as one when it has ListRoles.
type AccountAPI interface {
	RoleAPI
	ListRolesAPI
}

// PruneAllRoles plans and prunes, in every target account, the unique IDs
// (AIDA…, AROA…) of deleted users and roles left in any role's trust
// policy: it lists the roles (ListRoleTrust), and applies PruneUniqueIDs to
// each role that names one, with Apply's checks, dry run and journal
// (each change is read again with GetRole, so a role changed since the
// listing is pruned as it now is). Service-linked roles are reported as
// Skipped, never sent. Roles naming no unique ID are not reported. The
// accounts are worked on WithConcurrency at a time, the roles of one
// account one after the other; the results come back in target order, then
// listing order. A failed listing is one Failed result for the target.
func PruneAllRoles(ctx context.Context, targets []Target, opts ...Option) []Result {
	cfg := newConfig(opts)
	n := cfg.concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	perTarget := make([][]Result, len(targets))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			perTarget[i] = pruneTarget(ctx, t, &cfg)
		}()
	}
	wg.Wait()
	var out []Result
	for _, rs := range perTarget {
		out = append(out, rs...)
	}
	return out
}

func pruneTarget(ctx context.Context, t Target, cfg *config) []Result {
	failed := func(err error) []Result {
		return []Result{{Target: t.Name, Role: "*", Status: Failed, Err: err}}
	}
	lister, ok := t.API.(ListRolesAPI)
	if !ok {
		return failed(fmt.Errorf("trustpolicy: %s: the client cannot list roles (no ListRoles)", t.Name))
	}
	roles, err := ListRoleTrust(ctx, lister, "")
	if err != nil {
		return failed(fmt.Errorf("trustpolicy: %s: %w", t.Name, err))
	}
	tcfg := *cfg
	tcfg.target = t.Name
	if t.Caller != nil {
		tcfg.caller = t.Caller
	}
	v := t.Validator
	if v == nil {
		v = cfg.validator
	}
	var out []Result
	for _, rt := range roles {
		if rt.Document == nil || len(rt.Document.UniqueIDs()) == 0 {
			continue
		}
		if rt.ServiceLinked() {
			out = append(out, Result{Target: t.Name, Role: rt.Name, RoleARN: rt.ARN, Status: Skipped, Before: rt.Document,
				Warnings: []string{"service-linked role: only its AWS service can change its trust policy"}})
			continue
		}
		if err := ctx.Err(); err != nil {
			out = append(out, Result{Target: t.Name, Role: rt.Name, Status: Failed, Err: fmt.Errorf("trustpolicy: %s: %w", t.Name, err)})
			continue
		}
		r := apply(ctx, t.API, v, rt.Name, PruneUniqueIDs(), &tcfg)
		r.Target = t.Name
		out = append(out, *r)
	}
	return out
}
