package iamuser

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// ActionKind is one kind of offboarding action. The kinds are listed, and
// executed, in the order AWS documents for deleting a user.
type ActionKind string

// Offboarding actions, in execution order.
const (
	DeleteLoginProfile              ActionKind = "DeleteLoginProfile"
	DeleteAccessKey                 ActionKind = "DeleteAccessKey"
	DeleteSigningCertificate        ActionKind = "DeleteSigningCertificate"
	DeleteSSHPublicKey              ActionKind = "DeleteSSHPublicKey"
	DeleteServiceSpecificCredential ActionKind = "DeleteServiceSpecificCredential"
	DeactivateMFADevice             ActionKind = "DeactivateMFADevice"
	DeleteVirtualMFADevice          ActionKind = "DeleteVirtualMFADevice"
	DeleteUserPolicy                ActionKind = "DeleteUserPolicy"
	DetachUserPolicy                ActionKind = "DetachUserPolicy"
	RemoveUserFromGroup             ActionKind = "RemoveUserFromGroup"
	DeleteUser                      ActionKind = "DeleteUser"
)

// Action is one step of an offboarding plan.
type Action struct {
	Kind   ActionKind
	Target string // key ID, certificate ID, serial number, policy name or ARN, group
}

func (a Action) String() string {
	if a.Target == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + " " + a.Target
}

// OffboardPlan is what offboarding a user will do. It is a plain value: print
// it for a dry run, then hand it to ApplyOffboard.
type OffboardPlan struct {
	UserName string
	Exists   bool // false: the user is already gone; the plan is empty
	Actions  []Action
	// Warnings name the optional listings the endpoint does not implement
	// (an emulator without signing certificates, say): their items, if
	// any, are not in the plan, and DeleteUser will refuse while any remain.
	Warnings []string
}

// String renders the plan as a dry run.
func (p *OffboardPlan) String() string {
	if !p.Exists {
		return fmt.Sprintf("user %s does not exist: nothing to do\n", p.UserName)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "offboarding %s: %d actions\n", p.UserName, len(p.Actions))
	for i, a := range p.Actions {
		fmt.Fprintf(&b, "%3d. %s\n", i+1, a)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}

// PlanOffboard reads everything that would stop IAM from deleting the user and
// returns the actions that remove it, ending with DeleteUser. It changes
// nothing. Virtual MFA devices named after the user are included whether or not
// they are assigned, so no leftover device survives the user.
func (m *Offboarder) PlanOffboard(ctx context.Context, userName string) (*OffboardPlan, error) {
	if err := ValidateUserName(userName); err != nil {
		return nil, err
	}
	plan := &OffboardPlan{UserName: userName}
	u := aws.String(userName)
	got, err := m.api.GetUser(ctx, &iam.GetUserInput{UserName: u})
	if isNoSuchEntity(err) {
		return plan, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iamuser: planning offboarding of %s: %w", userName, err)
	}
	plan.Exists = true
	plan.UserName = aws.ToString(got.User.UserName)
	add := func(k ActionKind, target string) {
		plan.Actions = append(plan.Actions, Action{Kind: k, Target: target})
	}
	wrap := func(what string, err error) error {
		return fmt.Errorf("iamuser: planning offboarding of %s: listing %s: %w", userName, what, err)
	}

	if _, err := m.api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u}); err == nil {
		add(DeleteLoginProfile, "")
	} else if !isNoSuchEntity(err) {
		return nil, wrap("login profile", err)
	}
	for p := iam.NewListAccessKeysPaginator(m.api, &iam.ListAccessKeysInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("access keys", err)
		}
		for _, k := range page.AccessKeyMetadata {
			add(DeleteAccessKey, aws.ToString(k.AccessKeyId))
		}
	}
	// optional reports whether a listing failed only because the endpoint
	// does not implement it: a warning, not a failure.
	optional := func(what string, err error) bool {
		if !notImplemented(err) {
			return false
		}
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("could not list %s: the endpoint does not implement it; DeleteUser will refuse if any remain", what))
		return true
	}
	for p := iam.NewListSigningCertificatesPaginator(m.api, &iam.ListSigningCertificatesInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if optional("signing certificates", err) {
			break
		}
		if err != nil {
			return nil, wrap("signing certificates", err)
		}
		for _, c := range page.Certificates {
			add(DeleteSigningCertificate, aws.ToString(c.CertificateId))
		}
	}
	for p := iam.NewListSSHPublicKeysPaginator(m.api, &iam.ListSSHPublicKeysInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if optional("SSH public keys", err) {
			break
		}
		if err != nil {
			return nil, wrap("SSH public keys", err)
		}
		for _, k := range page.SSHPublicKeys {
			add(DeleteSSHPublicKey, aws.ToString(k.SSHPublicKeyId))
		}
	}
	svc, err := m.api.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: u})
	switch {
	case optional("service-specific credentials", err):
	case err != nil:
		return nil, wrap("service-specific credentials", err)
	default:
		for _, c := range svc.ServiceSpecificCredentials {
			add(DeleteServiceSpecificCredential, aws.ToString(c.ServiceSpecificCredentialId))
		}
	}
	virtual := map[string]bool{}
	for p := iam.NewListMFADevicesPaginator(m.api, &iam.ListMFADevicesInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("MFA devices", err)
		}
		for _, d := range page.MFADevices {
			serial := aws.ToString(d.SerialNumber)
			add(DeactivateMFADevice, serial)
			if strings.Contains(serial, ":mfa/") {
				virtual[serial] = true
			}
		}
	}
	// Unassigned virtual devices named after the user: leftovers of an
	// interrupted onboarding, or devices deactivated by hand.
	suffix := "/" + strings.ToLower(plan.UserName)
	for p := iam.NewListVirtualMFADevicesPaginator(m.api, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("virtual MFA devices", err)
		}
		for _, d := range page.VirtualMFADevices {
			serial := aws.ToString(d.SerialNumber)
			if strings.HasSuffix(strings.ToLower(serial), suffix) && strings.Contains(serial, ":mfa/") {
				virtual[serial] = true
			}
		}
	}
	for _, serial := range sortedSet(virtual) {
		add(DeleteVirtualMFADevice, serial)
	}
	for p := iam.NewListUserPoliciesPaginator(m.api, &iam.ListUserPoliciesInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("inline policies", err)
		}
		for _, name := range page.PolicyNames {
			add(DeleteUserPolicy, name)
		}
	}
	for p := iam.NewListAttachedUserPoliciesPaginator(m.api, &iam.ListAttachedUserPoliciesInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("attached policies", err)
		}
		for _, ap := range page.AttachedPolicies {
			add(DetachUserPolicy, aws.ToString(ap.PolicyArn))
		}
	}
	for p := iam.NewListGroupsForUserPaginator(m.api, &iam.ListGroupsForUserInput{UserName: u}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap("groups", err)
		}
		for _, g := range page.Groups {
			add(RemoveUserFromGroup, aws.ToString(g.GroupName))
		}
	}
	add(DeleteUser, "")
	return plan, nil
}

