// Command consolebroker is a small AWS console sign-in broker for people who
// have no IAM user: it authenticates a request through a pluggable check,
// maps the person to a role, obtains the role's credentials and redirects
// the browser to the console through the sign-in endpoint. The broker is
// the importable handler of package federation/broker; this command only
// reads its configuration, builds the AWS clients and serves it.
//
// It runs as an HTTP server, or as a Lambda function when started by the
// Lambda runtime (AWS_LAMBDA_RUNTIME_API is set): the target of an
// Application Load Balancer that authenticates people with OIDC
// (BROKER_AUTH=alb; see examples/cloudformation/consolebroker.yaml), or
// behind a function URL with InvokeMode RESPONSE_STREAM (served by
// aws-lambda-go's lambdaurl) with a proxy in front that sets the headers.
// Build for the provided.al2023 runtime:
//
//	GOOS=linux GOARCH=arm64 go build -tags lambda.norpc -o bootstrap ./examples/consolebroker
//
// "consolebroker --version" prints the version it was built from and exits.
//
// Configuration is read from the environment (flags are not practical in
// Lambda):
//
//	BROKER_ROLES_FILE            person → role map (see broker.ParseRoleMap); required
//	BROKER_AUTH                  "header" (trusted reverse proxy), "alb" (an ALB's OIDC
//	                             authentication; as a Lambda function, its target) or "token-file"
//	BROKER_ALB_ARN               alb auth: the load balancer's ARN (the JWT's signer)
//	BROKER_ALB_CLAIM             alb auth: the claim naming the person (default email)
//	BROKER_ALB_ISSUER            alb auth: the IdP's issuer URL the JWT must name (its iss);
//	                             set it when the ALB has rules with other IdPs
//	BROKER_USER_HEADER           header auth: the header naming the person (X-Forwarded-Email)
//	BROKER_PROXY_SECRET_HEADER   header auth: the header carrying the proxy's secret (X-Broker-Secret)
//	BROKER_PROXY_SECRET          header auth: the secret (16+ characters)
//	BROKER_TOKEN_FILE            token-file auth: "person sha256-hex" lines (see broker.ParseTokens)
//	BROKER_SOURCE                "cognito" (default), "assume-role" or "federation-token"
//	BROKER_POOL_ID               cognito: the identity pool (basic flow allowed)
//	BROKER_DEVELOPER_PROVIDER    cognito: the pool's developer provider name
//	BROKER_ROLE_DURATION         role session (or federation token) duration (Go duration; default 1h)
//	BROKER_SESSION_DURATION      console session duration (default: none sent)
//	BROKER_REGION                console region (default AWS_REGION)
//	BROKER_REGIONAL_SIGNIN       "true": the regional sign-in host
//	BROKER_ISSUER                the broker's own URL (the console links back to it)
//	BROKER_LOGOUT_FIRST          "true": sign out of any console session first
//	BROKER_SIGNIN_ENDPOINT       another federation endpoint URL (a private one, a test's)
//	BROKER_RATE_LIMIT            sign-ins per person: "BURST/INTERVAL", BURST at once then one
//	                             per INTERVAL (default 10/30s); "0" turns it off
//	BROKER_CALL_TIMEOUT          deadline of each AWS step (default 10s)
//	BROKER_ADDR                  server: listen address (default 127.0.0.1:8080)
//	BROKER_TLS_CERT, BROKER_TLS_KEY  server: serve HTTPS with this certificate and key (PEM)
//	BROKER_INSECURE_HTTP         server: "true" allows plain HTTP on a non-loopback address
//
// As a server, flags override the environment:
//
//	--addr ADDR              listen address
//	--tls-cert FILE          certificate (PEM, chain first) to serve HTTPS
//	--tls-key FILE           its private key (PEM)
//	--insecure-http          serve plain HTTP on a non-loopback address: only
//	                         behind a proxy that terminates TLS and is the sole
//	                         way in
//
// Without TLS the broker listens only on a loopback address (127.0.0.1,
// ::1, localhost): the redirect it answers carries the console session,
// and must not cross a network in clear. Every server timeout is set
// (broker.NewServer), each AWS step has a deadline, and the SDK's HTTP
// client times out each attempt.
//
// AWS clients come from config.LoadDefaultConfig. With the cognito source
// the broker's credentials need cognito-identity:GetOpenIdTokenForDeveloperIdentity
// on the pool, and the roles must trust the pool's authenticated identities;
// with assume-role they need sts:AssumeRole on the roles. The role file
// may give each role session policies (policy=FILE, policy-arn=ARN; see
// broker.ParseRoleMap), passed to AssumeRole (or, inline only, to
// AssumeRoleWithWebIdentity). The federation-token source signs people in
// as federated users (GetFederationToken) with the session policies of
// "federated" entries of the role file; it needs an IAM user's long-term
// keys, which the broker checks at start-up (GetCallerIdentity) and
// refuses to start without — so not as a Lambda function, whose
// credentials are a role's.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/iamkit/iamkit/federation"
	"github.com/iamkit/iamkit/federation/broker"
	"github.com/iamkit/iamkit/internal/version"
	"github.com/iamkit/iamkit/mfa"
)

