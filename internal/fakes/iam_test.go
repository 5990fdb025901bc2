package fakes_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iamkit/iamkit/internal/fakes"
)

func TestCreateUser(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, path string
		wantARN    string
		wantPath   string
	}{
		{name: "alice", wantARN: "arn:aws:iam::123456789012:user/alice", wantPath: "/"},
		{name: "bob", path: "/", wantARN: "arn:aws:iam::123456789012:user/bob", wantPath: "/"},
		{name: "carol", path: "/engineering/", wantARN: "arn:aws:iam::123456789012:user/engineering/carol", wantPath: "/engineering/"},
		{name: "dave", path: "/a/b/c/", wantARN: "arn:aws:iam::123456789012:user/a/b/c/dave", wantPath: "/a/b/c/"},
		{name: "e+=,.@_-x", wantARN: "arn:aws:iam::123456789012:user/e+=,.@_-x", wantPath: "/"},
		{name: strings.Repeat("n", 64), wantARN: "arn:aws:iam::123456789012:user/" + strings.Repeat("n", 64), wantPath: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct, f := newIAM(t)
			in := &iam.CreateUserInput{UserName: aws.String(tt.name)}
			if tt.path != "" {
				in.Path = aws.String(tt.path)
			}
			out, err := f.CreateUser(ctx, in)
			require.NoError(t, err)
			u := out.User
			assert.Regexp(t, `^AIDA[A-Z2-7]{17}$`, aws.ToString(u.UserId))
			assert.Equal(t, tt.wantARN, aws.ToString(u.Arn))
			assert.Equal(t, tt.wantPath, aws.ToString(u.Path))
			assert.Equal(t, tt.name, aws.ToString(u.UserName))
			assert.Equal(t, acct.Clock().Now(), aws.ToTime(u.CreateDate))

			got, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(tt.name)})
			require.NoError(t, err)
			assert.Equal(t, u, got.User)
		})
	}

	t.Run("IDs are unique", func(t *testing.T) {
		_, f := newIAM(t)
		seen := map[string]bool{}
		for i := range 20 {
			out, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%d", i))})
			require.NoError(t, err)
			id := aws.ToString(out.User.UserId)
			require.False(t, seen[id])
			seen[id] = true
		}
	})
}

func TestCreateUserInvalidInput(t *testing.T) {
	tests := []struct {
		name string
		in   *iam.CreateUserInput
	}{
		{"space in name", &iam.CreateUserInput{UserName: aws.String("bad name")}},
		{"65 characters", &iam.CreateUserInput{UserName: aws.String(strings.Repeat("a", 65))}},
		{"empty name", &iam.CreateUserInput{UserName: aws.String("")}},
		{"nil name", &iam.CreateUserInput{}},
		{"slash in name", &iam.CreateUserInput{UserName: aws.String("a/b")}},
		{"colon in name", &iam.CreateUserInput{UserName: aws.String("a:b")}},
		{"path without leading slash", &iam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("eng/")}},
		{"path without trailing slash", &iam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("/eng")}},
		{"path with a space", &iam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("/a b/")}},
		{"path over 512 characters", &iam.CreateUserInput{UserName: aws.String("ok"), Path: aws.String("/" + strings.Repeat("p", 511) + "/")}},
		{"boundary not a policy ARN", &iam.CreateUserInput{UserName: aws.String("ok"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:user/x")}},
		{"tag with empty key", &iam.CreateUserInput{UserName: aws.String("ok"), Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}}},
		{"tag key over 128", &iam.CreateUserInput{UserName: aws.String("ok"), Tags: []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}}},
		{"tag value over 256", &iam.CreateUserInput{UserName: aws.String("ok"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}}},
		{"duplicate tag keys differing in case", &iam.CreateUserInput{UserName: aws.String("ok"), Tags: []types.Tag{
			{Key: aws.String("Team"), Value: aws.String("a")}, {Key: aws.String("team"), Value: aws.String("b")},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, f := newIAM(t)
			_, err := f.CreateUser(context.Background(), tt.in)
			requireErrAs[*types.InvalidInputException](t, err)
			requireAPIError(t, err, "CreateUser", "InvalidInput")

			out, err := f.ListUsers(context.Background(), &iam.ListUsersInput{})
			require.NoError(t, err)
			assert.Empty(t, out.Users, "a refused CreateUser creates nothing")
		})
	}
}

func TestUserNamesAreCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")

	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice")})
	var exists *types.EntityAlreadyExistsException
	require.True(t, errors.As(err, &exists), "got %v", err)
	assert.Contains(t, exists.ErrorMessage(), "Alice")
	requireAPIError(t, err, "CreateUser", "EntityAlreadyExists")

	// Lookups are case-insensitive and return the name as created.
	out, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")})
	require.NoError(t, err)
	assert.Equal(t, "alice", aws.ToString(out.User.UserName))
}

func TestErrorsAreWrappedLikeTheSDK(t *testing.T) {
	_, f := newIAM(t)
	_, err := f.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("ghost")})

	var oe *smithy.OperationError
	require.True(t, errors.As(err, &oe))
	assert.Equal(t, "IAM", oe.ServiceID)
	assert.Equal(t, "GetUser", oe.OperationName)
	assert.Contains(t, err.Error(), "operation error IAM: GetUser")

	var ae smithy.APIError
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "NoSuchEntity", ae.ErrorCode())
	assert.Equal(t, smithy.FaultClient, ae.ErrorFault())
	assert.Contains(t, ae.ErrorMessage(), "ghost")

	nse := requireErrAs[*types.NoSuchEntityException](t, err)
	assert.Same(t, nse, oe.Err)
}

func TestUserTags(t *testing.T) {
	ctx := context.Background()
	tags := func(n int) []types.Tag {
		out := make([]types.Tag, n)
		for i := range out {
			out[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String(fmt.Sprintf("v%d", i))}
		}
		return out
	}

	t.Run("50 tags accepted, returned by GetUser and ListUserTags", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags(50)})
		require.NoError(t, err)
		got, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("tagged")})
		require.NoError(t, err)
		assert.Equal(t, tags(50), got.User.Tags)

		lt, err := f.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged"), MaxItems: aws.Int32(20)})
		require.NoError(t, err)
		assert.Len(t, lt.Tags, 20)
		assert.True(t, lt.IsTruncated)
	})
	t.Run("51 tags refused", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags(51)})
		requireErrAs[*types.LimitExceededException](t, err)
	})
	t.Run("TagUser merges case-insensitively and keeps the quota", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: []types.Tag{
			{Key: aws.String("Team"), Value: aws.String("infra")},
		}})
		require.NoError(t, err)
		_, err = f.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("platform")},
			{Key: aws.String("Cost"), Value: aws.String("42")},
		}})
		require.NoError(t, err)
		lt, err := f.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged")})
		require.NoError(t, err)
		assert.Equal(t, []types.Tag{
			{Key: aws.String("team"), Value: aws.String("platform")},
			{Key: aws.String("Cost"), Value: aws.String("42")},
		}, lt.Tags)

		_, err = f.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: tags(49)})
		requireErrAs[*types.LimitExceededException](t, err)
		_, err = f.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []types.Tag{
			{Key: aws.String("X"), Value: aws.String("1")}, {Key: aws.String("x"), Value: aws.String("2")},
		}})
		requireErrAs[*types.InvalidInputException](t, err)
	})
	t.Run("ListUsers leaves tags out", func(t *testing.T) {
		_, f := newIAM(t)
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged"), Tags: tags(3)})
		require.NoError(t, err)
		out, err := f.ListUsers(ctx, &iam.ListUsersInput{})
		require.NoError(t, err)
		require.Len(t, out.Users, 1)
		assert.Nil(t, out.Users[0].Tags)
	})
}

func TestPermissionsBoundary(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	const boundary = "arn:aws:iam::123456789012:policy/boundaries/dev"
	_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(boundary)})
	require.NoError(t, err)

	got, err := f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bounded")})
	require.NoError(t, err)
	require.NotNil(t, got.User.PermissionsBoundary)
	assert.Equal(t, boundary, aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn))
	assert.Equal(t, types.PermissionsBoundaryAttachmentTypePolicy, got.User.PermissionsBoundary.PermissionsBoundaryType)

	const managed = "arn:aws:iam::aws:policy/PowerUserAccess"
	_, err = f.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(managed)})
	require.NoError(t, err)
	got, err = f.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bounded")})
	require.NoError(t, err)
	assert.Equal(t, managed, aws.ToString(got.User.PermissionsBoundary.PermissionsBoundaryArn))

	_, err = f.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String("not-an-arn")})
	requireErrAs[*types.InvalidInputException](t, err)
	_, err = f.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("ghost"), PermissionsBoundary: aws.String(managed)})
	requireErrAs[*types.NoSuchEntityException](t, err)

	// ListUsers does not return PermissionsBoundary (documented on ListUsers).
	list, err := f.ListUsers(ctx, &iam.ListUsersInput{})
	require.NoError(t, err)
	require.Len(t, list.Users, 1)
	assert.Nil(t, list.Users[0].PermissionsBoundary)
}

