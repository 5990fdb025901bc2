package fakes

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// iamState is the account's IAM data. Maps are keyed by lower-cased name,
// because IAM names are unique case-insensitively.
type iamState struct {
	users          map[string]*user
	groups         map[string]*group
	roles          map[string]*role
	mfa            map[string]*mfaDevice // by serial number
	passwordPolicy *types.PasswordPolicy
	accessKeyOwner map[string]string // access key ID -> lower-cased user name
	keyLastUsed    map[string]types.AccessKeyLastUsed
}

func (s *iamState) init() {
	s.users = map[string]*user{}
	s.groups = map[string]*group{}
	s.roles = map[string]*role{}
	s.mfa = map[string]*mfaDevice{}
	s.accessKeyOwner = map[string]string{}
	s.keyLastUsed = map[string]types.AccessKeyLastUsed{}
}

type user struct {
	name, id, arn, path string
	created             time.Time
	visible             time.Time // end of the user's eventual-consistency window
	tags                []types.Tag
	boundary            string
	login               *types.LoginProfile
	password            string
	groups              map[string]bool // lower-cased group names
	accessKeys          []*types.AccessKey
	sshKeys             []*types.SSHPublicKey
	certs               []*types.SigningCertificate
	serviceCreds        []*types.ServiceSpecificCredential
	inline              map[string]string // policy name -> document
	attached            map[string]string // policy ARN -> name
}

type group struct {
	name, id, arn, path string
	created             time.Time
	members             map[string]bool // lower-cased user names
}

type mfaDevice struct {
	serial   string
	seed     string // base32 text
	created  time.Time
	user     string // lower-cased user name; "" when unassigned
	enabled  time.Time
	lastStep int64 // last accepted TOTP step (code2's step)
	tags     []types.Tag
}

var (
	userNameRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,64}$`) })
	groupNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,128}$`) })
	pathRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`) })
	mfaNameRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,226}$`) })
	policyArnRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:[\w-]+:iam::(aws|\d{12}):policy/.+`) })
)

func msg(format string, args ...any) *string { return aws.String(fmt.Sprintf(format, args...)) }

func noSuchUser(name string) error {
	return &types.NoSuchEntityException{Message: msg("The user with name %s cannot be found.", name)}
}

func invalidInput(format string, args ...any) error {
	return &types.InvalidInputException{Message: msg(format, args...)}
}

func validateUserName(name *string) error {
	if name == nil || *name == "" {
		return invalidInput("1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must not be null")
	}
	if !userNameRE().MatchString(*name) {
		return invalidInput("1 validation error detected: Value '%s' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and have length between 1 and 64", *name)
	}
	return nil
}

func pathOrDefault(p *string) (string, error) {
	if p == nil || *p == "" {
		return "/", nil
	}
	if len(*p) > 512 || !pathRE().MatchString(*p) {
		return "", invalidInput("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return *p, nil
}

// lookupUser finds a user by name. visible applies the eventual-consistency
// window. Callers hold a.mu.
func (a *Account) lookupUser(name *string, visible bool) (*user, error) {
	if err := validateUserName(name); err != nil {
		return nil, err
	}
	u, ok := a.iam.users[strings.ToLower(*name)]
	if !ok {
		return nil, noSuchUser(*name)
	}
	if visible && a.clock.Now().Before(u.visible) {
		return nil, noSuchUser(*name)
	}
	return u, nil
}

func (u *user) sdk() *types.User {
	out := &types.User{
		Arn:        aws.String(u.arn),
		CreateDate: aws.Time(u.created),
		Path:       aws.String(u.path),
		UserId:     aws.String(u.id),
		UserName:   aws.String(u.name),
	}
	if len(u.tags) > 0 {
		out.Tags = append([]types.Tag(nil), u.tags...)
	}
	if u.boundary != "" {
		out.PermissionsBoundary = &types.AttachedPermissionsBoundary{
			PermissionsBoundaryArn:  aws.String(u.boundary),
			PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy,
		}
	}
	return out
}

func (g *group) sdk() types.Group {
	return types.Group{
		Arn:        aws.String(g.arn),
		CreateDate: aws.Time(g.created),
		GroupId:    aws.String(g.id),
		GroupName:  aws.String(g.name),
		Path:       aws.String(g.path),
	}
}

// dependencies lists what still blocks DeleteUser, in IAM's words.
func (a *Account) dependencies(u *user) []string {
	var deps []string
	if u.login != nil {
		deps = append(deps, "login profile")
	}
	if len(u.accessKeys) > 0 {
		deps = append(deps, "access keys")
	}
	if len(u.certs) > 0 {
		deps = append(deps, "signing certificates")
	}
	if len(u.sshKeys) > 0 {
		deps = append(deps, "SSH public keys")
	}
	if len(u.serviceCreds) > 0 {
		deps = append(deps, "service-specific credentials")
	}
	for _, d := range a.iam.mfa {
		if d.user == strings.ToLower(u.name) {
			deps = append(deps, "MFA devices")
			break
		}
	}
	if len(u.inline) > 0 {
		deps = append(deps, "inline policies")
	}
	if len(u.attached) > 0 {
		deps = append(deps, "attached policies")
	}
	if len(u.groups) > 0 {
		deps = append(deps, "group memberships")
	}
	return deps
}

func validateTags(tags []types.Tag) error {
	if len(tags) > 50 {
		return &types.LimitExceededException{Message: msg("Cannot exceed quota for TagsPerUser: 50")}
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if t.Key == nil || *t.Key == "" || len(*t.Key) > 128 {
			return invalidInput("tag key must be 1 to 128 characters")
		}
		if t.Value == nil || len(*t.Value) > 256 {
			return invalidInput("tag value for %q must be 0 to 256 characters", *t.Key)
		}
		k := strings.ToLower(*t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// paginate applies IAM's Marker/MaxItems contract to a sorted slice: MaxItems
// defaults to 100 and may be 1–1000; Marker is the opaque value the previous
// page returned.
func paginate[T any](items []T, marker *string, maxItems *int32) (page []T, truncated bool, next *string, err error) {
	limit := 100
	if maxItems != nil {
		if *maxItems < 1 || *maxItems > 1000 {
			return nil, false, nil, invalidInput("MaxItems must be between 1 and 1000")
		}
		limit = int(*maxItems)
	}
	start := 0
	if marker != nil {
		s, ok := strings.CutPrefix(*marker, "fake-marker-")
		n, convErr := strconv.Atoi(s)
		if !ok || convErr != nil || n < 0 || n > len(items) {
			return nil, false, nil, invalidInput("Invalid Marker: %s", *marker)
		}
		start = n
	}
	end := start + limit
	if end >= len(items) {
		return items[start:], false, nil, nil
	}
	return items[start:end], true, aws.String("fake-marker-" + strconv.Itoa(end)), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