// Config is the broker's configuration.
type Config struct {
	RolesFile       string
	Auth            string // "header" or "token-file"
	UserHeader      string
	SecretHeader    string
	ProxySecret     string
	TokenFile       string
	ALBARN          string
	ALBClaim        string
	ALBIssuer       string
	Source          string // "cognito" or "assume-role"
	PoolID          string
	DevProvider     string
	RoleDuration    time.Duration
	SessionDuration time.Duration
	Region          string
	RegionalSignin  bool
	Issuer          string
	LogoutFirst     bool
	Addr            string
	SigninEndpoint  string // tests: the fake sign-in endpoint
	RateBurst       int
	RateEvery       time.Duration
	CallTimeout     time.Duration
	TLSCert         string
	TLSKey          string
	InsecureHTTP    bool
}

// DefaultAddr is where the broker listens without --addr: loopback, as
// plain HTTP is refused elsewhere.
const DefaultAddr = "127.0.0.1:8080"

// LoadConfig reads the configuration from getenv and checks it.
func LoadConfig(getenv func(string) string) (*Config, error) {
	get := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	c := &Config{
		RolesFile: getenv("BROKER_ROLES_FILE"), Auth: get("BROKER_AUTH", "header"),
		UserHeader: get("BROKER_USER_HEADER", "X-Forwarded-Email"), SecretHeader: get("BROKER_PROXY_SECRET_HEADER", "X-Broker-Secret"),
		ProxySecret: getenv("BROKER_PROXY_SECRET"), TokenFile: getenv("BROKER_TOKEN_FILE"),
		ALBARN: getenv("BROKER_ALB_ARN"), ALBClaim: get("BROKER_ALB_CLAIM", "email"), ALBIssuer: getenv("BROKER_ALB_ISSUER"),
		Source: get("BROKER_SOURCE", "cognito"), PoolID: getenv("BROKER_POOL_ID"), DevProvider: getenv("BROKER_DEVELOPER_PROVIDER"),
		Region: get("BROKER_REGION", getenv("AWS_REGION")), Issuer: getenv("BROKER_ISSUER"), Addr: get("BROKER_ADDR", DefaultAddr),
		TLSCert: getenv("BROKER_TLS_CERT"), TLSKey: getenv("BROKER_TLS_KEY"),
		SigninEndpoint: getenv("BROKER_SIGNIN_ENDPOINT"),
	}
	var errs []error
	dur := func(k string) time.Duration {
		v := getenv(k)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		return d
	}
	flag := func(k string) bool {
		v := getenv(k)
		if v == "" {
			return false
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
		return b
	}
	c.RoleDuration, c.SessionDuration = dur("BROKER_ROLE_DURATION"), dur("BROKER_SESSION_DURATION")
	c.RegionalSignin, c.LogoutFirst = flag("BROKER_REGIONAL_SIGNIN"), flag("BROKER_LOGOUT_FIRST")
	c.InsecureHTTP = flag("BROKER_INSECURE_HTTP")
	c.CallTimeout = dur("BROKER_CALL_TIMEOUT")
	if c.CallTimeout < 0 {
		errs = append(errs, fmt.Errorf("BROKER_CALL_TIMEOUT %s is negative", c.CallTimeout))
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = broker.DefaultCallTimeout
	}
	var err error
	if c.RateBurst, c.RateEvery, err = parseRateLimit(get("BROKER_RATE_LIMIT", fmt.Sprintf("%d/%s", broker.DefaultRateBurst, broker.DefaultRateEvery))); err != nil {
		errs = append(errs, fmt.Errorf("BROKER_RATE_LIMIT: %w", err))
	}
	if c.RolesFile == "" {
		errs = append(errs, errors.New("BROKER_ROLES_FILE is required"))
	}
	switch c.Auth {
	case "header":
		if c.ProxySecret == "" {
			errs = append(errs, errors.New("header auth needs BROKER_PROXY_SECRET"))
		}
	case "token-file":
		if c.TokenFile == "" {
			errs = append(errs, errors.New("token-file auth needs BROKER_TOKEN_FILE"))
		}
	case "alb":
		if c.ALBARN == "" {
			errs = append(errs, errors.New("alb auth needs BROKER_ALB_ARN"))
		}
	default:
		errs = append(errs, fmt.Errorf("BROKER_AUTH %q: header, alb or token-file", c.Auth))
	}
	switch c.Source {
	case "cognito":
		if c.PoolID == "" || c.DevProvider == "" {
			errs = append(errs, errors.New("the cognito source needs BROKER_POOL_ID and BROKER_DEVELOPER_PROVIDER"))
		}
	case "assume-role", "federation-token":
	default:
		errs = append(errs, fmt.Errorf("BROKER_SOURCE %q: cognito, assume-role or federation-token", c.Source))
	}
	if err := federation.CheckSessionDuration(mfa.KindAssumedRole, c.SessionDuration); err != nil {
		errs = append(errs, fmt.Errorf("BROKER_SESSION_DURATION: %w", err))
	}
	return c, errors.Join(errs...)
}

// parseRateLimit reads "BURST/INTERVAL" ("10/30s"), or "0" for no limit.
func parseRateLimit(s string) (int, time.Duration, error) {
	if s == "0" {
		return 0, 0, nil
	}
	b, e, ok := strings.Cut(s, "/")
	burst, err := strconv.Atoi(b)
	if !ok || err != nil || burst <= 0 {
		return 0, 0, fmt.Errorf("%q: want BURST/INTERVAL, e.g. 10/30s, or 0", s)
	}
	every, err := time.ParseDuration(e)
	if err != nil || every <= 0 {
		return 0, 0, fmt.Errorf("%q: the interval must be a positive duration", s)
	}
	return burst, every, nil
}

// ParseFlags applies the server's command-line flags over c (flags win
// over the environment) and checks the listening rules: TLS needs both
// files, and plain HTTP only on loopback unless InsecureHTTP.
func ParseFlags(c *Config, args []string) error {
	fs := flag.NewFlagSet("consolebroker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "certificate file (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "private key file (PEM)")
	fs.BoolVar(&c.InsecureHTTP, "insecure-http", c.InsecureHTTP, "allow plain HTTP on a non-loopback address (a TLS-terminating proxy in front)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return CheckListen(c)
}

// CheckListen refuses a configuration that would send login URLs in clear
// over a network: TLS needs both --tls-cert and --tls-key; without TLS the
// address must be loopback, unless InsecureHTTP says a proxy terminates TLS.
func CheckListen(c *Config) error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.TLSCert != "" || c.InsecureHTTP {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address and there is no TLS: the redirect carries the console session; "+
		"give --tls-cert and --tls-key, or --insecure-http if a proxy in front terminates TLS and is the only way in", c.Addr)
}

// Clients are the AWS clients the broker calls.
type Clients struct {
	Cognito federation.CognitoBasicAPI
	STS     interface {
		federation.WebIdentityAPI
		federation.AssumeRoleAPI
		federation.FederationTokenAPI
	}
	HTTPClient *http.Client // for the sign-in endpoint; nil: the default
	// Identify tells what the broker's own credentials are
	// (GetCallerIdentity); the federation-token source needs an IAM user's
	// long-term keys. nil: unknown.
	Identify func(ctx context.Context) (*federation.Identity, error)
}

// awsClients builds the SDK clients from cfg: Cognito Identity in the
// pool's own region, STS in cfg's.
func awsClients(cfg aws.Config, c *Config) Clients {
	cog := cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) {
		if r, _, ok := cutRegion(c.PoolID); ok {
			o.Region = r // the pool's own region
		}
	})
	st := sts.NewFromConfig(cfg)
	return Clients{Cognito: cog, STS: st, Identify: func(ctx context.Context) (*federation.Identity, error) {
		if cfg.Credentials == nil {
			return nil, errors.New("no AWS credentials")
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("retrieving the broker's credentials: %w", err)
		}
		return federation.Identify(ctx, st, creds, "")
	}}
}