func TestListUsersPathPrefix(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	for name, path := range map[string]string{"a": "/", "b": "/eng/", "c": "/eng/sre/", "d": "/ops/"} {
		_, err := f.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)})
		require.NoError(t, err)
	}
	names := func(prefix string) []string {
		out, err := f.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String(prefix)})
		require.NoError(t, err)
		var n []string
		for _, u := range out.Users {
			n = append(n, aws.ToString(u.UserName))
		}
		return n
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, names("/"))
	assert.Equal(t, []string{"b", "c"}, names("/eng/"))
	assert.Equal(t, []string{"d"}, names("/ops/"))
	assert.Empty(t, names("/nope/"))
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	out, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Devs"), Path: aws.String("/teams/")})
	require.NoError(t, err)
	assert.Regexp(t, `^AGPA[A-Z2-7]{17}$`, aws.ToString(out.Group.GroupId))
	assert.Equal(t, "arn:aws:iam::123456789012:group/teams/Devs", aws.ToString(out.Group.Arn))

	_, err = f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
	requireErrAs[*types.EntityAlreadyExistsException](t, err)
	_, err = f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("bad group")})
	requireErrAs[*types.InvalidInputException](t, err)

	mustCreateUser(t, f, "alice")
	for range 2 { // idempotent
		_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
		require.NoError(t, err)
	}
	_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ghost")})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ghosts"), UserName: aws.String("alice")})
	requireErrAs[*types.NoSuchEntityException](t, err)

	g, err := f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	assert.Equal(t, "Devs", aws.ToString(g.Group.GroupName))
	require.Len(t, g.Users, 1)
	assert.Equal(t, "alice", aws.ToString(g.Users[0].UserName))

	fu, err := f.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	require.Len(t, fu.Groups, 1)
	assert.Equal(t, "Devs", aws.ToString(fu.Groups[0].GroupName))

	_, err = f.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	requireErrAs[*types.DeleteConflictException](t, err)

	_, err = f.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
	require.NoError(t, err)
	_, err = f.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")})
	requireErrAs[*types.NoSuchEntityException](t, err)

	_, err = f.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	require.NoError(t, err)
	lg, err := f.ListGroups(ctx, &iam.ListGroupsInput{})
	require.NoError(t, err)
	assert.Empty(t, lg.Groups)
}

