// Package fakes is one in-memory AWS account, faithful enough to test iamkit
// against without an AWS account.
//
// An [Account] holds the state that IAM, STS, Cognito Identity, the sign-in
// endpoint and S3 share in real AWS. Each service fake is taken from the
// account ([Account.IAM], [Account.STS], ...) and implements the SDK client
// methods that iamkit's packages declare in their narrow interfaces, with the
// SDK's exact signatures, inputs, outputs and typed errors. A test can onboard a
// user through the IAM fake, sync a host from the same account and federate
// through STS, all against one coherent state.
//
// Every call goes through the account's fault injector: per-operation latency
// (real wall time, for benchmarks), throttling (a smithy API error with code
// "Throttling", as the SDK surfaces it once its retries are exhausted), and
// arbitrary failures; every call is counted per operation. Time-dependent
// behaviour (TOTP verification, eventual consistency, expirations) follows the
// account's [Clock], which tests advance by hand: nothing sleeps.
package fakes

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	"github.com/iamkit/iamkit"
)

// DefaultAccountID is the account ID of an Account built without WithAccountID.
const DefaultAccountID = "123456789012"

// DefaultStart is the time a new Account's clock shows unless WithClock is given.
var DefaultStart = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// Clock is a manual clock. Its time moves only when Advance, Set or Sleep is
// called, so tests are deterministic and never wait — unless it was made
// with NewRunningClock, in which case it follows the real time, shifted by
// whatever Advance and Set added. Either way it satisfies iamkit.Clock, the
// interface iamkit's packages accept, and Sleep never waits.
type Clock struct {
	mu      sync.Mutex
	now     time.Time // frozen clock: the time shown
	running bool      // follows time.Now() + offset
	offset  time.Duration
}

var _ iamkit.Clock = (*Clock)(nil)

// NewClock returns a frozen clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// NewRunningClock returns a clock that follows the real time. Advance and Set
// shift it; Sleep advances it at once instead of waiting. A loopback server
// uses one, so that real SDK clients (which sign requests with the real time)
// and iamkit's packages on their default system clocks agree with it.
func NewRunningClock() *Clock { return &Clock{running: true} }

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return time.Now().Add(c.offset)
	}
	return c.now
}

// Running reports whether the clock follows the real time.
func (c *Clock) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.offset += d
	c.mu.Unlock()
}

// Set moves the clock to t (a running clock goes on from t).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.offset = time.Until(t)
	c.mu.Unlock()
}

// Sleep advances the clock by d at once and returns; it returns the context's
// error instead if ctx is already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}

// Option configures an Account.
type Option func(*Account)

// WithAccountID sets the 12-digit account ID.
func WithAccountID(id string) Option { return func(a *Account) { a.id = id } }

// WithClock makes the account follow clk instead of a fresh clock at DefaultStart.
func WithClock(clk *Clock) Option { return func(a *Account) { a.clock = clk } }

// WithRegion sets the region the account's regional services answer for
// (default us-east-1).
func WithRegion(region string) Option { return func(a *Account) { a.region = region } }

// WithPartition sets the partition (aws, aws-cn, aws-us-gov, aws-eusc) used
// in ARNs.
func WithPartition(p string) Option { return func(a *Account) { a.partition = p } }

// Account is one in-memory AWS account. Its methods are safe for concurrent use.
type Account struct {
	id        string
	region    string
	partition string
	clock     *Clock

	mu     sync.Mutex
	seq    uint64
	faults faults
	calls  map[string]int

	// consistency is how long a new IAM user stays invisible to calls that
	// reference it by name (0: immediately visible).
	consistency time.Duration

	dir *Directory // nil: not linked to other accounts

	iam     iamState
	sts     stsState
	report  credReportState
	cognito *cognitoState // Cognito Identity (cognito.go)
	s3      s3State       // S3 buckets (s3.go)
	sns     snsState      // SNS topics (sns.go)
	ec2     ec2State      // EC2 instance tags (ec2.go)
	creds   credState     // the root's access key (credentials.go)
	org     *orgState     // nil: not in an organization (organizations.go)
}

// NewAccount returns an empty account.
func NewAccount(opts ...Option) *Account {
	a := &Account{
		id:        DefaultAccountID,
		region:    "us-east-1",
		partition: "aws",
		calls:     map[string]int{},
	}
	for _, o := range opts {
		o(a)
	}
	if a.clock == nil {
		a.clock = NewClock(DefaultStart)
	}
	a.faults.init()
	a.iam.init()
	a.cognito = newCognitoState()
	return a
}

// ID returns the 12-digit account ID.
func (a *Account) ID() string { return a.id }

// Region returns the account's region.
func (a *Account) Region() string { return a.region }

// Partition returns the account's partition.
func (a *Account) Partition() string { return a.partition }

// Clock returns the clock the account follows.
func (a *Account) Clock() *Clock { return a.clock }

// SetConsistencyWindow makes every IAM user created from now on invisible, for
// d of clock time after its creation, to the calls that reference a user by name
// (GetUser, CreateLoginProfile, AddUserToGroup, EnableMFADevice, ...), which then
// answer NoSuchEntity, as real IAM sometimes does right after CreateUser.
func (a *Account) SetConsistencyWindow(d time.Duration) {
	a.mu.Lock()
	a.consistency = d
	a.mu.Unlock()
}

// arn builds an ARN in the account's partition.
func (a *Account) arn(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s::%s:%s", a.partition, service, a.id, resource)
}

