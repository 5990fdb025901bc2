package hostsync_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/iamkit/iamkit/hostsync"
	"github.com/iamkit/iamkit/iamkittest"
)

// exampleKey returns a deterministic ed25519 public key line (an
// authorized_keys line) for seed, so the examples' fingerprints and UIDs do
// not change from run to run. Real keys come from the users' IAM accounts.
func exampleKey(seed string) string {
	sum := sha256.Sum256([]byte("hostsync-test-key:" + seed))
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(sum[:]).Public())
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " " + seed
}

// An existing /etc/aws-ec2-ssh.conf is read as it is.
func ExampleParseConfig() {
	conf := `IAM_AUTHORIZED_GROUPS="linux-member" # who gets an account
SUDOERS_GROUPS="linux-admin"
LOCAL_GROUPS="docker"
DONOTSYNC=0
`
	cfg, err := hostsync.ParseConfig([]byte(conf))
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.AuthorizedGroups, cfg.SudoersGroups, cfg.MarkerGroup, cfg.LocalGroups)
	fmt.Println(cfg.UseraddProgram, strings.Join(cfg.UseraddArgs, " "))
	fmt.Println(cfg.UIDMin, cfg.UIDMax, cfg.MissingSyncsBeforeDelete)

	// An unknown key is ignored with a warning; StrictConfig refuses it.
	cfg, _ = hostsync.ParseConfig([]byte("DONOTSYNC=0\nSUDOER_GROUPS=admins\n"))
	fmt.Println(cfg.Warnings)
	_, err = hostsync.ParseConfig([]byte("DONOTSYNC=0\nSUDOER_GROUPS=admins\n"), hostsync.StrictConfig())
	fmt.Println(err)
	_, err = hostsync.ParseConfig([]byte(`ASSUMEROLE="$(curl http://example.com)"`))
	fmt.Println(err)
	// Output:
	// [linux-member] [linux-admin] iam-synced-users [docker]
	// /usr/sbin/useradd --user-group --create-home --shell /bin/bash
	// 1900000000 2099999999 2
	// [hostsync: config line 2: SUDOER_GROUPS: unknown key: not an aws-ec2-ssh.conf or iamkit key; ignored]
	// hostsync: config line 2: SUDOER_GROUPS: unknown key: not an aws-ec2-ssh.conf or iamkit key
	// hostsync: config line 1: ASSUMEROLE: syntax error: shell expansion ($) is not supported
}

// Tag-based group lists are read from the instance's EC2 tags.
func ExampleResolveTags() {
	cfg, err := hostsync.ParseConfig([]byte("IAM_AUTHORIZED_GROUPS_TAG=ssh-groups\nSUDOERS_GROUPS_TAG=ssh-sudo\n"))
	if err != nil {
		panic(err)
	}
	resolved, err := hostsync.ResolveTags(cfg, map[string]string{"ssh-groups": "devs,ops", "ssh-sudo": "##ALL##"})
	fmt.Println(resolved.AuthorizedGroups, resolved.SudoAll, err)

	_, err = hostsync.ResolveTags(cfg, map[string]string{"ssh-sudo": "ops"})
	fmt.Println(errors.Is(err, hostsync.ErrTagMissing))
	// Output:
	// [devs ops] true <nil>
	// true
}

func ExampleLinuxName() {
	for _, iam := range []string{"alice", "bob@corp.com", "j+doe=x,y", "bob.at.corp.com", "-rf", "firstname.lastname@example.com"} {
		linux, err := hostsync.LinuxName(iam)
		if err != nil {
			fmt.Println(err)
			continue
		}
		back, _ := hostsync.IAMName(linux)
		fmt.Printf("%s -> %s -> %s\n", iam, linux, back)
	}
	// Output:
	// alice -> alice -> alice
	// bob@corp.com -> bob.at.corp.com -> bob@corp.com
	// j+doe=x,y -> j.plus.doe.equal.x.comma.y -> j+doe=x,y
	// hostsync: user name "bob.at.corp.com": its Linux name "bob.at.corp.com" would read back as IAM user "bob@corp.com" (the name already holds one of the tokens .plus. .equal. .comma. .at.)
	// hostsync: user name "-rf": its Linux name "-rf" is not valid: a Linux user name must not start with '-'
	// hostsync: user name "firstname.lastname@example.com": its Linux name "firstname.lastname.at.example.com" is not valid: Linux user name is 33 characters long, more than 32
}

func ExampleMapNames() {
	mapped, refused := hostsync.MapNames([]string{"bob@corp.com", "bob.at.corp.com", "Carol", "carol", "dave"})
	fmt.Println(mapped)
	for _, n := range []string{"Carol", "bob.at.corp.com", "carol"} {
		fmt.Println(refused[n] != nil)
	}
	// Output:
	// map[bob@corp.com:bob.at.corp.com dave:dave]
	// true
	// true
	// true
}

func ExampleParseKey() {
	line := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBhR5LQk001Dr9+olSmuKyZY1dt3nqNVcyjKmrEjvWpq alice@laptop"
	pk, err := hostsync.ParseKey(line)
	if err != nil {
		panic(err)
	}
	fmt.Println(pk.Type, pk.Comment)
	fmt.Println(pk.SHA256) // what sshd passes as %f
	fmt.Println(pk.MD5)    // what IAM reports as Fingerprint

	_, err = hostsync.ParseKey(`command="/bin/sh" ` + line)
	fmt.Println(err)
	// Output:
	// ssh-ed25519 alice@laptop
	// SHA256:4AOVUV3rcNNy2tvuRvcQsVPTvcjvxuTmoambZhVN+Yg
	// 00:75:e9:09:8e:f6:4f:40:78:0d:69:65:04:75:2f:64
	// hostsync: invalid SSH public key: authorized_keys options are not allowed (command="/bin/sh")
}

