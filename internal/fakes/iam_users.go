package fakes

import (
	"context"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM is the account's IAM service. Its methods have the exact signatures of
// *iam.Client's, so it satisfies every narrow interface iamkit declares.
type IAM struct{ a *Account }

// IAM returns the account's IAM service.
func (a *Account) IAM() *IAM { return &IAM{a: a} }

// Account returns the account the service belongs to.
func (f *IAM) Account() *Account { return f.a }

// call counts and fault-injects op, then runs fn under the account lock.
func call[O any](ctx context.Context, a *Account, op string, in any, fn func() (*O, error)) (*O, error) {
	pre, lost := a.beginOp(ctx, op, in)
	if pre != nil {
		return nil, pre
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out, err := fn()
	if err != nil {
		return nil, opErr(op, err)
	}
	if lost != nil {
		return nil, lost
	}
	return out, nil
}

// CreateUser implements iam.Client.CreateUser.
func (f *IAM) CreateUser(ctx context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateUser", in, func() (*iam.CreateUserOutput, error) {
		if err := validateUserName(in.UserName); err != nil {
			return nil, err
		}
		path, err := pathOrDefault(in.Path)
		if err != nil {
			return nil, err
		}
		if err := validateTags(in.Tags); err != nil {
			return nil, err
		}
		if in.PermissionsBoundary != nil && !policyArnRE().MatchString(*in.PermissionsBoundary) {
			return nil, invalidInput("ARN %s is not valid.", *in.PermissionsBoundary)
		}
		key := strings.ToLower(*in.UserName)
		if _, ok := a.iam.users[key]; ok {
			return nil, &types.EntityAlreadyExistsException{Message: msg("User with name %s already exists.", *in.UserName)}
		}
		now := a.clock.Now().UTC()
		u := &user{
			name:     *in.UserName,
			id:       a.newID("AIDA", 17),
			arn:      a.arn("iam", "user"+path+*in.UserName),
			path:     path,
			created:  now,
			visible:  now.Add(a.consistency),
			tags:     append([]types.Tag(nil), in.Tags...),
			boundary: aws.ToString(in.PermissionsBoundary),
			groups:   map[string]bool{},
			inline:   map[string]string{},
			attached: map[string]string{},
		}
		a.iam.users[key] = u
		a.dir.created(u.arn, u.id)
		return &iam.CreateUserOutput{User: u.sdk()}, nil
	})
}

// GetUser implements iam.Client.GetUser. Without a user name it answers for
// the caller, which the fake cannot know, so the name is required.
func (f *IAM) GetUser(ctx context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetUser", in, func() (*iam.GetUserOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		return &iam.GetUserOutput{User: u.sdk()}, nil
	})
}

// ListUsers implements iam.Client.ListUsers with Marker/MaxItems pagination.
func (f *IAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListUsers", in, func() (*iam.ListUsersOutput, error) {
		prefix := aws.ToString(in.PathPrefix)
		var all []types.User
		for _, k := range sortedKeys(a.iam.users) {
			u := a.iam.users[k]
			if prefix != "" && !strings.HasPrefix(u.path, prefix) {
				continue
			}
			su := u.sdk()
			su.Tags = nil                // ListUsers does not return tags
			su.PermissionsBoundary = nil // nor the permissions boundary
			all = append(all, *su)
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListUsersOutput{Users: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DeleteUser implements iam.Client.DeleteUser; it fails with DeleteConflict
// while the user still has any dependency, as IAM does.
func (f *IAM) DeleteUser(ctx context.Context, in *iam.DeleteUserInput, _ ...func(*iam.Options)) (*iam.DeleteUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteUser", in, func() (*iam.DeleteUserOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		if deps := a.dependencies(u); len(deps) > 0 {
			return nil, &types.DeleteConflictException{Message: msg("Cannot delete entity, must remove %s first.", strings.Join(deps, ", "))}
		}
		delete(a.iam.users, strings.ToLower(u.name))
		a.principalDeleted(u.arn, u.id)
		a.dir.removed(u.arn, u.id)
		return &iam.DeleteUserOutput{}, nil
	})
}

// TagUser implements iam.Client.TagUser.
func (f *IAM) TagUser(ctx context.Context, in *iam.TagUserInput, _ ...func(*iam.Options)) (*iam.TagUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:TagUser", in, func() (*iam.TagUserOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if err := validateTags(in.Tags); err != nil {
			return nil, err
		}
		merged := append([]types.Tag(nil), u.tags...)
		for _, t := range in.Tags {
			replaced := false
			for i := range merged {
				if strings.EqualFold(*merged[i].Key, *t.Key) {
					merged[i] = t
					replaced = true
				}
			}
			if !replaced {
				merged = append(merged, t)
			}
		}
		if err := validateTags(merged); err != nil {
			return nil, err
		}
		u.tags = merged
		return &iam.TagUserOutput{}, nil
	})
}

