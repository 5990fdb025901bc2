package fakes

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// UpdateUser implements iam.Client.UpdateUser: NewUserName renames the user
// and NewPath moves it, as IAM does — the user ID is kept, the ARN follows,
// and so does everything that refers to the user: group memberships,
// access, SSH and signing keys, service credentials, the login profile,
// MFA devices and the AWS principals of role trust policies. A new name
// another user holds (ignoring case) is EntityAlreadyExists.
func (f *IAM) UpdateUser(ctx context.Context, in *iam.UpdateUserInput, _ ...func(*iam.Options)) (*iam.UpdateUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateUser", in, func() (*iam.UpdateUserOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		name, path := u.name, u.path
		if in.NewUserName != nil {
			if err := validateUserName(in.NewUserName); err != nil {
				return nil, err
			}
			name = *in.NewUserName
		}
		if in.NewPath != nil {
			if path, err = pathOrDefault(in.NewPath); err != nil {
				return nil, err
			}
		}
		oldKey, newKey := strings.ToLower(u.name), strings.ToLower(name)
		if other, ok := a.iam.users[newKey]; ok && other != u {
			return nil, &types.EntityAlreadyExistsException{Message: msg("User with name %s already exists.", name)}
		}
		oldARN := u.arn
		delete(a.iam.users, oldKey)
		u.name, u.path, u.arn = name, path, a.arn("iam", "user"+path+name)
		a.iam.users[newKey] = u
		for _, g := range a.iam.groups {
			if g.members[oldKey] {
				delete(g.members, oldKey)
				g.members[newKey] = true
			}
		}
		for id, owner := range a.iam.accessKeyOwner {
			if owner == oldKey {
				a.iam.accessKeyOwner[id] = newKey
			}
		}
		for _, d := range a.iam.mfa {
			if d.user == oldKey {
				d.user = newKey
			}
		}
		for _, k := range u.accessKeys {
			k.UserName = aws.String(name)
		}
		for _, k := range u.sshKeys {
			k.UserName = aws.String(name)
		}
		for _, c := range u.certs {
			c.UserName = aws.String(name)
		}
		for _, c := range u.serviceCreds {
			c.UserName = aws.String(name)
		}
		if u.login != nil {
			u.login.UserName = aws.String(name)
		}
		if oldARN != u.arn {
			for _, r := range a.iam.roles {
				r.trust = rewriteAWSPrincipals(r.trust, func(s string) (string, bool) {
					return u.arn, strings.EqualFold(s, oldARN)
				})
			}
			a.dir.removed(oldARN, u.id)
			a.dir.created(u.arn, u.id)
		}
		return &iam.UpdateUserOutput{}, nil
	})
}
