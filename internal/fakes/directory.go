package fakes

import (
	"strings"
	"sync"
)

// Directory links accounts the way AWS links every account: a trust policy in
// one account may name a user or role of another, and IAM resolves it. Accounts
// built with the same Directory (WithDirectory) see each other's users and
// roles when trust policies are validated, and when a user or role is deleted,
// trust policies in every linked account show its unique ID (AIDA…/AROA…) in
// place of its ARN, as IAM does. Without a Directory, an account checks other
// accounts' principals for syntax only.
//
// Substitution is applied when a linked account next reads its roles; a user
// deleted and re-created under the same name before that read is not
// substituted (IAM would still show the old ID). Tests do not depend on that
// corner.
type Directory struct {
	mu      sync.Mutex
	live    map[string]string // lower-cased ARN -> unique ID
	deleted map[string]string // lower-cased ARN -> unique ID of the deleted entity
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{live: map[string]string{}, deleted: map[string]string{}}
}

// WithDirectory links the account into d.
func WithDirectory(d *Directory) Option { return func(a *Account) { a.dir = d } }

// Lock order: an account's mu, then the directory's; never the other way round,
// and never two accounts at once.

func (d *Directory) created(arn, id string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.live[strings.ToLower(arn)] = id
	delete(d.deleted, strings.ToLower(arn))
}

func (d *Directory) removed(arn, id string) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.live, strings.ToLower(arn))
	d.deleted[strings.ToLower(arn)] = id
}

// exists reports whether a linked account holds a live entity with this ARN.
func (d *Directory) exists(arn string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.live[strings.ToLower(arn)]
	return ok
}

func (d *Directory) deletedID(arn string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, ok := d.deleted[strings.ToLower(arn)]
	return id, ok
}

// resolveDeleted rewrites, in every role of the account, AWS principals that
// name an entity of another linked account deleted since. Callers hold a.mu.
func (a *Account) resolveDeleted() {
	if a.dir == nil {
		return
	}
	for _, r := range a.iam.roles {
		r.trust = rewriteAWSPrincipals(r.trust, func(s string) (string, bool) {
			return a.dir.deletedID(s)
		})
	}
}
