package trustpolicy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/iamkit/iamkit/iamkittest"
	"github.com/iamkit/iamkit/trustpolicy"
)

// Parse keeps what an edit does not touch: here the single statement object,
// the key order and the condition's number stay as they were, and the
// principal that was a single value becomes a list.
func ExampleParse() {
	d, err := trustpolicy.Parse([]byte(`{
	  "Statement": {"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Effect": "Allow",
	                "Action": "sts:AssumeRole", "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600.0}}},
	  "Version": "2012-10-17"
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := trustpolicy.AddPrincipals(trustpolicy.AWS("444455556666")).Apply(d); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d)
	// Output:
	// {"Statement":{"Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"Effect":"Allow","Action":"sts:AssumeRole","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600.0}}},"Version":"2012-10-17"}
}

// Grant a user a role and require MFA for it, on the in-memory account. With a
// real account, pass an *iam.Client built from config.LoadDefaultConfig.
func ExampleApply() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	_, _ = api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	_, _ = api.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})

	edit := trustpolicy.Edits(
		trustpolicy.AddPrincipals(trustpolicy.AWS("arn:aws:iam::123456789012:user/alice")),
		trustpolicy.RequireMFA(""),
	)
	res, err := trustpolicy.Apply(ctx, api, "deploy", edit, trustpolicy.WithClock(acct.Clock()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status)
	fmt.Print(res.Diff)

	// Applying it again sends nothing.
	res, _ = trustpolicy.Apply(ctx, api, "deploy", edit, trustpolicy.WithClock(acct.Clock()))
	fmt.Println(res.Status, acct.Calls("iam:UpdateAssumeRolePolicy"))
	// Output:
	// changed
	// @@ -7,6 +7,18 @@
	//          "Service": "codebuild.amazonaws.com"
	//        },
	//        "Action": "sts:AssumeRole"
	// +    },
	// +    {
	// +      "Effect": "Allow",
	// +      "Principal": {
	// +        "AWS": "arn:aws:iam::123456789012:user/alice"
	// +      },
	// +      "Action": "sts:AssumeRole",
	// +      "Condition": {
	// +        "Bool": {
	// +          "aws:MultiFactorAuthPresent": "true"
	// +        }
	// +      }
	//      }
	//    ]
	//  }
	// unchanged 1
}

// Grant a user of the login account the Admin role in two member accounts:
// first a dry run that prints every diff, then for real. A frontend builds
// one client per profile (config.WithSharedConfigProfile) or per role ARN
// (stscreds.NewAssumeRoleProvider); here each is a fake account.
func ExampleApplyAll() {
	ctx := context.Background()
	var targets []trustpolicy.Target
	for _, id := range []string{"222222222222", "333333333333"} {
		acct := iamkittest.NewAccount(iamkittest.WithAccountID(id))
		_, _ = acct.IAM().CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String("Admin"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + id + `:root"},"Action":"sts:AssumeRole"}]}`),
		})
		targets = append(targets, trustpolicy.Target{Name: id, API: acct.IAM()})
	}
	alice := trustpolicy.AWS("arn:aws:iam::111111111111:user/alice")

	dry := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(alice), trustpolicy.WithDryRun(true))
	_ = trustpolicy.WriteReport(os.Stdout, dry)

	done := trustpolicy.ApplyAll(ctx, targets, "Admin", trustpolicy.AddPrincipals(alice))
	for _, r := range done {
		fmt.Println(r.Target, r.Status, r.Err)
	}
	// Output:
	// 222222222222: Admin: would change
	//     @@ -4,7 +4,10 @@
	//          {
	//            "Effect": "Allow",
	//            "Principal": {
	//     -        "AWS": "arn:aws:iam::222222222222:root"
	//     +        "AWS": [
	//     +          "arn:aws:iam::222222222222:root",
	//     +          "arn:aws:iam::111111111111:user/alice"
	//     +        ]
	//            },
	//            "Action": "sts:AssumeRole"
	//          }
	// 333333333333: Admin: would change
	//     @@ -4,7 +4,10 @@
	//          {
	//            "Effect": "Allow",
	//            "Principal": {
	//     -        "AWS": "arn:aws:iam::333333333333:root"
	//     +        "AWS": [
	//     +          "arn:aws:iam::333333333333:root",
	//     +          "arn:aws:iam::111111111111:user/alice"
	//     +        ]
	//            },
	//            "Action": "sts:AssumeRole"
	//          }
	// 2 would change
	// 222222222222 changed <nil>
	// 333333333333 changed <nil>
}

