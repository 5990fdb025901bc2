package federation

import (
	"net/url"

	"github.com/iamkit/iamkit/internal/awsname"
)

// SwitchRoleURL returns the console's role-switch link for roleARN on its
// partition's sign-in host ("https://signin.aws.amazon.com/switchrole?
// account=…&roleName=…&displayName=…"): opened in a browser that has a
// console session, it offers to switch that session into the role. It
// holds no secret. The switched session is a chained role session (one
// hour at most), and the role's trust policy must trust the session's
// principal; a console session from GetFederationToken carries no MFA, so
// a role that requires MFA cannot be switched into from it. displayName
// ("" for the role's name) is what the console shows; at most 64
// characters are kept.
func SwitchRoleURL(roleARN, displayName string) (string, error) {
	a, err := awsname.RoleARN(roleARN)
	if err != nil {
		return "", invalid("role ARN %q is not a role ARN", roleARN)
	}
	p, err := LookupPartition(a.Partition)
	if err != nil {
		return "", err
	}
	host := p.SigninHost
	if p.SigninRegion != "" {
		host = p.SigninRegion + "." + host
	}
	role := a.Rest // with its path, as the console wants it
	if displayName == "" {
		displayName = a.Name()
	}
	if r := []rune(displayName); len(r) > 64 {
		displayName = string(r[:64])
	}
	q := url.Values{"account": {a.AccountID}, "roleName": {role}, "displayName": {displayName}}
	u := url.URL{Scheme: "https", Host: host, Path: "/switchrole", RawQuery: q.Encode()}
	return u.String(), nil
}
