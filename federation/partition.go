package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/signin"
)

// Partition describes the sign-in and console hosts of an AWS partition.
type Partition struct {
	// ID is the partition's ID, as in ARNs: "aws", "aws-cn", "aws-us-gov",
	// "aws-eusc".
	ID string
	// SigninHost serves the federation endpoint (https://HOST/federation).
	SigninHost string
	// RegionalSignin is true when REGION.SigninHost exists too.
	RegionalSignin bool
	// SigninRegion, when set, is the region whose sign-in host
	// (SigninRegion.SigninHost) serves the partition when no region is
	// asked for: the partition has regional sign-in hosts only.
	SigninRegion string
	// ConsoleHost is the console's host; Destination URLs must be on it.
	ConsoleHost string
	// RegionalConsole is true when the console has REGION.ConsoleHost
	// hosts; otherwise the region goes in the query (?region=).
	RegionalConsole bool
}

// partitions is the one table of partitions with a console sign-in
// federation endpoint: partition ID → sign-in and console hosts. aws and
// aws-us-gov share a DNS suffix (amazonaws.com) but not these hosts, so the
// ID is what picks a row — from an ARN (PartitionOf, Identify) or from a
// region through the SDK's endpoint rules (PartitionOfRegion).
//
// The European Sovereign Cloud (aws-eusc) has regional sign-in hosts only:
// the SDK's own endpoint rules for AWS Sign-In resolve
// REGION.signin.amazonaws-eusc.eu, and AWS's documentation links accounts
// to https://eusc-de-east-1.signin.amazonaws-eusc.eu/; its console is
// console.amazonaws-eusc.eu. The ISO partitions have endpoints on networks
// of their own that this package does not know: they are
// ErrUnsupportedPartition.
var partitions = []Partition{
	{ID: "aws", SigninHost: "signin.aws.amazon.com", RegionalSignin: true,
		ConsoleHost: "console.aws.amazon.com", RegionalConsole: true},
	{ID: "aws-cn", SigninHost: "signin.amazonaws.cn",
		ConsoleHost: "console.amazonaws.cn"},
	{ID: "aws-us-gov", SigninHost: "signin.amazonaws-us-gov.com", RegionalSignin: true,
		ConsoleHost: "console.amazonaws-us-gov.com"},
	{ID: "aws-eusc", SigninHost: "signin.amazonaws-eusc.eu", RegionalSignin: true, SigninRegion: "eusc-de-east-1",
		ConsoleHost: "console.amazonaws-eusc.eu"},
}

// Partitions returns the partitions this package can sign in to, "aws"
// first.
func Partitions() []Partition { return slices.Clone(partitions) }

// LookupPartition returns partition id's hosts: "aws" (the default, for
// ""), "aws-cn", "aws-us-gov" or "aws-eusc". Any other partition — aws-iso,
// aws-iso-b and the like — is an ErrUnsupportedPartition naming it.
func LookupPartition(id string) (Partition, error) {
	if id == "" {
		id = "aws"
	}
	for _, p := range partitions {
		if p.ID == id {
			return p, nil
		}
	}
	ids := make([]string, len(partitions))
	for i, p := range partitions {
		ids[i] = p.ID
	}
	return Partition{}, fmt.Errorf("federation: %w: %q (supported: %s)", ErrUnsupportedPartition, id, strings.Join(ids, ", "))
}

var regionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$`) })

// PartitionOfRegion returns the ID of region's partition as the SDK's
// endpoint rules resolve it: the AWS Sign-In endpoint of the region
// (service/signin's default resolver, which reads the SDK's partitions
// table), matched against the sign-in hosts of the table above. No list of
// region names or prefixes is kept here, so a region the SDK knows is
// placed where the SDK places it. A region of a partition without a known
// federation endpoint (aws-iso...) is an ErrUnsupportedPartition naming
// its sign-in host.
func PartitionOfRegion(region string) (string, error) {
	if !regionRE().MatchString(region) {
		return "", fmt.Errorf("federation: %w: %q is not a region name", ErrInvalidRequest, region)
	}
	ep, err := signin.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), signin.EndpointParameters{Region: aws.String(region)})
	if err != nil {
		return "", fmt.Errorf("federation: %w: region %q: the SDK resolves no sign-in endpoint: %v", ErrInvalidRequest, region, err)
	}
	host := ep.URI.Hostname()
	base := strings.TrimPrefix(host, region+".")
	for _, p := range partitions {
		if base == p.SigninHost {
			return p.ID, nil
		}
	}
	return "", fmt.Errorf("federation: %w: region %q signs in at %s, a partition without a console federation endpoint known here", ErrUnsupportedPartition, region, host)
}

// CheckRegion reports whether region is a region name of partition p, as
// the SDK's endpoint rules place it (PartitionOfRegion).
func (p Partition) CheckRegion(region string) error {
	id, err := PartitionOfRegion(region)
	if err != nil {
		return err
	}
	if id != p.ID {
		return fmt.Errorf("federation: %w: region %q is in partition %s, not %s", ErrInvalidRequest, region, id, p.ID)
	}
	return nil
}

// FederationEndpoint returns the partition's federation endpoint URL, the
// regional one when region is given and the partition has regional sign-in
// hosts ("https://us-west-2.signin.aws.amazon.com/federation"), or when it
// has only those (SigninRegion's).
func (p Partition) FederationEndpoint(region string) (string, error) {
	host := p.SigninHost
	if region == "" {
		region = p.SigninRegion
	}
	if region != "" && p.RegionalSignin {
		if err := p.CheckRegion(region); err != nil {
			return "", err
		}
		host = region + "." + host
	}
	return "https://" + host + "/federation", nil
}

// consoleHost returns the console host for region.
func (p Partition) consoleHost(region string) string {
	if region != "" && p.RegionalConsole {
		return region + "." + p.ConsoleHost
	}
	return p.ConsoleHost
}

// isConsoleHost reports whether host is the partition's console host or a
// regional one.
func (p Partition) isConsoleHost(host string) bool {
	if host == p.ConsoleHost {
		return true
	}
	region, ok := strings.CutSuffix(host, "."+p.ConsoleHost)
	return ok && p.RegionalConsole && p.CheckRegion(region) == nil
}

// Destination builds the console URL of a service page on partition's
// console, for region: service is a path relative to the console, with an
// optional query and fragment ("ec2/home#Instances:", "s3/buckets",
// "cloudwatch/home?x=1#logsV2:"); "" is the console home. The region goes in
// the host (where the partition has regional console hosts) and in the
// query's region parameter; region "" leaves both out.
//
// The result is always an https URL on the partition's console host, with
// every part correctly escaped; a service that is not a plain relative path
// (a scheme, a host, "..") is an ErrInvalidDestination.
func Destination(partition, region, service string) (string, error) {
	p, err := LookupPartition(partition)
	if err != nil {
		return "", err
	}
	if region != "" {
		if err := p.CheckRegion(region); err != nil {
			return "", err
		}
	}
	if service == "" {
		service = "console/home"
	}
	if strings.ContainsAny(service, "\\") {
		return "", fmt.Errorf("federation: %w: service %q holds a backslash", ErrInvalidDestination, service)
	}
	ref, err := url.Parse(service)
	if err != nil {
		return "", fmt.Errorf("federation: %w: service %q: %v", ErrInvalidDestination, service, err)
	}
	if ref.Scheme != "" || ref.Host != "" || ref.User != nil || ref.Opaque != "" || strings.HasPrefix(service, "//") {
		return "", fmt.Errorf("federation: %w: service %q must be a path relative to the console", ErrInvalidDestination, service)
	}
	if err := checkConsolePath(ref); err != nil {
		return "", fmt.Errorf("federation: %w: service %q: %v", ErrInvalidDestination, service, err)
	}
	q, err := url.ParseQuery(ref.RawQuery)
	if err != nil {
		return "", fmt.Errorf("federation: %w: service %q: query: %v", ErrInvalidDestination, service, err)
	}
	if region != "" {
		if have := q.Get("region"); have != "" && have != region {
			return "", fmt.Errorf("federation: %w: service %q names region %q, not %q", ErrInvalidDestination, service, have, region)
		}
		q.Set("region", region)
	}
	u := url.URL{
		Scheme:   "https",
		Host:     p.consoleHost(region),
		Path:     "/" + strings.TrimPrefix(ref.Path, "/"),
		RawQuery: q.Encode(),
		Fragment: ref.Fragment,
	}
	return u.String(), nil
}

// checkConsolePath refuses the paths a browser or a server may resolve
// somewhere else than they read: dot segments ("." and "..", also
// percent-encoded, once or more: "%2e%2E", "%252e"), empty segments ("//",
// which some servers and browsers take for a host), and backslashes
// anywhere in the path, raw or encoded (browsers read "\" as "/"). It is
// given the parsed URL, whose Path is already decoded once.
func checkConsolePath(u *url.URL) error {
	raw := u.EscapedPath()
	if strings.Contains(raw, "\\") || strings.Contains(u.Path, "\\") {
		return errors.New("the path holds a backslash")
	}
	if strings.Contains(u.Path, "//") || strings.Contains(raw, "//") {
		return errors.New("the path holds an empty segment (//)")
	}
	p := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/"), "/")
	if p == "" {
		return nil
	}
	for _, seg := range strings.Split(p, "/") {
		// Decode again and again: a server that decodes twice must not find
		// a dot segment or a backslash either.
		d := seg
		for range 4 {
			if d == "." || d == ".." {
				return fmt.Errorf("the path holds a dot segment (%q)", seg)
			}
			if strings.Contains(d, "\\") {
				return errors.New("the path holds an encoded backslash")
			}
			next, err := url.PathUnescape(d)
			if err != nil || next == d {
				break
			}
			d = next
		}
	}
	return nil
}

// CheckDestination checks that raw is a console URL of partition — https,
// on the console host or a regional one, no user info, no port, a path
// without dot segments (plain or percent-encoded), empty segments ("//")
// or backslashes, and no backslash anywhere else either — and returns it
// in canonical form. Such paths are refused rather than cleaned: the
// console's own links never hold them, so cleaning would only guess at
// what the sender meant. A sign-in broker must check a Destination that
// comes from a request this way, or the login URL becomes an open
// redirect.
func CheckDestination(partition, raw string) (string, error) {
	p, err := LookupPartition(partition)
	if err != nil {
		return "", err
	}
	if strings.Contains(raw, "\\") {
		return "", fmt.Errorf("federation: %w: %q holds a backslash", ErrInvalidDestination, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("federation: %w: %v", ErrInvalidDestination, err)
	}
	switch {
	case u.Scheme != "https":
		return "", fmt.Errorf("federation: %w: %q is not an https URL", ErrInvalidDestination, raw)
	case u.User != nil, u.Port() != "", u.Opaque != "":
		return "", fmt.Errorf("federation: %w: %q must not hold user info, a port or an opaque part", ErrInvalidDestination, raw)
	case !p.isConsoleHost(u.Host):
		return "", fmt.Errorf("federation: %w: %q is not on the %s console (%s)", ErrInvalidDestination, u.Host, p.ID, p.ConsoleHost)
	}
	if err := checkConsolePath(u); err != nil {
		return "", fmt.Errorf("federation: %w: %q: %v", ErrInvalidDestination, raw, err)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}
