package iamsource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

var _ hostsync.AbsenceConfirmer = (*IAMSource)(nil)

// ConfirmAbsent checks each user by a direct read: with authorized groups
// configured, ListGroupsForUser (every page) must show no authorized
// group; with none (every IAM user authorized), GetUser must answer
// NoSuchEntity or another user ID than the recorded one; for a SudoOnly
// user, ListGroupsForUser must show no sudoers group. A user that no
// longer exists (NoSuchEntity) is confirmed absent. One read per user, at
// most WithWorkers in flight; the first failure cancels the rest. See
// AbsenceConfirmer.
func (s *IAMSource) ConfirmAbsent(ctx context.Context, users []hostsync.AbsentUser) error {
	cfg := s.cfg.WithDefaults()
	authorized, sudoers := dedupeFold(cfg.AuthorizedGroups), dedupeFold(cfg.SudoersGroups)
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r := &read{s: s, ctx: cctx, cancel: cancel}

	jobs := make(chan hostsync.AbsentUser)
	var wg sync.WaitGroup
	for range min(s.workers, len(users)) {
		wg.Go(func() {
			for u := range jobs {
				if r.ctx.Err() != nil {
					continue
				}
				groups, what := authorized, "authorized"
				if u.SudoOnly {
					groups, what = sudoers, "sudoers"
				}
				if err := r.confirmAbsent(u, groups, what); err != nil {
					r.fail(err)
				}
			}
		})
	}
	for _, u := range users {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	if r.err == nil {
		if err := ctx.Err(); err != nil {
			return &hostsync.SourceError{Op: "iam", Target: "confirming absences", Err: err}
		}
	}
	return r.err
}

// confirmAbsent checks that one user is in none of groups (what names
// them in errors); with no groups, that the user is gone. See
// ConfirmAbsent.
func (r *read) confirmAbsent(u hostsync.AbsentUser, groups []string, what string) error {
	target := fmt.Sprintf("user %q", u.IAMName)
	if len(groups) == 0 && !u.SudoOnly {
		const op = "iam:GetUser"
		out, err := r.s.api.GetUser(r.ctx, &iam.GetUserInput{UserName: aws.String(u.IAMName)})
		switch {
		case isNoSuchEntity(err):
			return nil
		case err != nil:
			if cause := context.Cause(r.ctx); cause != nil && r.ctx.Err() != nil {
				err = cause
			}
			return &hostsync.SourceError{Op: op, Target: target, Err: err}
		case out == nil || out.User == nil:
			return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: no user", hostsync.ErrMalformedResponse)}
		}
		if id := aws.ToString(out.User.UserId); id != "" && u.IAMUserID != "" && id != u.IAMUserID {
			return nil // the name now belongs to another user: the recorded one is gone
		}
		return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: the user exists", hostsync.ErrNotAbsent)}
	}

	const op = "iam:ListGroupsForUser"
	p := iam.NewListGroupsForUserPaginator(r.s.api, &iam.ListGroupsForUserInput{UserName: aws.String(u.IAMName), MaxItems: aws.Int32(r.s.pageSize)},
		func(o *iam.ListGroupsForUserPaginatorOptions) { o.StopOnDuplicateToken = true })
	err := eachPage(r, op, target, &r.pages, p, func(o *iam.ListGroupsForUserOutput) bool { return o.IsTruncated }, func(out *iam.ListGroupsForUserOutput) error {
		for _, g := range out.Groups {
			name := aws.ToString(g.GroupName)
			if slices.ContainsFunc(groups, func(a string) bool { return strings.EqualFold(a, name) }) {
				return &hostsync.SourceError{Op: op, Target: target, Err: hserr.Errorf("%w: member of %s group %q", hostsync.ErrNotAbsent, what, name)}
			}
		}
		return nil
	})
	if isNoSuchEntity(err) {
		return nil
	}
	return err
}

// isNoSuchEntity reports whether err is IAM's NoSuchEntity.
func isNoSuchEntity(err error) bool {
	var nse *types.NoSuchEntityException
	return errors.As(err, &nse)
}

// drop forgets a user of the read: IAM said NoSuchEntity for it after
// listing it, so it is absent from this read (and confirmed so, or not,
// before any change; see AbsenceConfirmer).
func (r *read) drop(u *sourceUser) {
	r.mu.Lock()
	if r.users[u.id] == u {
		delete(r.users, u.id)
	}
	r.mu.Unlock()
	r.s.log.LogAttrs(r.ctx, slog.LevelInfo, "hostsync: IAM user deleted while it was read; treated as absent",
		slog.String("iam_user", u.name))
}
