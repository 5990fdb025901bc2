package trustpolicy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/iamkit/iamkit/internal/errwrap"
)

// ListRolesAPI is the part of the IAM API that ListRoleTrust calls.
type ListRolesAPI interface {
	ListRoles(ctx context.Context, in *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

var _ ListRolesAPI = (*iam.Client)(nil)

// RoleTrust is one role and its trust policy.
type RoleTrust struct {
	Name, ARN, Path string
	Document        *Document // nil when the document could not be parsed
	Err             error     // why Document is nil
}

// ServiceLinked reports whether the role is a service-linked role, whose
// trust policy only AWS may change.
func (r RoleTrust) ServiceLinked() bool { return strings.HasPrefix(r.Path, ServiceLinkedPath) }

// ListRoleTrust lists every role under pathPrefix ("" or "/" for all) with its
// trust policy, following ListRoles' pages with the SDK's paginator. It is
// how a caller finds the roles to edit: those that trust a principal
// (Document.Trusts) or that name deleted principals (Document.UniqueIDs). A
// failed page fails the whole listing: a partial list is never returned as
// if it were complete.
func ListRoleTrust(ctx context.Context, api ListRolesAPI, pathPrefix string) ([]RoleTrust, error) {
	in := &iam.ListRolesInput{}
	if pathPrefix != "" {
		in.PathPrefix = aws.String(pathPrefix)
	}
	var out []RoleTrust
	p := iam.NewListRolesPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("trustpolicy: listing roles: %w", err)
		}
		for _, r := range page.Roles {
			rt := RoleTrust{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn), Path: aws.ToString(r.Path)}
			rt.Document, rt.Err = ParseRoleDocument(aws.ToString(r.AssumeRolePolicyDocument))
			out = append(out, rt)
		}
	}
	return out, nil
}

// GetRoleAPI is the part of the IAM API that GetRoleTrust calls; every RoleAPI
// is one.
type GetRoleAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// GetRoleTrust reads one role and its trust policy, decoded once: what a
// "show" command prints (Document.Indent). The SDK's error (e.g.
// *types.NoSuchEntityException) stays in the chain.
func GetRoleTrust(ctx context.Context, api GetRoleAPI, roleName string) (RoleTrust, error) {
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err != nil {
		return RoleTrust{}, fmt.Errorf("trustpolicy: reading role %s: %w", roleName, err)
	}
	if out.Role == nil {
		return RoleTrust{}, fmt.Errorf("trustpolicy: reading role %s: GetRole returned no role", roleName)
	}
	r := out.Role
	rt := RoleTrust{Name: aws.ToString(r.RoleName), ARN: aws.ToString(r.Arn), Path: aws.ToString(r.Path)}
	rt.Document, rt.Err = ParseRoleDocument(aws.ToString(r.AssumeRolePolicyDocument))
	if rt.Err != nil {
		return rt, errwrap.Wrap("trustpolicy", rt.Err, "role %s", roleName)
	}
	return rt, nil
}