// NewHandler builds the broker from its configuration: it reads the role
// map and the token file and hands everything to broker.New. opts come
// last (tests set a clock).
func NewHandler(ctx context.Context, c *Config, clients Clients, log *slog.Logger, opts ...broker.Option) (*broker.Handler, error) {
	roles, err := broker.LoadRoleMap(c.RolesFile)
	if err != nil {
		return nil, err
	}
	var auth broker.Authenticator
	switch c.Auth {
	case "token-file":
		auth, err = broker.LoadTokenFile(c.TokenFile)
	case "alb":
		auth, err = broker.NewALBAuth(c.ALBARN, c.ALBClaim, broker.WithALBIssuer(c.ALBIssuer))
	default:
		auth, err = broker.NewHeaderAuth(c.UserHeader, c.SecretHeader, c.ProxySecret)
	}
	if err != nil {
		return nil, err
	}
	var src broker.Source
	var extra []broker.Option
	switch c.Source {
	case "federation-token":
		var caller *mfa.Provenance
		if clients.Identify != nil {
			id, err := clients.Identify(ctx)
			if err != nil {
				return nil, fmt.Errorf("federation-token source: who the broker is: %w", err)
			}
			caller = &id.Credentials.Provenance
			extra = append(extra, broker.WithPartition(id.Partition))
		}
		src, err = broker.NewFederationTokenSource(clients.STS, caller, broker.WithRoleDuration(c.RoleDuration))
	case "assume-role":
		opts := []broker.SourceOption{broker.WithRoleDuration(c.RoleDuration)}
		if (c.RoleDuration > federation.MaxChainedSession || c.SessionDuration > federation.MaxChainedSession) && clients.Identify != nil {
			// Only then is it worth a call at start-up: with a role's
			// credentials (a Lambda function's, an instance's) every session
			// is chained, and AWS caps it at one hour.
			id, err := clients.Identify(ctx)
			if err != nil {
				return nil, fmt.Errorf("assume-role source: who the broker is: %w", err)
			}
			if k := id.Credentials.Kind; k == mfa.KindAssumedRole || k == mfa.KindChainedRole || k == mfa.KindWebIdentity {
				return nil, fmt.Errorf("%w: BROKER_ROLE_DURATION %s / BROKER_SESSION_DURATION %s: the broker runs with a role's credentials (%s), so the roles it assumes are chained, which AWS caps at 1h (console sessions too); set both to 1h or less",
					broker.ErrInvalidConfig, c.RoleDuration, c.SessionDuration, id.ARN)
			}
			opts = append(opts, broker.WithCaller(&id.Credentials.Provenance))
		}
		src, err = broker.NewAssumeRoleSource(clients.STS, opts...)
	default:
		src, err = broker.NewCognitoSource(clients.Cognito, clients.STS, c.PoolID, c.DevProvider, broker.WithRoleDuration(c.RoleDuration))
	}
	if err != nil {
		return nil, err
	}
	return broker.New(auth, roles, src, append([]broker.Option{
		broker.WithRegion(c.Region), broker.WithRegionalSignIn(c.RegionalSignin),
		broker.WithSignInEndpoint(c.SigninEndpoint), broker.WithHTTPClient(clients.HTTPClient),
		broker.WithIssuer(c.Issuer), broker.WithSessionDuration(c.SessionDuration),
		broker.WithLogoutFirst(c.LogoutFirst), broker.WithLogger(log),
		broker.WithRateLimit(c.RateBurst, c.RateEvery), broker.WithCallTimeout(c.CallTimeout),
	}, append(extra, opts...)...)...)
}