// newID returns a deterministic, unique identifier: prefix followed by n
// characters from IAM's ID alphabet. Deterministic IDs keep tests reproducible.
// Callers hold a.mu.
func (a *Account) newID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	a.seq++
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], a.seq)
	copy(buf[8:], a.id)
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; b.Len() < len(prefix)+n; i++ {
		h := sha256.Sum256(append(buf[:], byte(i)))
		for _, c := range h {
			if b.Len() == len(prefix)+n {
				break
			}
			b.WriteByte(alphabet[int(c)%len(alphabet)])
		}
	}
	return b.String()
}

// ---- call accounting and fault injection ----

// Fault describes failures injected into one operation.
type Fault struct {
	// Skip lets this many matching calls through before the fault applies.
	Skip int
	// Times is how many calls fail once Skip is used up; 0 or less means every call.
	Times int
	// Err is returned by failing calls; nil means a Throttling error.
	Err error
	// Match, when set, limits the fault to calls whose input it returns true for.
	Match func(input any) bool
	// LoseReply makes a failing call a lost reply: the operation is applied
	// (a CreateLoginProfile creates the profile) and then its answer is
	// replaced by Err, as when the connection drops after AWS acted. A call
	// the operation itself refuses returns that refusal instead. Every
	// operation but the sign-in endpoint's honours it.
	LoseReply bool
}

type faultState struct {
	Fault
	seen, failed int
}

type faults struct {
	mu      sync.Mutex
	latency map[string]time.Duration
	byOp    map[string][]*faultState
}

func (f *faults) init() {
	f.latency = map[string]time.Duration{}
	f.byOp = map[string][]*faultState{}
}

// SetLatency makes every call to op take d of real wall time before it is
// answered (op is "iam:CreateUser" style, or "*" for every operation). It is
// how benchmarks model network round trips; the call still honours its context.
func (a *Account) SetLatency(op string, d time.Duration) {
	a.faults.mu.Lock()
	a.faults.latency[op] = d
	a.faults.mu.Unlock()
}

// Inject adds a fault to op ("iam:ListSSHPublicKeys" style, or "*").
func (a *Account) Inject(op string, f Fault) {
	a.faults.mu.Lock()
	a.faults.byOp[op] = append(a.faults.byOp[op], &faultState{Fault: f})
	a.faults.mu.Unlock()
}

// Throttle makes the next n calls to op fail with a Throttling error (n <= 0:
// every call until ClearFaults).
func (a *Account) Throttle(op string, n int) { a.Inject(op, Fault{Times: n}) }

// ClearFaults removes every injected fault (latency stays).
func (a *Account) ClearFaults() {
	a.faults.mu.Lock()
	a.faults.byOp = map[string][]*faultState{}
	a.faults.mu.Unlock()
}

// Calls returns how many times op ("iam:CreateUser" style) was called, including
// calls that failed.
func (a *Account) Calls(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// CallsWithPrefix returns the number of calls whose operation starts with
// prefix, e.g. "iam:" for every IAM call.
func (a *Account) CallsWithPrefix(prefix string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for op, c := range a.calls {
		if strings.HasPrefix(op, prefix) {
			n += c
		}
	}
	return n
}

// CallCounts returns a copy of the per-operation call counters.
func (a *Account) CallCounts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]int, len(a.calls))
	for k, v := range a.calls {
		m[k] = v
	}
	return m
}

// CallSummary renders the counters as "op=n" pairs in name order.
func (a *Account) CallSummary() string {
	m := a.CallCounts()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// ResetCalls zeroes the call counters.
func (a *Account) ResetCalls() {
	a.mu.Lock()
	a.calls = map[string]int{}
	a.mu.Unlock()
}

// ThrottlingError is the error a throttled call returns: a smithy API error with
// code "Throttling", as the SDK returns it once its retries are exhausted.
func ThrottlingError() error {
	return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// beginOp counts a call, waits out its injected latency and returns an
// injected error if one applies. Every fake operation starts with it: pre
// fails the call before it is applied; lost (a Fault.LoseReply), when set,
// is returned after the operation was applied, in place of its output.
func (a *Account) beginOp(ctx context.Context, op string, input any) (pre, lost error) {
	a.mu.Lock()
	a.calls[op]++
	a.mu.Unlock()

	a.faults.mu.Lock()
	d, ok := a.faults.latency[op]
	if !ok {
		d = a.faults.latency["*"]
	}
	var injected error
	loseReply := false
	for _, key := range []string{op, "*"} {
		for _, f := range a.faults.byOp[key] {
			if f.Match != nil && !f.Match(input) {
				continue
			}
			f.seen++
			if f.seen <= f.Skip {
				continue
			}
			if f.Times > 0 && f.failed >= f.Times {
				continue
			}
			f.failed++
			loseReply = f.LoseReply
			injected = f.Err
			if injected == nil {
				injected = ThrottlingError()
			}
			break
		}
		if injected != nil {
			break
		}
	}
	a.faults.mu.Unlock()

	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err(), nil
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return err, nil
	}
	if injected != nil {
		err := &smithy.OperationError{ServiceID: serviceOf(op), OperationName: opName(op), Err: injected}
		if loseReply {
			return nil, err
		}
		return err, nil
	}
	return nil, nil
}

func serviceOf(op string) string {
	s, _, _ := strings.Cut(op, ":")
	return strings.ToUpper(s)
}

func opName(op string) string {
	_, n, _ := strings.Cut(op, ":")
	return n
}

// opErr wraps a service error the way the SDK does, so callers' errors.As on
// the typed exception works exactly as against real AWS.
func opErr(op string, err error) error {
	return &smithy.OperationError{ServiceID: serviceOf(op), OperationName: opName(op), Err: err}
}
