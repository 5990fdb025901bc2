package fakes

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

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
		// IAM returns the document URL-encoded, as the query API does,
		// per RFC 3986: every byte but A-Z a-z 0-9 - _ . ~ as %XX (a
		// space is %20, not "+").
		AssumeRolePolicyDocument: aws.String(strings.ReplaceAll(url.QueryEscape(r.trust), "+", "%20")),
	}
}

// CreateRole implements iam.Client.CreateRole. The trust policy is validated
// as UpdateAssumeRolePolicy validates it and stored as given; GetRole returns
// it URL-encoded, as IAM does.
func (f *IAM) CreateRole(ctx context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateRole", in, func() (*iam.CreateRoleOutput, error) {
		name := aws.ToString(in.RoleName)
		if !userNameRE().MatchString(name) {
			return nil, invalidInput("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint", name)
		}
		path, err := pathOrDefault(in.Path)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(path, serviceLinkedPath) {
			return nil, invalidInput("The path prefix %s is reserved for service-linked roles; use CreateServiceLinkedRole.", serviceLinkedPath)
		}
		if aws.ToString(in.AssumeRolePolicyDocument) == "" {
			return nil, &types.MalformedPolicyDocumentException{Message: msg("AssumeRolePolicyDocument is required")}
		}
		if err := a.checkTrustPolicy(*in.AssumeRolePolicyDocument); err != nil {
			return nil, err
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
		a.dir.created(r.arn, r.id)
		return &iam.CreateRoleOutput{Role: r.sdk()}, nil
	})
}

// GetRole implements iam.Client.GetRole; the trust policy comes URL-encoded.
func (f *IAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:GetRole", in, func() (*iam.GetRoleOutput, error) {
		a.resolveDeleted()
		r, ok := a.iam.roles[strings.ToLower(aws.ToString(in.RoleName))]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The role with name %s cannot be found.", aws.ToString(in.RoleName))}
		}
		return &iam.GetRoleOutput{Role: r.sdk()}, nil
	})
}

// DeleteRole implements iam.Client.DeleteRole. A service-linked role is
// refused with UnmodifiableEntity. Every trust policy that named the role
// now names its unique ID (AROA…) instead, as IAM shows it.
func (f *IAM) DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:DeleteRole", in, func() (*iam.DeleteRoleOutput, error) {
		key := strings.ToLower(aws.ToString(in.RoleName))
		r, ok := a.iam.roles[key]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The role with name %s cannot be found.", aws.ToString(in.RoleName))}
		}
		if r.serviceLinked() {
			return nil, unmodifiable(r)
		}
		delete(a.iam.roles, key)
		a.principalDeleted(r.arn, r.id)
		a.dir.removed(r.arn, r.id)
		return &iam.DeleteRoleOutput{}, nil
	})
}

// serviceLinkedPath is the path prefix of service-linked roles.
const serviceLinkedPath = "/aws-service-role/"

// trustPolicyQuota is IAM's default quota for a role trust policy, in
// characters without whitespace.
const trustPolicyQuota = 2048

func (r *role) serviceLinked() bool { return strings.HasPrefix(r.path, serviceLinkedPath) }

func unmodifiable(r *role) error {
	return &types.UnmodifiableEntityException{Message: msg("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.name)}
}

// UpdateAssumeRolePolicy implements iam.Client.UpdateAssumeRolePolicy. The
// document is validated as IAM does (see checkTrustPolicy); a service-linked
// role is refused with UnmodifiableEntity.
func (f *IAM) UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	a := f.a
	return call(ctx, a, "iam:UpdateAssumeRolePolicy", in, func() (*iam.UpdateAssumeRolePolicyOutput, error) {
		name := aws.ToString(in.RoleName)
		r, ok := a.iam.roles[strings.ToLower(name)]
		if !ok {
			return nil, &types.NoSuchEntityException{Message: msg("The role with name %s cannot be found.", name)}
		}
		if r.serviceLinked() {
			return nil, unmodifiable(r)
		}
		doc := aws.ToString(in.PolicyDocument)
		if err := a.checkTrustPolicy(doc); err != nil {
			return nil, err
		}
		r.trust = doc
		return &iam.UpdateAssumeRolePolicyOutput{}, nil
	})
}

// ListRoles implements iam.Client.ListRoles with PathPrefix and
// Marker/MaxItems pagination; each role's trust policy comes URL-encoded.
func (f *IAM) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	a := f.a
	return call(ctx, a, "iam:ListRoles", in, func() (*iam.ListRolesOutput, error) {
		a.resolveDeleted()
		prefix := aws.ToString(in.PathPrefix)
		var all []types.Role
		for _, k := range sortedKeys(a.iam.roles) {
			r := a.iam.roles[k]
			if prefix != "" && !strings.HasPrefix(r.path, prefix) {
				continue
			}
			all = append(all, *r.sdk())
		}
		page, trunc, next, err := paginate(all, in.Marker, in.MaxItems)
		if err != nil {
			return nil, err
		}
		return &iam.ListRolesOutput{Roles: page, IsTruncated: trunc, Marker: next}, nil
	})
}