// After a user is deleted, IAM shows its unique ID where its ARN was; find
// the roles that still name such IDs and prune them.
func ExamplePruneUniqueIDs() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	_, _ = api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	_, _ = api.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("ops"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/bob"]},"Action":"sts:AssumeRole"}]}`),
	})
	_, _ = api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})

	roles, err := trustpolicy.ListRoleTrust(ctx, api, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range roles {
		if r.Document == nil || len(r.Document.UniqueIDs()) == 0 || r.ServiceLinked() {
			continue
		}
		res, err := trustpolicy.Apply(ctx, api, r.Name, trustpolicy.PruneUniqueIDs())
		fmt.Println(r.Name, len(r.Document.UniqueIDs()), res.Status, err)
	}
	doc, _ := acct.TrustPolicy("ops")
	fmt.Println(doc)
	// Output:
	// ops 1 changed <nil>
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}]}
}

// Validate reports what IAM would refuse, before anything is sent.
func ExampleDocument_Validate() {
	d := trustpolicy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::*:root","AIDAJQABLZS4A3QDU576Q"]},"Action":"sts:AssumeRole"}]}`)
	fmt.Println(d.Validate(0))
	// Output:
	// trustpolicy: invalid trust policy: statement 0: invalid principal AWS:arn:aws:iam::*:root: partial wildcards are not allowed in a principal; use "*" alone, with a condition; statement 0: invalid principal AWS:AIDAJQABLZS4A3QDU576Q: the unique ID of a deleted user or role; IAM refuses it (prune it)
}

// Prove a removal with Access Analyzer before it is sent: deleting a Deny
// grants new access, so it is refused, and nothing is sent. With a real
// account, pass an *accessanalyzer.Client.
func ExampleWithValidator() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	_, _ = api.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"},` +
			`{"Sid":"NoContractors","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:role/contractor"},"Action":"sts:AssumeRole"}]}`),
	})
	res, err := trustpolicy.Apply(ctx, api, "deploy", trustpolicy.RemoveStatement("NoContractors"),
		trustpolicy.WithValidator(acct.AccessAnalyzer()))
	if res.Check == nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.Check.NoNewAccess, errors.Is(err, trustpolicy.ErrNewAccess))
	fmt.Println(res.Check.NewAccess[0])
	fmt.Println("updates sent:", acct.Calls("iam:UpdateAssumeRolePolicy"))
	// Output:
	// failed FAIL true
	// Deny statement "NoContractors" removed or changed
	// updates sent: 0
}

// Journal a change, then roll it back from the journal.
func ExampleRollback() {
	ctx := context.Background()
	acct := iamkittest.NewAccount()
	api := acct.IAM()
	_, _ = api.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("deploy"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	dir, _ := os.MkdirTemp("", "journal")
	defer os.RemoveAll(dir)
	journal, err := trustpolicy.OpenJournal(filepath.Join(dir, "trust.jsonl"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = trustpolicy.Apply(ctx, api, "deploy", trustpolicy.AddPrincipals(trustpolicy.Service("ec2.amazonaws.com")),
		trustpolicy.WithJournal(journal, acct.STS()))
	if err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := trustpolicy.ReadJournalFile(journal.Path())
	fmt.Println(entries[0].Edit, "by", entries[0].Caller)
	plans, _ := trustpolicy.PlanRollback(entries)
	res, err := trustpolicy.Rollback(ctx, api, plans[0])
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status)
	doc, _ := acct.TrustPolicy("deploy")
	fmt.Println(doc)
	// Output:
	// add Service:ec2.amazonaws.com by arn:aws:iam::123456789012:root
	// changed
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"codebuild.amazonaws.com"},"Action":"sts:AssumeRole"}]}
}