func ExampleHashUID() {
	fmt.Println(hostsync.HashUID("AIDAEXAMPLEUSER1", hostsync.DefaultUIDMin, hostsync.DefaultUIDMax))
	// Output:
	// 1906803629
}

// A deleted user keeps its UID record, so the same person coming back —
// even re-created in IAM under a new user ID — gets the same UID.
func ExampleUIDMap_Allocate() {
	var m hostsync.UIDMap
	lo, hi := hostsync.DefaultUIDMin, hostsync.DefaultUIDMax
	uid, how, _ := m.Allocate("AIDAOLD", "alice", lo, hi, nil, nil)
	fmt.Println(uid, how)
	uid, how, _ = m.Allocate("AIDANEW", "alice", lo, hi, nil, nil)
	fmt.Println(uid, how)
	// Output:
	// 2074231558 UID 2074231558 hashed from user ID
	// 2074231558 UID 2074231558 of the earlier IAM user AIDAOLD of the same name
}

// Plan shows what a sync would do, without doing it.
func ExamplePlan() {
	ctx := context.Background()
	host := iamkittest.NewHost()
	cfg := hostsync.Config{AuthorizedGroups: []string{"ssh"}, SudoersGroups: []string{"ops.admins"}}
	key := func(id, seed string) hostsync.Key {
		return hostsync.Key{ID: id, Body: exampleKey(seed), Status: hostsync.KeyActive}
	}
	desired := hostsync.Desired{Complete: true, Users: []hostsync.DesiredUser{
		{IAMUserID: "AIDAALICE", IAMName: "alice@corp.com", Groups: []string{"ssh", "ops.admins"}, Keys: []hostsync.Key{key("APKAALICE", "alice")}},
		{IAMUserID: "AIDABOB", IAMName: "bob", Groups: []string{"ssh"}, Keys: []hostsync.Key{
			key("APKABOB1", "bob"),
			{ID: "APKABOB2", Body: exampleKey("bob-old"), Status: hostsync.KeyInactive},
		}},
		{IAMUserID: "AIDAROOT", IAMName: "root", Groups: []string{"ssh"}},
		{IAMUserID: "AIDACAROL", IAMName: "carol", Groups: []string{"billing"}},
	}}
	hs, err := hostsync.LoadHostState(ctx, host, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Print(hostsync.Plan(desired, hs, cfg))
	// Output:
	// hostsync plan: 6 actions, 3 skipped
	//   save-state: UIDs bob=1931980730, alice@corp.com=2048698664
	//   create-user alice.at.corp.com uid=2048698664 groups=iam-synced-users [IAM alice@corp.com]: new IAM user AIDAALICE (UID 2048698664 hashed from user ID)
	//   create-user bob uid=1931980730 groups=iam-synced-users: new IAM user AIDABOB (UID 1931980730 hashed from user ID)
	//   write-keys alice.at.corp.com keys=APKAALICE=SHA256:kfeGu8A9kKkjlefbbY47nZSlxtQexKup8sUFC8DNx94 [IAM alice@corp.com]: 1 active key(s)
	//   write-keys bob keys=APKABOB1=SHA256:VUBFK01IA6nf5djCbi2u5xcnW7wKDSjBjQT8UXafVRI: 1 active key(s)
	//   grant-sudo alice.at.corp.com [IAM alice@corp.com]: member of a sudoers group (ops.admins)
	// skipped:
	//   IAM user "bob": key APKABOB2 dropped: status "Inactive" is not "Active"
	//   IAM user "carol": not a member of any authorized IAM group (IAM_AUTHORIZED_GROUPS)
	//   IAM user "root": reserved name: never created, changed or deleted
}

// Apply runs a plan and reports each action; a second sync finds nothing to
// do.
func ExampleApply() {
	ctx := context.Background()
	host := iamkittest.NewHost()
	cfg := hostsync.Config{SudoAll: true}
	desired := hostsync.Desired{Complete: true, Users: []hostsync.DesiredUser{
		{IAMUserID: "AIDAALICE", IAMName: "alice", Keys: []hostsync.Key{{ID: "APKAALICE", Body: exampleKey("alice"), Status: hostsync.KeyActive}}},
	}}
	for range 2 {
		hs, err := hostsync.LoadHostState(ctx, host, cfg)
		if err != nil {
			panic(err)
		}
		report := hostsync.Apply(ctx, host, hostsync.Plan(desired, hs, cfg))
		fmt.Print(report)
	}
	// Output:
	// hostsync apply: 4 done, 0 already done, 0 failed, 0 skipped, 0 not run
	//   done         save-state
	//   done         create-user alice uid=2048698664 groups=iam-synced-users
	//   done         write-keys alice keys=APKAALICE=SHA256:kfeGu8A9kKkjlefbbY47nZSlxtQexKup8sUFC8DNx94
	//   done         grant-sudo alice
	// hostsync apply: 0 done, 0 already done, 0 failed, 0 skipped, 0 not run
}

// When the source of truth cannot be read completely, nothing changes.
func ExamplePlan_unknownSource() {
	host := iamkittest.NewHost()
	hs, err := hostsync.LoadHostState(context.Background(), host, hostsync.Config{})
	if err != nil {
		panic(err)
	}
	desired := hostsync.Desired{Err: errors.New("iam:GetGroup: Throttling: Rate exceeded")}
	fmt.Print(hostsync.Plan(desired, hs, hostsync.Config{}))
	// Output:
	// hostsync plan: no changes: hostsync: IAM source unknown: iam:GetGroup: Throttling: Rate exceeded
}
