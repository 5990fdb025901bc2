// Package broker is a console sign-in broker for people who have no IAM
// user, as an http.Handler to mount in any server: it authenticates the
// request, maps the person to a role, obtains the role's temporary
// credentials and redirects the browser to the AWS console through the
// partition's sign-in endpoint (package federation does the AWS part).
// examples/consolebroker serves it as a command and as a Lambda function.
//
// # What the handler serves
//
//	GET /                         the person's roles, as an HTML list of links
//	GET /console?role=NAME        sign in with the role named NAME
//	    [&destination=URL]          land on URL, a page of the partition's console host
//	    [&service=PATH[&region=R]]  or on a service page ("ec2/home#Instances:"),
//	                                in region R (default: WithRegion's)
//
// role may be left out when the person has exactly one. Only GET is
// served: a HEAD (a link checker, a prefetcher) would mint a login URL as
// well as a GET does. Every answer carries Cache-Control: no-store,
// Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff. The
// answers:
//
//	200  the index page
//	302  Location: the login URL (or, with WithLogoutFirst, the console's
//	     logout URL leading to it), valid 15 minutes; no body
//	400  several roles and none named; destination and service both given;
//	     a destination off the console host (no open redirect) or a bad
//	     service path or region
//	401  the Authenticator refused the request
//	403  the role is not one of the person's
//	404  another path
//	405  another method (with Allow: GET)
//	429  the person minted too many URLs ([WithRateLimit]; default 10 at
//	     once, then one every 30 s), with Retry-After in seconds; AWS is
//	     not called
//	502  AWS refused the credentials, or the sign-in endpoint refused the
//	     session
//	503  the sign-in endpoint failed in a way that may pass (5xx, 429), or
//	     an AWS step passed its deadline ([WithCallTimeout], default 10 s
//	     for the credentials, and as much for the sign-in token)
//
// Error bodies are short plain text for the person; the details (AWS's
// error, why a request was refused) go to the log only. The handler serves
// at the root of its host; mounted under a prefix with http.StripPrefix,
// the index's relative links keep working when it is reached with its
// trailing slash.
//
// # The pieces, and the interfaces each needs
//
// [New] takes three pieces and [Option]s:
//
//   - an [Authenticator] says who sent the request. [HeaderAuth] trusts a
//     reverse proxy that authenticates people and names them in a header,
//     proven by a second header carrying a secret only the proxy knows
//     (a Lambda function URL is public: without the secret anyone could
//     claim to be anyone). [TokenAuth] checks bearer tokens against a file
//     of their SHA-256 hashes ([ParseTokens], [LoadTokenFile],
//     [HashToken]). [ALBAuth] trusts an Application Load Balancer's OIDC
//     authentication: the person is a claim of the x-amzn-oidc-data JWT
//     the ALB signs, checked against the ALB's public key (and, with
//     [WithALBIssuer], naming the identity provider expected, when the ALB
//     has rules with others). Any other scheme can be plugged in.
//   - a [RoleMap] says which roles each person may use: "person role-name
//     role-ARN" lines, "*" for everyone ([ParseRoleMap], [LoadRoleMap]).
//     Its partition picks the sign-in endpoint.
//   - a [Source] obtains the credentials. [CognitoSource] uses an identity
//     pool whose developer provider is the broker (one Cognito identity per
//     person, no IAM user); it needs a federation.CognitoBasicAPI
//     (*cognitoidentity.Client, in the pool's region) and a
//     federation.WebIdentityAPI (*sts.Client). [AssumeRoleSource] calls
//     AssumeRole with the broker's own credentials; it needs a
//     federation.AssumeRoleAPI (*sts.Client). [FederationTokenSource]
//     calls GetFederationToken for "federated" entries of the role map,
//     and only starts with an IAM user's long-term keys (not as a Lambda
//     function). Each role may carry session policies (policy=FILE,
//     policy-arn=ARN in the role map) that narrow what the session may do. The role session is named
//     after the person ([SessionName]), so CloudTrail and the console show
//     who used the role.
//
// The sign-in endpoint is plain HTTPS: [WithHTTPClient] and
// [WithSignInEndpoint] replace the client and the URL (a private endpoint,
// a test's). [WithClock] takes an iamkit.Clock for credential expirations.
//
// # Secrets
//
// Login URLs, sign-in tokens, credentials, bearer tokens and the proxy
// secret are never logged, never put in an error and never shown in a page.
// [WithLogger] receives refusals (path, remote address, why), sign-ins
// (person, role ARN, where the URL lands) and AWS failures; nil discards.
//
// # Who the person is
//
// The person comes from the Authenticator only — with [HeaderAuth], from
// the header the proxy sets, next to its secret. The handler never reads
// cookies: a cookie can be planted by any page of a sibling domain, and
// a login URL minted on its word would be a session for someone else.
// Refused requests (401, 403, 400) spend nothing of the rate limit.
//
// # Serving it
//
// [NewServer] wraps the handler in an http.Server with every timeout set
// (read header, read, write — room for both AWS steps —, idle). Serve it
// with TLS, or on loopback behind a proxy that terminates TLS: the login
// URL in the redirect is the console session. As a Lambda function behind
// a function URL with InvokeMode RESPONSE_STREAM, through aws-lambda-go's
// lambdaurl.Start(h); see examples/consolebroker for both, and
// examples/cloudformation/consolebroker.yaml for a deployment.
package broker
