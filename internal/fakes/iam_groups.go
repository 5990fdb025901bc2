package fakes

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func (a *Account) lookupGroup(name *string) (*group, error) {
	if name == nil || !groupNameRE().MatchString(*name) {
		return nil, invalidInput("1 validation error detected: Value '%s' at 'groupName' failed to satisfy constraint", aws.ToString(name))
	}
	g, ok := a.iam.groups[strings.ToLower(*name)]
	if !ok {
		return nil, &types.NoSuchEntityException{Message: msg("The group with name %s cannot be found.", *name)}
	}
	return g, nil
}

// CreateGroup implements iam.Client.CreateGroup.
func (f *IAM) CreateGroup(ctx context.Context, in *iam.CreateGroupInput, _ ...func(*iam.Options)) (*iam.CreateGroupOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateGroup", in, func() (*iam.CreateGroupOutput, error) {
		if in.GroupName == nil || !groupNameRE().MatchString(*in.GroupName) {
			return nil, invalidInput("1 validation error detected: Value '%s' at 'groupName' failed to satisfy constraint", aws.ToString(in.GroupName))
		}
		path, err := pathOrDefault(in.Path)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(*in.GroupName)
		if _, ok := a.iam.groups[key]; ok {
			return nil, &types.EntityAlreadyExistsException{Message: msg("Group with name %s already exists.", *in.GroupName)}
		}
		g := &group{
			name:    *in.GroupName,
			id:      a.newID("AGPA", 17),
			arn:     a.arn("iam", "group"+path+*in.GroupName),
			path:    path,
			created: a.clock.Now().UTC(),
			members: map[string]bool{},
		}
		a.iam.groups[key] = g
		sg := g.sdk()
		return &iam.CreateGroupOutput{Group: &sg}, nil
	})
}

// GetGroup implements iam.Client.GetGroup: the group and a page of its members.
func (f *IAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, _ ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetGroup", in, func() (*iam.GetGroupOutput, error) {
		g, err := a.lookupGroup(in.GroupName)
		if err != nil {
			return nil, err
		}
		var members []types.User
		for _, k := range sortedKeys(g.members) {
			su := a.iam.users[k].sdk()
			su.Tags = nil
			members = append(members, *su)
		}
		page, trunc, next, err := paginate(members, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		sg := g.sdk()
		return &iam.GetGroupOutput{Group: &sg, Users: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// ListGroups implements iam.Client.ListGroups.
func (f *IAM) ListGroups(ctx context.Context, in *iam.ListGroupsInput, _ ...func(*iam.Options)) (*iam.ListGroupsOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListGroups", in, func() (*iam.ListGroupsOutput, error) {
		prefix := aws.ToString(in.PathPrefix)
		var all []types.Group
		for _, k := range sortedKeys(a.iam.groups) {
			g := a.iam.groups[k]
			if prefix == "" || strings.HasPrefix(g.path, prefix) {
				all = append(all, g.sdk())
			}
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListGroupsOutput{Groups: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DeleteGroup implements iam.Client.DeleteGroup (refused while it has members).
func (f *IAM) DeleteGroup(ctx context.Context, in *iam.DeleteGroupInput, _ ...func(*iam.Options)) (*iam.DeleteGroupOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteGroup", in, func() (*iam.DeleteGroupOutput, error) {
		g, err := a.lookupGroup(in.GroupName)
		if err != nil {
			return nil, err
		}
		if len(g.members) > 0 {
			return nil, &types.DeleteConflictException{Message: msg("Cannot delete entity, must remove users from group first.")}
		}
		delete(a.iam.groups, strings.ToLower(g.name))
		return &iam.DeleteGroupOutput{}, nil
	})
}

// AddUserToGroup implements iam.Client.AddUserToGroup (idempotent, as in IAM).
func (f *IAM) AddUserToGroup(ctx context.Context, in *iam.AddUserToGroupInput, _ ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error) {
	a := f.a
	return call(ctx, a, "iam:AddUserToGroup", in, func() (*iam.AddUserToGroupOutput, error) {
		g, err := a.lookupGroup(in.GroupName)
		if err != nil {
			return nil, err
		}
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		ukey, gkey := strings.ToLower(u.name), strings.ToLower(g.name)
		g.members[ukey] = true
		u.groups[gkey] = true
		return &iam.AddUserToGroupOutput{}, nil
	})
}

// RemoveUserFromGroup implements iam.Client.RemoveUserFromGroup.
func (f *IAM) RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, _ ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error) {
	a := f.a
	return call(ctx, a, "iam:RemoveUserFromGroup", in, func() (*iam.RemoveUserFromGroupOutput, error) {
		g, err := a.lookupGroup(in.GroupName)
		if err != nil {
			return nil, err
		}
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		ukey, gkey := strings.ToLower(u.name), strings.ToLower(g.name)
		if !g.members[ukey] {
			return nil, &types.NoSuchEntityException{Message: msg("User %s is not in group %s.", u.name, g.name)}
		}
		delete(g.members, ukey)
		delete(u.groups, gkey)
		return &iam.RemoveUserFromGroupOutput{}, nil
	})
}

// ListGroupsForUser implements iam.Client.ListGroupsForUser.
func (f *IAM) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, _ ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListGroupsForUser", in, func() (*iam.ListGroupsForUserOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.Group
		for _, k := range sortedKeys(u.groups) {
			all = append(all, a.iam.groups[k].sdk())
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListGroupsForUserOutput{Groups: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// ---- user policies ----

// PutUserPolicy implements iam.Client.PutUserPolicy.
func (f *IAM) PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, _ ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:PutUserPolicy", in, func() (*iam.PutUserPolicyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		if aws.ToString(in.PolicyName) == "" || aws.ToString(in.PolicyDocument) == "" {
			return nil, invalidInput("PolicyName and PolicyDocument are required")
		}
		u.inline[*in.PolicyName] = *in.PolicyDocument
		return &iam.PutUserPolicyOutput{}, nil
	})
}

// ListUserPolicies implements iam.Client.ListUserPolicies.
func (f *IAM) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListUserPolicies", in, func() (*iam.ListUserPoliciesOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		page, trunc, next, err := paginate(sortedKeys(u.inline), in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListUserPoliciesOutput{PolicyNames: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DeleteUserPolicy implements iam.Client.DeleteUserPolicy.
func (f *IAM) DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteUserPolicy", in, func() (*iam.DeleteUserPolicyOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		name := aws.ToString(in.PolicyName)
		if _, ok := u.inline[name]; !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The user policy with name %s cannot be found.", name)}
		}
		delete(u.inline, name)
		return &iam.DeleteUserPolicyOutput{}, nil
	})
}

