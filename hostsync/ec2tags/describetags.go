package ec2tags

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"

	"github.com/iamkit/iamkit/hostsync/internal/hserr"
)

// EC2's query API version and the most pages DescribeInstanceTags reads.
const (
	ec2APIVersion = "2016-11-15"
	maxPages      = 100
	// maxResponse bounds a DescribeTags response body.
	maxResponse = 4 << 20
)

// ErrTooManyPages is the error of DescribeInstanceTags when DescribeTags
// hands out more than 100 pages.
var ErrTooManyPages = errors.New("hostsync: ec2:DescribeTags did not finish paging")

// Client calls ec2:DescribeTags, and nothing else. It is written by hand
// rather than with the SDK's service/ec2: that package is the SDK's
// largest, and linking it (through this package and the fake account) made
// a cold build of the module 2.5× as long, for one call. The client uses
// the SDK where it is light: the credentials, region, retryer
// (aws/retry) and HTTP client of an aws.Config, and the SigV4 signer
// (aws/signer/v4).
//
// The endpoint is resolved as the SDK resolves a service's: the
// AWS_ENDPOINT_URL_EC2 environment variable, else aws.Config.BaseEndpoint
// (which config.LoadDefaultConfig sets from AWS_ENDPOINT_URL and
// endpoint_url), else https://ec2.REGION.amazonaws.com (.amazonaws.com.cn in
// the China regions). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores the
// first two. Errors are *APIError (smithy.APIError) for answers of EC2.
type Client struct {
	// PageSize, when not 0, is the MaxResults of each call (5 to 1000;
	// EC2's default is 1000).
	PageSize int

	cfg      aws.Config
	endpoint string
	retryer  aws.Retryer
	signer   *v4.Signer
	now      func() time.Time
}

// NewClient returns a DescribeTags client for cfg (config.LoadDefaultConfig:
// the instance role); cfg.Region must be set.
func NewClient(cfg aws.Config) *Client {
	c := &Client{cfg: cfg, signer: v4.NewSigner(), now: time.Now}
	c.endpoint = resolveEndpoint(cfg)
	switch {
	case cfg.Retryer != nil:
		c.retryer = cfg.Retryer()
	case cfg.RetryMode == aws.RetryModeAdaptive:
		c.retryer = retry.NewAdaptiveMode()
	default:
		c.retryer = retry.NewStandard()
	}
	if cfg.RetryMaxAttempts != 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	return c
}

func resolveEndpoint(cfg aws.Config) string {
	if v, _ := strconv.ParseBool(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")); !v {
		if e := os.Getenv("AWS_ENDPOINT_URL_EC2"); e != "" {
			return e
		}
		if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
			return *cfg.BaseEndpoint
		}
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ec2." + cfg.Region + "." + suffix
}

// Tag is one tag DescribeTags returned.
type Tag struct {
	// ResourceID is the resource's ID ("i-...").
	ResourceID string
	// ResourceType is "instance" for an instance.
	ResourceType string
	// Key and Value are the tag's.
	Key, Value string
}

// DescribeTagsPage is one page of DescribeTags.
type DescribeTagsPage struct {
	// Tags are the page's tags.
	Tags []Tag
	// NextToken is set when more pages follow.
	NextToken string
}

// DescribeTags calls ec2:DescribeTags once with the filters given (name →
// values; every filter applies) and the token of the previous page,
// retrying as the configuration's retryer says.
func (c *Client) DescribeTags(ctx context.Context, filters []Filter, nextToken string) (DescribeTagsPage, error) {
	form := url.Values{"Action": {"DescribeTags"}, "Version": {ec2APIVersion}}
	for i, f := range filters {
		form.Set(fmt.Sprintf("Filter.%d.Name", i+1), f.Name)
		for j, v := range f.Values {
			form.Set(fmt.Sprintf("Filter.%d.Value.%d", i+1, j+1), v)
		}
	}
	if nextToken != "" {
		form.Set("NextToken", nextToken)
	}
	if c.PageSize != 0 {
		form.Set("MaxResults", strconv.Itoa(c.PageSize))
	}
	body := []byte(form.Encode())
	for attempt := 1; ; attempt++ {
		page, err := c.do(ctx, body)
		if err == nil {
			return page, nil
		}
		if ctx.Err() != nil || attempt >= c.retryer.MaxAttempts() || !c.retryer.IsErrorRetryable(err) {
			return DescribeTagsPage{}, err
		}
		release, terr := c.retryer.GetRetryToken(ctx, err)
		if terr != nil {
			return DescribeTagsPage{}, err
		}
		delay, derr := c.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return DescribeTagsPage{}, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return DescribeTagsPage{}, err
		case <-t.C:
		}
		_ = release(nil)
	}
}

// Filter is one DescribeTags filter: Name ("resource-id", "key"...) and
// the values any of which matches.
type Filter struct {
	// Name is the filter's name.
	Name string
	// Values are the accepted values.
	Values []string
}

