package credfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/mfa/credfile"
)

// Set changes one value in place and adds a section for the session
// credentials; the comments and spacing of the rest of the file survive.
func ExampleFile_Set() {
	f, err := credfile.Parse([]byte(`# work account -- long-term keys, rotate yearly
[dev-long-term]
aws_access_key_id=AKIAIOSFODNN7EXAMPLE
aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
aws_mfa_device = arn:aws:iam::123456789012:mfa/ann
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, kv := range []credfile.KeyValue{
		{Key: "aws_access_key_id", Value: "ASIAIOSFODNN7EXAMPLE"},
		{Key: "aws_session_token", Value: "FwoGZXIvYXdzEXAMPLE"},
	} {
		if err := f.Set("dev", kv.Key, kv.Value); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := f.Set("dev-long-term", "aws_mfa_device", "arn:aws:iam::123456789012:mfa/ann-phone"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(f.Bytes()))
	// Output:
	// # work account -- long-term keys, rotate yearly
	// [dev-long-term]
	// aws_access_key_id=AKIAIOSFODNN7EXAMPLE
	// aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
	// aws_mfa_device = arn:aws:iam::123456789012:mfa/ann-phone
	//
	// [dev]
	// aws_access_key_id = ASIAIOSFODNN7EXAMPLE
	// aws_session_token = FwoGZXIvYXdzEXAMPLE
}

// A value with a line break is refused: it could smuggle in another key or
// section.
func ExampleFile_Set_rejectsNewlines() {
	var f credfile.File
	err := f.Set("dev", "aws_session_token", "x\n[default]\naws_access_key_id = EVIL")
	fmt.Println(err)
	// Output:
	// credfile: invalid value for key "aws_session_token": contains a line break
}

// Update edits a file on disk under a lock and replaces it atomically with
// mode 0600. Here the file does not exist yet.
func ExampleUpdate() {
	dir, err := os.MkdirTemp("", "credfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, ".aws", "credentials")

	err = credfile.Update(path, func(f *credfile.File) error {
		return f.ReplaceSection("dev", []credfile.KeyValue{
			{Key: "aws_access_key_id", Value: "ASIAIOSFODNN7EXAMPLE"},
			{Key: "aws_secret_access_key", Value: "EXAMPLEKEY"},
			{Key: "aws_session_token", Value: "FwoGZXIvYXdzEXAMPLE"},
		})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	fmt.Print(string(data))
	fmt.Println(fi.Mode().Perm())
	// Output:
	// [dev]
	// aws_access_key_id = ASIAIOSFODNN7EXAMPLE
	// aws_secret_access_key = EXAMPLEKEY
	// aws_session_token = FwoGZXIvYXdzEXAMPLE
	// -rw-------
}

// Profiles other than default are "[profile NAME]" in the config file.
func ExampleConfigSectionName() {
	f, _ := credfile.Parse([]byte("[default]\nregion = us-east-1\n\n[profile dev]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/ann\n"))
	for _, p := range []string{"default", "dev"} {
		region, _ := f.Get(credfile.ConfigSectionName(p), "region")
		fmt.Println(p, credfile.ConfigSectionName(p), region)
	}
	// Output:
	// default default us-east-1
	// dev profile dev eu-west-1
}

// The file locations honour AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE;
// the environment is passed in, here as a map.
func ExampleCredentialsPath() {
	env := map[string]string{"HOME": "/home/ann", "AWS_CONFIG_FILE": "/etc/aws/config"}
	getenv := func(k string) string { return env[k] }
	creds, _ := credfile.CredentialsPath(getenv)
	config, _ := credfile.ConfigPath(getenv)
	fmt.Println(creds)
	fmt.Println(config)
	// Output:
	// /home/ann/.aws/credentials
	// /etc/aws/config
}

// Get reads values as the AWS CLI does; StripInlineComment applies the Go
// SDK's rule for inline comments.
func ExampleFile_Get() {
	f, _ := credfile.Parse([]byte("[dev]\nregion = eu-west-1 # Ireland\n"))
	v, _ := f.Get("dev", "REGION")
	fmt.Printf("%q\n%q\n", v, credfile.StripInlineComment(v))
	// Output:
	// "eu-west-1 # Ireland"
	// "eu-west-1"
}