// AttachUserPolicy implements iam.Client.AttachUserPolicy.
func (f *IAM) AttachUserPolicy(ctx context.Context, in *iam.AttachUserPolicyInput, _ ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:AttachUserPolicy", in, func() (*iam.AttachUserPolicyOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		arn := aws.ToString(in.PolicyArn)
		if !policyArnRE().MatchString(arn) {
			return nil, invalidInput("ARN %s is not valid.", arn)
		}
		u.attached[arn] = arn[strings.LastIndex(arn, "/")+1:]
		return &iam.AttachUserPolicyOutput{}, nil
	})
}

// ListAttachedUserPolicies implements iam.Client.ListAttachedUserPolicies.
func (f *IAM) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListAttachedUserPolicies", in, func() (*iam.ListAttachedUserPoliciesOutput, error) {
		u, err := a.lookupUser(in.UserName, true)
		if err != nil {
			return nil, err
		}
		var all []types.AttachedPolicy
		for _, arn := range sortedKeys(u.attached) {
			all = append(all, types.AttachedPolicy{PolicyArn: aws.String(arn), PolicyName: aws.String(u.attached[arn])})
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListAttachedUserPoliciesOutput{AttachedPolicies: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// DetachUserPolicy implements iam.Client.DetachUserPolicy.
func (f *IAM) DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, _ ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DetachUserPolicy", in, func() (*iam.DetachUserPolicyOutput, error) {
		u, err := a.lookupUser(in.UserName, false)
		if err != nil {
			return nil, err
		}
		arn := aws.ToString(in.PolicyArn)
		if _, ok := u.attached[arn]; !ok {
			return nil, &types.NoSuchEntityException{Message: msg("Policy %s was not found.", arn)}
		}
		delete(u.attached, arn)
		return &iam.DetachUserPolicyOutput{}, nil
	})
}