// serviceRoleNames are the role names of a few well-known service-linked
// roles; other services get AWSServiceRoleFor + their capitalized first label.
var serviceRoleNames = map[string]string{
	"autoscaling":      "AutoScaling",
	"elasticbeanstalk": "ElasticBeanstalk",
	"ecs":              "ECS",
	"rds":              "RDS",
	"sso":              "SSO",
	"support":          "Support",
	"trustedadvisor":   "TrustedAdvisor",
	"organizations":    "Organizations",
}

var servicePrincipalRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
})

// CreateServiceLinkedRole implements iam.Client.CreateServiceLinkedRole: a role
// named AWSServiceRoleFor… (plus "_" and CustomSuffix) at the path
// /aws-service-role/SERVICE/, trusting the service. Its trust policy can then
// be read but not changed (UnmodifiableEntity), as in IAM.
func (f *IAM) CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	a := f.a
	return call(ctx, a, "iam:CreateServiceLinkedRole", in, func() (*iam.CreateServiceLinkedRoleOutput, error) {
		svc := aws.ToString(in.AWSServiceName)
		if !servicePrincipalRE().MatchString(svc) {
			return nil, invalidInput("Invalid AWS service name: %s", svc)
		}
		label, _, _ := strings.Cut(svc, ".")
		short, ok := serviceRoleNames[label]
		if !ok {
			short = strings.ToUpper(label[:1]) + label[1:]
		}
		name := "AWSServiceRoleFor" + short
		if sfx := aws.ToString(in.CustomSuffix); sfx != "" {
			name += "_" + sfx
		}
		if !userNameRE().MatchString(name) {
			return nil, invalidInput("Invalid role name %s", name)
		}
		key := strings.ToLower(name)
		if _, ok := a.iam.roles[key]; ok {
			return nil, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		path := serviceLinkedPath + svc + "/"
		trust, _ := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": map[string]any{"Service": svc}, "Action": "sts:AssumeRole",
			}},
		})
		r := &role{
			name: name, id: a.newID("AROA", 17), arn: a.arn("iam", "role"+path+name), path: path,
			created: a.clock.Now().UTC(), trust: string(trust), maxSession: 3600,
			description: aws.ToString(in.Description),
		}
		a.iam.roles[key] = r
		return &iam.CreateServiceLinkedRoleOutput{Role: r.sdk()}, nil
	})
}

// TrustPolicy returns a role's trust policy as IAM stores it, not URL-encoded
// (test helper).
func (a *Account) TrustPolicy(roleName string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.resolveDeleted()
	r, ok := a.iam.roles[strings.ToLower(roleName)]
	if !ok {
		return "", false
	}
	return r.trust, true
}

// ---- trust policy validation ----

func malformed(format string, args ...any) error {
	return &types.MalformedPolicyDocumentException{Message: msg(format, args...)}
}

func invalidPrincipal(kind, value string) error {
	return malformed("Invalid principal in policy: %q:%q", kind, value)
}