func TestUserPolicies(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`

	_, err := f.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)})
	require.NoError(t, err)
	_, err = f.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("empty")})
	requireErrAs[*types.InvalidInputException](t, err)
	lp, err := f.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, []string{"s3"}, lp.PolicyNames)

	const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	_, err = f.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)})
	require.NoError(t, err)
	_, err = f.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("ReadOnlyAccess")})
	requireErrAs[*types.InvalidInputException](t, err)
	la, err := f.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")})
	require.NoError(t, err)
	assert.Equal(t, []types.AttachedPolicy{{PolicyArn: aws.String(arn), PolicyName: aws.String("ReadOnlyAccess")}}, la.AttachedPolicies)

	_, err = f.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)})
	require.NoError(t, err)
	_, err = f.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)})
	requireErrAs[*types.NoSuchEntityException](t, err)
	_, err = f.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")})
	require.NoError(t, err)
	_, err = f.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("s3")})
	requireErrAs[*types.NoSuchEntityException](t, err)
}

// ---- pagination ----

func TestListUsersPagination(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("user%d", i)
		mustCreateUser(t, f, name)
		want = append(want, name)
	}

	t.Run("MaxItems 3 gives pages of 3, 3, 1", func(t *testing.T) {
		var got []string
		var sizes []int
		var marker *string
		for page := 0; ; page++ {
			require.Less(t, page, 10, "pagination does not end")
			out, err := f.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(3), Marker: marker})
			require.NoError(t, err)
			sizes = append(sizes, len(out.Users))
			for _, u := range out.Users {
				got = append(got, aws.ToString(u.UserName))
			}
			if !out.IsTruncated {
				assert.Nil(t, out.Marker, "the last page carries no Marker")
				break
			}
			require.NotNil(t, out.Marker, "a truncated page carries a Marker")
			require.NotEmpty(t, *out.Marker)
			marker = out.Marker
		}
		assert.Equal(t, []int{3, 3, 1}, sizes)
		assert.Equal(t, want, got)
	})
	t.Run("exactly MaxItems left is not truncated", func(t *testing.T) {
		out, err := f.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(7)})
		require.NoError(t, err)
		assert.Len(t, out.Users, 7)
		assert.False(t, out.IsTruncated)
		assert.Nil(t, out.Marker)
	})
	t.Run("default page size covers 7 users", func(t *testing.T) {
		out, err := f.ListUsers(ctx, &iam.ListUsersInput{})
		require.NoError(t, err)
		assert.Len(t, out.Users, 7)
		assert.False(t, out.IsTruncated)
	})
	t.Run("SDK paginator yields every user exactly once", func(t *testing.T) {
		p := iam.NewListUsersPaginator(f, &iam.ListUsersInput{}, func(o *iam.ListUsersPaginatorOptions) { o.Limit = 3 })
		var got []string
		pages := 0
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			require.NoError(t, err)
			pages++
			for _, u := range out.Users {
				got = append(got, aws.ToString(u.UserName))
			}
		}
		assert.Equal(t, 3, pages)
		assert.Equal(t, want, got)
	})
	invalid := []struct {
		name string
		in   *iam.ListUsersInput
	}{
		{"garbage Marker", &iam.ListUsersInput{Marker: aws.String("garbage")}},
		{"negative Marker", &iam.ListUsersInput{Marker: aws.String("fake-marker--1")}},
		{"Marker past the end", &iam.ListUsersInput{Marker: aws.String("fake-marker-99")}},
		{"MaxItems 0", &iam.ListUsersInput{MaxItems: aws.Int32(0)}},
		{"MaxItems 1001", &iam.ListUsersInput{MaxItems: aws.Int32(1001)}},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ListUsers(ctx, tt.in)
			requireErrAs[*types.InvalidInputException](t, err)
			requireAPIError(t, err, "ListUsers", "InvalidInput")
		})
	}
}

func TestGetGroupPagination(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	_, err := f.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("big")})
	require.NoError(t, err)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("member%d", i)
		mustCreateUser(t, f, name)
		_, err := f.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("big"), UserName: aws.String(name)})
		require.NoError(t, err)
		want = append(want, name)
	}

	p := iam.NewGetGroupPaginator(f, &iam.GetGroupInput{GroupName: aws.String("big")}, func(o *iam.GetGroupPaginatorOptions) { o.Limit = 3 })
	var got []string
	var sizes []int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		assert.Equal(t, "big", aws.ToString(out.Group.GroupName), "every page carries the group")
		sizes = append(sizes, len(out.Users))
		for _, u := range out.Users {
			got = append(got, aws.ToString(u.UserName))
		}
	}
	assert.Equal(t, []int{3, 3, 1}, sizes)
	assert.Equal(t, want, got)

	_, err = f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("big"), Marker: aws.String("nope")})
	requireErrAs[*types.InvalidInputException](t, err)
	_, err = f.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("big"), MaxItems: aws.Int32(0)})
	requireErrAs[*types.InvalidInputException](t, err)
}

func TestListSSHPublicKeysPagination(t *testing.T) {
	ctx := context.Background()
	_, f := newIAM(t)
	mustCreateUser(t, f, "alice")
	var want []string
	for range fakes.MaxSSHKeysPerUser {
		_, body := newEd25519Authorized(t)
		out, err := f.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String("alice"), SSHPublicKeyBody: aws.String(body)})
		require.NoError(t, err)
		want = append(want, aws.ToString(out.SSHPublicKey.SSHPublicKeyId))
	}

	p := iam.NewListSSHPublicKeysPaginator(f, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice")}, func(o *iam.ListSSHPublicKeysPaginatorOptions) { o.Limit = 2 })
	var got []string
	var sizes []int
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		sizes = append(sizes, len(out.SSHPublicKeys))
		for _, k := range out.SSHPublicKeys {
			got = append(got, aws.ToString(k.SSHPublicKeyId))
		}
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.Equal(t, want, got)

	_, err := f.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice"), Marker: aws.String("nope")})
	requireErrAs[*types.InvalidInputException](t, err)
	_, err = f.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: aws.String("alice"), MaxItems: aws.Int32(0)})
	requireErrAs[*types.InvalidInputException](t, err)
}
