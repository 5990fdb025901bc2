package fakes

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

type role struct {
	name, id, arn, path string
	created             time.Time
	trust               string // the assume-role policy document, as sent
	maxSession          int32
	description         string
}

func (r *role) sdk() *types.Role {
	return &types.Role{
		Arn: aws.String(r.arn), CreateDate: aws.Time(r.created), Path: aws.String(r.path),
		RoleId: aws.String(r.id), RoleName: aws.String(r.name), MaxSessionDuration: aws.Int32(r.maxSession),
		Description: aws.String(r.description),
		// IAM returns the document URL-encoded, as the query API does.
		AssumeRolePolicyDocument: aws.String(url.QueryEscape(r.trust)),
	}
}

// CreateRole implements iam.Client.CreateRole. The trust policy is stored as
// given; GetRole returns it URL-encoded, as IAM does.
func (f *IAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateRole", in, func() (*iam.CreateRoleOutput, error) {
		name := aws.ToString(in.RoleName)
		if !userNameRE.MatchString(name) {
			return nil, invalidInput("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint", name)
		}
		path, err := pathOrDefault(in.Path)
		if err != nil {
			return nil, err
		}
		if aws.ToString(in.AssumeRolePolicyDocument) == "" {
			return nil, &types.MalformedPolicyDocumentException{Message: msg("AssumeRolePolicyDocument is required")}
		}
		maxSession := int32(3600)
		if in.MaxSessionDuration != nil {
			maxSession = *in.MaxSessionDuration
			if maxSession < 3600 || maxSession > 43200 {
				return nil, invalidInput("MaxSessionDuration must be between 3600 and 43200 seconds")
			}
		}
		key := strings.ToLower(name)
		if _, ok := a.iam.roles[key]; ok {
			return nil, &types.EntityAlreadyExistsException{Message: msg("Role with name %s already exists.", name)}
		}
		r := &role{
			name: name, id: a.newID("AROA", 17), arn: a.arn("iam", "role"+path+name), path: path,
			created: a.clock.Now().UTC(), trust: *in.AssumeRolePolicyDocument, maxSession: maxSession,
			description: aws.ToString(in.Description),
		}
		a.iam.roles[key] = r
		return &iam.CreateRoleOutput{Role: r.sdk()}, nil
	})
}

// GetRole implements iam.Client.GetRole; the trust policy comes URL-encoded.
func (f *IAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetRole", in, func() (*iam.GetRoleOutput, error) {
		r, ok := a.iam.roles[strings.ToLower(aws.ToString(in.RoleName))]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The role with name %s cannot be found.", aws.ToString(in.RoleName))}
		}
		return &iam.GetRoleOutput{Role: r.sdk()}, nil
	})
}

// DeleteRole implements iam.Client.DeleteRole.
func (f *IAM) DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteRole", in, func() (*iam.DeleteRoleOutput, error) {
		key := strings.ToLower(aws.ToString(in.RoleName))
		if _, ok := a.iam.roles[key]; !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The role with name %s cannot be found.", aws.ToString(in.RoleName))}
		}
		delete(a.iam.roles, key)
		return &iam.DeleteRoleOutput{}, nil
	})
}