// ListUserTags implements iam.Client.ListUserTags.
func (f *IAM) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, _ ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListUserTags", in, func() (*iam.ListUserTagsOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		page, trunc, next, err := paginate(u.tags, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListUserTagsOutput{Tags: append([]types.Tag(nil), page...), IsTruncated: trunc, Marker: next}, nil
	})
}

// PutUserPermissionsBoundary implements iam.Client.PutUserPermissionsBoundary.
func (f *IAM) PutUserPermissionsBoundary(ctx context.Context, in *iam.PutUserPermissionsBoundaryInput, _ ...func(*iam.Options)) (*iam.PutUserPermissionsBoundaryOutput, error) {
	a := f.a
	return call(ctx, a, "iam:PutUserPermissionsBoundary", in, func() (*iam.PutUserPermissionsBoundaryOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if in.PermissionsBoundary == nil || !policyArnRE().MatchString(*in.PermissionsBoundary) {
			return nil, invalidInput("ARN %s is not valid.", aws.ToString(in.PermissionsBoundary))
		}
		u.boundary = *in.PermissionsBoundary
		return &iam.PutUserPermissionsBoundaryOutput{}, nil
	})
}

// ---- login profiles and the password policy ----

// CreateLoginProfile implements iam.Client.CreateLoginProfile; the password
// must satisfy the account's password policy (or IAM's default one).
func (f *IAM) CreateLoginProfile(ctx context.Context, in *iam.CreateLoginProfileInput, _ ...func(*iam.Options)) (*iam.CreateLoginProfileOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateLoginProfile", in, func() (*iam.CreateLoginProfileOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if u.login != nil {
			return nil, &types.EntityAlreadyExistsException{Message: msg("Login Profile for user %s already exists.", u.name)}
		}
		pw := aws.ToString(in.Password)
		if err := a.checkPassword(u.name, pw); err != nil {
			return nil, err
		}
		u.password = pw
		u.login = &types.LoginProfile{
			CreateDate:            aws.Time(a.clock.Now().UTC()),
			UserName:              aws.String(u.name),
			PasswordResetRequired: in.PasswordResetRequired,
		}
		lp := *u.login
		return &iam.CreateLoginProfileOutput{LoginProfile: &lp}, nil
	})
}

// GetLoginProfile implements iam.Client.GetLoginProfile.
func (f *IAM) GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, _ ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetLoginProfile", in, func() (*iam.GetLoginProfileOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if u.login == nil {
			return nil, &types.NoSuchEntityException{Message: msg("Login Profile for User %s cannot be found.", u.name)}
		}
		lp := *u.login
		return &iam.GetLoginProfileOutput{LoginProfile: &lp}, nil
	})
}

// UpdateLoginProfile implements iam.Client.UpdateLoginProfile.
func (f *IAM) UpdateLoginProfile(ctx context.Context, in *iam.UpdateLoginProfileInput, _ ...func(*iam.Options)) (*iam.UpdateLoginProfileOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateLoginProfile", in, func() (*iam.UpdateLoginProfileOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if u.login == nil {
			return nil, &types.NoSuchEntityException{Message: msg("Login Profile for User %s cannot be found.", u.name)}
		}
		if in.Password != nil {
			if err := a.checkPassword(u.name, *in.Password); err != nil {
				return nil, err
			}
			u.password = *in.Password
		}
		if in.PasswordResetRequired != nil {
			u.login.PasswordResetRequired = *in.PasswordResetRequired
		}
		return &iam.UpdateLoginProfileOutput{}, nil
	})
}

// DeleteLoginProfile implements iam.Client.DeleteLoginProfile.
func (f *IAM) DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, _ ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteLoginProfile", in, func() (*iam.DeleteLoginProfileOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		if u.login == nil {
			return nil, &types.NoSuchEntityException{Message: msg("Login Profile for User %s cannot be found.", u.name)}
		}
		u.login, u.password = nil, ""
		return &iam.DeleteLoginProfileOutput{}, nil
	})
}

// Password returns the console password last set for a user (test helper: AWS
// never reveals it).
func (a *Account) Password(userName string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.iam.users[strings.ToLower(userName)]
	if !ok || u.login == nil {
		return "", false
	}
	return u.password, true
}

// IAMSymbols is the set of symbols IAM password policies count as symbols.
const IAMSymbols = "!@#$%^&*()_+-=[]{}|'"