var (
	awsPrincipalARNRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$`) })
	iamResourceRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(user|role)/(?:[\x21-\x7E]*/)?([\w+=,.@-]{1,64})$`) })
	stsResourceRE     = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(assumed-role/([\w+=,.@-]{1,64})/[\w+=,.@-]{2,64}|federated-user/[\w+=,.@-]{2,32})$`)
	})
	federatedARNRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(oidc-provider/[\x21-\x7E]+|saml-provider/[\w.-]{1,128})$`)
	})
	twelveDigitsRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d{12}$`) })
)

var webIdentityHosts = map[string]bool{
	"cognito-identity.amazonaws.com": true, "cognito-identity.amazonaws.com.cn": true,
	"accounts.google.com": true, "graph.facebook.com": true, "www.amazon.com": true,
}

// trustPolicySize counts a document as IAM does against the quota:
// characters, whitespace excluded.
func trustPolicySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// checkTrustPolicy validates a trust policy as IAM does on CreateRole and
// UpdateAssumeRolePolicy: JSON syntax; the size quota (LimitExceeded); the
// Version; statements with an Allow/Deny Effect, a Principal or NotPrincipal,
// an Action of sts: actions and no Resource; and principals that exist: an
// ARN of a user or role of this account must name one that exists and is
// visible (see SetConsistencyWindow), unique IDs and partial wildcards are
// refused ("Invalid principal in policy"). Principals of other accounts are
// checked for syntax only. Callers hold a.mu.
func (a *Account) checkTrustPolicy(doc string) error {
	if strings.TrimSpace(doc) == "" || !json.Valid([]byte(doc)) {
		return malformed("Syntax errors in policy.")
	}
	if n := trustPolicySize(doc); n > trustPolicyQuota {
		return &types.LimitExceededException{Message: msg("Cannot exceed quota for ACLSizePerRole: %d", trustPolicyQuota)}
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return malformed("Syntax errors in policy.")
	}
	if v, ok := root["Version"]; ok && v != "2012-10-17" && v != "2008-10-17" {
		return malformed("The policy failed legacy parsing")
	}
	var stmts []any
	switch st := root["Statement"].(type) {
	case map[string]any:
		stmts = []any{st}
	case []any:
		stmts = st
	default:
		return malformed("Syntax errors in policy.")
	}
	if len(stmts) == 0 {
		return malformed("Syntax errors in policy.")
	}
	for _, raw := range stmts {
		st, ok := raw.(map[string]any)
		if !ok {
			return malformed("Syntax errors in policy.")
		}
		if e := st["Effect"]; e != "Allow" && e != "Deny" {
			return malformed("Invalid effect: %v", e)
		}
		for _, k := range []string{"Resource", "NotResource"} {
			if _, ok := st[k]; ok {
				return malformed("Has prohibited field %s", k)
			}
		}
		action, ok := st["Action"]
		if !ok {
			if action, ok = st["NotAction"]; !ok {
				return malformed("Missing required field Action")
			}
		}
		actions, ok := stringList(action)
		if !ok || len(actions) == 0 {
			return malformed("Syntax errors in policy.")
		}
		for _, act := range actions {
			if act != "*" && !strings.HasPrefix(strings.ToLower(act), "sts:") {
				return malformed("AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
		principal, ok := st["Principal"]
		if !ok {
			if principal, ok = st["NotPrincipal"]; !ok {
				return malformed("Missing required field Principal")
			}
		}
		if err := a.checkPrincipals(principal); err != nil {
			return err
		}
	}
	return nil
}

func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

func (a *Account) checkPrincipals(principal any) error {
	if principal == "*" {
		return nil
	}
	m, ok := principal.(map[string]any)
	if !ok || len(m) == 0 {
		return malformed("Invalid principal in policy")
	}
	for _, kind := range sortedKeys(m) {
		values, ok := stringList(m[kind])
		if !ok || len(values) == 0 {
			return malformed("Invalid principal in policy")
		}
		for _, v := range values {
			var valid bool
			switch {
			case v != "*" && strings.ContainsAny(v, "*?"):
				valid = false // no partial wildcards
			case kind == "AWS":
				valid = a.awsPrincipalExists(v)
			case kind == "Service":
				valid = servicePrincipalRE().MatchString(v)
			case kind == "Federated":
				valid = federatedARNRE().MatchString(v) || webIdentityHosts[v]
			}
			if !valid {
				return invalidPrincipal(kind, v)
			}
		}
	}
	return nil
}

// awsPrincipalExists reports whether IAM would accept v as an AWS principal:
// "*", an account ID, or an ARN that resolves. Callers hold a.mu.
func (a *Account) awsPrincipalExists(v string) bool {
	if v == "*" || twelveDigitsRE().MatchString(v) {
		return true
	}
	m := awsPrincipalARNRE().FindStringSubmatch(v)
	if m == nil {
		return false // unique IDs included: IAM refuses them
	}
	partition, service, account, resource := m[1], m[2], m[3], m[4]
	var role string
	switch {
	case service == "iam" && resource == "root":
		return true
	case service == "iam":
		rm := iamResourceRE().FindStringSubmatch(resource)
		if rm == nil {
			return false
		}
		if account != a.id || partition != a.partition {
			// Another account: resolved through the directory when linked,
			// checked for syntax only otherwise.
			return a.dir == nil || a.dir.exists(v)
		}
		if rm[1] == "user" {
			u, ok := a.iam.users[strings.ToLower(rm[2])]
			return ok && strings.EqualFold(u.arn, v) && !a.clock.Now().Before(u.visible)
		}
		r, ok := a.iam.roles[strings.ToLower(rm[2])]
		return ok && strings.EqualFold(r.arn, v)
	default: // sts
		sm := stsResourceRE().FindStringSubmatch(resource)
		if sm == nil {
			return false
		}
		role = sm[2]
	}
	if role == "" || account != a.id || partition != a.partition {
		return true
	}
	_, ok := a.iam.roles[strings.ToLower(role)]
	return ok
}

// ---- unique-ID substitution ----

// principalDeleted rewrites every trust policy of the account that names arn
// as an AWS principal so that it names id instead: IAM binds a principal to
// the entity's unique ID when the policy is saved, and once the user or role
// is deleted it shows that ID (AIDA…/AROA…) in place of the ARN. Everything
// else in the documents stays byte for byte. DeleteUser and DeleteRole call
// it; callers hold a.mu.
func (a *Account) principalDeleted(arn, id string) {
	for _, r := range a.iam.roles {
		r.trust = rewriteAWSPrincipals(r.trust, func(s string) (string, bool) {
			return id, strings.EqualFold(s, arn)
		})
	}
}

// rewriteAWSPrincipals replaces, in a trust policy, the AWS principal strings
// (under Statement[…].Principal.AWS or NotPrincipal.AWS, a value or a list)
// for which repl returns true, leaving every other byte as it was. A document
// that is not valid JSON is returned unchanged.
func rewriteAWSPrincipals(doc string, repl func(string) (string, bool)) string {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
	}
	type span struct {
		start, end int
		with       string
	}
	var (
		stack []frame
		spans []span
	)
	dec := json.NewDecoder(strings.NewReader(doc))
	// path returns the keys and "[]" for array elements leading to the value
	// being read.
	path := func() []string {
		var p []string
		for _, f := range stack {
			if f.obj {
				p = append(p, f.key)
			} else {
				p = append(p, "[]")
			}
		}
		return p
	}
	isPrincipalPath := func(p []string) bool {
		// Statement [ [] ] (Principal|NotPrincipal) AWS [ [] ]
		if len(p) > 0 && p[len(p)-1] == "[]" {
			p = p[:len(p)-1]
		}
		if len(p) < 3 || p[0] != "Statement" {
			return false
		}
		p = p[1:]
		if p[0] == "[]" {
			p = p[1:]
		}
		return len(p) == 2 && (p[0] == "Principal" || p[0] == "NotPrincipal") && p[1] == "AWS"
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	for {
		prev := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			break
		}
		end := int(dec.InputOffset())
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = t, false
				continue
			}
			if with, ok := repl(t); ok && isPrincipalPath(path()) {
				start := int(prev) + strings.IndexByte(doc[prev:end], '"')
				spans = append(spans, span{start, end, with})
			}
			valueDone()
		default:
			valueDone()
		}
	}
	if len(spans) == 0 {
		return doc
	}
	var b bytes.Buffer
	last := 0
	for _, s := range spans {
		b.WriteString(doc[last:s.start])
		q, _ := json.Marshal(s.with)
		b.Write(q)
		last = s.end
	}
	b.WriteString(doc[last:])
	return b.String()
}