func (c *Client) do(ctx context.Context, body []byte) (DescribeTagsPage, error) {
	if c.cfg.Credentials == nil {
		return DescribeTagsPage{}, errors.New("no AWS credentials configured")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return DescribeTagsPage{}, fmt.Errorf("retrieving AWS credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return DescribeTagsPage{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ec2", c.cfg.Region, c.now().UTC()); err != nil {
		return DescribeTagsPage{}, fmt.Errorf("signing: %w", err)
	}
	hc := c.cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return DescribeTagsPage{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return DescribeTagsPage{}, err
	}
	if len(data) > maxResponse {
		return DescribeTagsPage{}, fmt.Errorf("response larger than %d bytes", maxResponse)
	}
	return DecodeDescribeTags(resp.StatusCode, data)
}

// APIError is an error EC2 answered: its HTTP status, code and message.
// It satisfies smithy.APIError, and the SDK's retryer reads its status and
// code (throttling, 5xx).
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is EC2's error code ("UnauthorizedOperation").
	Code string
	// Message is EC2's message.
	Message string
	// RequestID is the request's ID, when EC2 gave one.
	RequestID string
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("api error %s: %s (HTTP %d)", e.Code, e.Message, e.StatusCode)
}

// ErrorCode implements smithy.APIError.
func (e *APIError) ErrorCode() string { return e.Code }

// ErrorMessage implements smithy.APIError.
func (e *APIError) ErrorMessage() string { return e.Message }

// ErrorFault implements smithy.APIError: 5xx is the server's fault.
func (e *APIError) ErrorFault() smithy.ErrorFault {
	if e.StatusCode >= 500 {
		return smithy.FaultServer
	}
	return smithy.FaultClient
}

// HTTPStatusCode is the status, for the retryer.
func (e *APIError) HTTPStatusCode() int { return e.StatusCode }

var _ smithy.APIError = (*APIError)(nil)

type describeTagsXML struct {
	XMLName xml.Name `xml:"DescribeTagsResponse"`
	Items   []struct {
		ResourceID   string `xml:"resourceId"`
		ResourceType string `xml:"resourceType"`
		Key          string `xml:"key"`
		Value        string `xml:"value"`
	} `xml:"tagSet>item"`
	NextToken string `xml:"nextToken"`
}

type errorXML struct {
	XMLName xml.Name `xml:"Response"`
	Errors  []struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Errors>Error"`
	RequestID string `xml:"RequestID"`
}

// DecodeDescribeTags decodes an answer of DescribeTags: a page for a 2xx
// status (<DescribeTagsResponse><tagSet><item><resourceId/><resourceType/>
// <key/><value/></item>...</tagSet><nextToken/>), an *APIError otherwise
// (<Response><Errors><Error><Code/><Message/></Error></Errors>
// <RequestID/></Response>; a body that is not one gives code
// "UnknownError"). A 2xx body that is not a DescribeTagsResponse is an
// error.
func DecodeDescribeTags(status int, body []byte) (DescribeTagsPage, error) {
	if status < 200 || status > 299 {
		e := &APIError{StatusCode: status, Code: "UnknownError", Message: http.StatusText(status)}
		var x errorXML
		if xml.Unmarshal(body, &x) == nil && len(x.Errors) > 0 && x.Errors[0].Code != "" {
			e.Code, e.Message, e.RequestID = x.Errors[0].Code, x.Errors[0].Message, x.RequestID
		}
		return DescribeTagsPage{}, e
	}
	var x describeTagsXML
	if err := xml.Unmarshal(body, &x); err != nil {
		return DescribeTagsPage{}, fmt.Errorf("decoding the DescribeTags response: %w", err)
	}
	page := DescribeTagsPage{NextToken: x.NextToken, Tags: make([]Tag, 0, len(x.Items))}
	for _, it := range x.Items {
		page.Tags = append(page.Tags, Tag{ResourceID: it.ResourceID, ResourceType: it.ResourceType, Key: it.Key, Value: it.Value})
	}
	return page, nil
}

// DescribeTagsAPI is what DescribeInstanceTags calls; *Client satisfies it.
type DescribeTagsAPI interface {
	DescribeTags(ctx context.Context, filters []Filter, nextToken string) (DescribeTagsPage, error)
}

var _ DescribeTagsAPI = (*Client)(nil)

// DescribeInstanceTags returns the tags named keys of the instance
// instanceID: DescribeTags filtered on resource-id (and key), every page
// read (at most 100). A tag the instance does not carry is absent from the
// map; no keys calls nothing. An error names ec2:DescribeTags, and says
// that the instance role needs it when EC2 refused the call.
func DescribeInstanceTags(ctx context.Context, api DescribeTagsAPI, instanceID string, keys []string) (map[string]string, error) {
	tags := map[string]string{}
	if len(keys) == 0 {
		return tags, nil
	}
	filters := []Filter{{Name: "resource-id", Values: []string{instanceID}}, {Name: "key", Values: keys}}
	token := ""
	for range maxPages {
		page, err := api.DescribeTags(ctx, filters, token)
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "UnauthorizedOperation" || ae.ErrorCode() == "AccessDenied") {
				return nil, hserr.Errorf("ec2:DescribeTags for %s refused: the instance's role needs ec2:DescribeTags (or allow tags in the instance metadata): %w", instanceID, err)
			}
			return nil, hserr.Errorf("ec2:DescribeTags for %s: %w", instanceID, err)
		}
		for _, t := range page.Tags {
			if t.ResourceID == instanceID {
				tags[t.Key] = t.Value
			}
		}
		if page.NextToken == "" {
			return tags, nil
		}
		token = page.NextToken
	}
	return nil, hserr.Errorf("%w for %s after %d pages", ErrTooManyPages, instanceID, maxPages)
}