// ActionResult is the outcome of one offboarding action.
type ActionResult struct {
	Action Action
	Status string // "done", "already gone" or "failed"
	Err    error
}

// OffboardReport is what ApplyOffboard did, action by action.
type OffboardReport struct {
	UserName string
	Results  []ActionResult
	// Verified is true when, after the run, IAM answers that the user does not
	// exist.
	Verified bool
}

// Err returns the failures of the run joined, or nil.
func (r *OffboardReport) Err() error {
	var errs []error
	for _, res := range r.Results {
		if res.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", res.Action, res.Err))
		}
	}
	if len(errs) == 0 && !r.Verified {
		errs = append(errs, fmt.Errorf("user %s still exists after offboarding", r.UserName))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("iamuser: offboarding %s (re-run to finish): %w", r.UserName, errors.Join(errs...))
}

// ApplyOffboard carries out a plan. Something already gone (NoSuchEntity)
// counts as done, so a re-run after a failure resumes. When an action fails the
// others still run, but DeleteUser is not attempted: it could only fail with
// DeleteConflict. Finally the user's absence is verified with GetUser.
func (m *Offboarder) ApplyOffboard(ctx context.Context, plan *OffboardPlan) (*OffboardReport, error) {
	rep := &OffboardReport{UserName: plan.UserName}
	if !plan.Exists {
		rep.Verified = true
		return rep, nil
	}
	failed := false
	for _, a := range plan.Actions {
		if a.Kind == DeleteUser && failed {
			rep.Results = append(rep.Results, ActionResult{Action: a, Status: "failed", Err: errors.New("not attempted: an earlier step failed")})
			continue
		}
		err := m.apply(ctx, plan.UserName, a)
		res := ActionResult{Action: a, Status: "done"}
		switch {
		case err == nil:
		case isNoSuchEntity(err):
			res.Status = "already gone"
		default:
			res.Status, res.Err, failed = "failed", err, true
		}
		m.log.InfoContext(ctx, "offboarding step", "user", plan.UserName, "action", string(a.Kind), "target", a.Target, "status", res.Status)
		rep.Results = append(rep.Results, res)
		if ctx.Err() != nil {
			break
		}
	}
	_, err := m.api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(plan.UserName)})
	rep.Verified = isNoSuchEntity(err)
	return rep, errors.Join(rep.Err(), m.runAfterOffboard(ctx, rep))
}

// Offboard plans and applies the removal of a user in one call.
func (m *Offboarder) Offboard(ctx context.Context, userName string) (*OffboardReport, error) {
	plan, err := m.PlanOffboard(ctx, userName)
	if err != nil {
		return nil, err
	}
	return m.ApplyOffboard(ctx, plan)
}

func (m *Offboarder) apply(ctx context.Context, user string, a Action) error {
	u, t := aws.String(user), aws.String(a.Target)
	var err error
	switch a.Kind {
	case DeleteLoginProfile:
		_, err = m.api.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: u})
	case DeleteAccessKey:
		_, err = m.api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: t})
	case DeleteSigningCertificate:
		_, err = m.api.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: u, CertificateId: t})
	case DeleteSSHPublicKey:
		_, err = m.api.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: u, SSHPublicKeyId: t})
	case DeleteServiceSpecificCredential:
		_, err = m.api.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: t})
	case DeactivateMFADevice:
		_, err = m.api.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: u, SerialNumber: t})
	case DeleteVirtualMFADevice:
		_, err = m.api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: t})
	case DeleteUserPolicy:
		_, err = m.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: u, PolicyName: t})
	case DetachUserPolicy:
		_, err = m.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: u, PolicyArn: t})
	case RemoveUserFromGroup:
		_, err = m.api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: u, GroupName: t})
	case DeleteUser:
		_, err = m.api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: u})
	default:
		err = fmt.Errorf("unknown action %q", a.Kind)
	}
	return err
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out) // plans print the same twice
	return out
}

// notImplemented reports whether err says the endpoint does not implement
// the operation: the codes AWS-compatible endpoints answer with (the query
// protocol's InvalidAction, JSON's UnknownOperationException, REST's
// NotImplemented) or HTTP 501.
func notImplemented(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "InvalidAction", "UnknownOperationException", "NotImplemented", "UnsupportedOperation":
			return true
		}
	}
	var re *smithyhttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotImplemented
}