func main() {
	if version.Requested(os.Args[1:]) {
		version.Print(os.Stdout, "consolebroker")
		return
	}
	if helpRequested(os.Args[1:]) {
		printUsage(os.Stdout)
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("consolebroker", "error", err.Error())
		os.Exit(exitCode(err))
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := LoadConfig(os.Getenv)
	if err != nil {
		return configError{err}
	}
	lambda := os.Getenv("AWS_LAMBDA_RUNTIME_API") != ""
	if !lambda {
		if err := ParseFlags(c, os.Args[1:]); err != nil {
			return configError{err}
		}
	}
	// Each attempt of each AWS call times out; the handler bounds each step.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(c.CallTimeout)))
	if err != nil {
		return fmt.Errorf("loading AWS configuration: %w", err)
	}
	b, err := NewHandler(ctx, c, awsClients(cfg, c), log)
	if err != nil {
		return err
	}
	if lambda {
		if c.Auth == "alb" {
			awslambda.Start(albHandler(b)) // the target of an ALB's target group
			return nil
		}
		lambdaurl.Start(b)
		return nil
	}
	srv := broker.NewServer(c.Addr, b)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("listening", "version", version.Read().String(), "addr", c.Addr, "tls", c.TLSCert != "", "partition", b.Partition(), "source", c.Source, "auth", c.Auth)
	if c.TLSCert != "" {
		// Load now, so a bad pair fails at start-up, not at the first hello.
		cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		err = srv.ListenAndServeTLS("", "")
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// cutRegion splits an identity pool ID ("region:guid").
func cutRegion(poolID string) (region, guid string, ok bool) {
	region, guid, ok = strings.Cut(poolID, ":")
	return region, guid, ok && region != ""
}