// checkPassword applies the account password policy, or IAM's default policy
// (at least 8 characters and three of: upper case, lower case, digits, symbols)
// when none is set. Callers hold a.mu.
func (a *Account) checkPassword(userName, pw string) error {
	violation := func(why string) error {
		return &types.PasswordPolicyViolationException{Message: msg("Password does not conform to the account password policy: %s.", why)}
	}
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case strings.ContainsRune(IAMSymbols, r):
			symbol = true
		case r > unicode.MaxASCII || r < 0x20:
			return violation("contains a character outside printable ASCII")
		}
	}
	if len(pw) > 128 {
		return violation("longer than 128 characters")
	}
	if strings.EqualFold(pw, userName) {
		return violation("same as the user name")
	}
	p := a.iam.passwordPolicy
	if p == nil {
		classes := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				classes++
			}
		}
		if len(pw) < 8 || classes < 3 {
			return violation("the default policy needs 8 characters and three of upper case, lower case, numbers and symbols")
		}
		return nil
	}
	minLen := 6
	if p.MinimumPasswordLength != nil {
		minLen = int(*p.MinimumPasswordLength)
	}
	switch {
	case len(pw) < minLen:
		return violation("shorter than the minimum length")
	case p.RequireUppercaseCharacters && !upper:
		return violation("needs an upper case character")
	case p.RequireLowercaseCharacters && !lower:
		return violation("needs a lower case character")
	case p.RequireNumbers && !digit:
		return violation("needs a number")
	case p.RequireSymbols && !symbol:
		return violation("needs a symbol")
	}
	return nil
}

// GetAccountPasswordPolicy implements iam.Client.GetAccountPasswordPolicy; it
// answers NoSuchEntity when the account has no policy, as IAM does.
func (f *IAM) GetAccountPasswordPolicy(ctx context.Context, in *iam.GetAccountPasswordPolicyInput, _ ...func(*iam.Options)) (*iam.GetAccountPasswordPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetAccountPasswordPolicy", in, func() (*iam.GetAccountPasswordPolicyOutput, error) {
		if a.iam.passwordPolicy == nil {
			return nil, &types.NoSuchEntityException{Message: msg("The Password Policy with domain name %s cannot be found.", a.id)}
		}
		p := *a.iam.passwordPolicy
		return &iam.GetAccountPasswordPolicyOutput{PasswordPolicy: &p}, nil
	})
}

// UpdateAccountPasswordPolicy implements iam.Client.UpdateAccountPasswordPolicy.
func (f *IAM) UpdateAccountPasswordPolicy(ctx context.Context, in *iam.UpdateAccountPasswordPolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAccountPasswordPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateAccountPasswordPolicy", in, func() (*iam.UpdateAccountPasswordPolicyOutput, error) {
		minLen := int32(6) // IAM's documented default when the parameter is omitted
		if in.MinimumPasswordLength != nil {
			minLen = *in.MinimumPasswordLength
		}
		if minLen < 6 || minLen > 128 {
			return nil, invalidInput("MinimumPasswordLength must be between 6 and 128")
		}
		a.iam.passwordPolicy = &types.PasswordPolicy{
			AllowUsersToChangePassword: in.AllowUsersToChangePassword,
			HardExpiry:                 in.HardExpiry,
			MaxPasswordAge:             in.MaxPasswordAge,
			ExpirePasswords:            aws.ToInt32(in.MaxPasswordAge) > 0,
			MinimumPasswordLength:      aws.Int32(minLen),
			PasswordReusePrevention:    in.PasswordReusePrevention,
			RequireLowercaseCharacters: in.RequireLowercaseCharacters,
			RequireNumbers:             in.RequireNumbers,
			RequireSymbols:             in.RequireSymbols,
			RequireUppercaseCharacters: in.RequireUppercaseCharacters,
		}
		return &iam.UpdateAccountPasswordPolicyOutput{}, nil
	})
}

// DeleteAccountPasswordPolicy implements iam.Client.DeleteAccountPasswordPolicy.
func (f *IAM) DeleteAccountPasswordPolicy(ctx context.Context, in *iam.DeleteAccountPasswordPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteAccountPasswordPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteAccountPasswordPolicy", in, func() (*iam.DeleteAccountPasswordPolicyOutput, error) {
		if a.iam.passwordPolicy == nil {
			return nil, &types.NoSuchEntityException{Message: msg("The account password policy cannot be found.")}
		}
		a.iam.passwordPolicy = nil
		return &iam.DeleteAccountPasswordPolicyOutput{}, nil
	})
}
