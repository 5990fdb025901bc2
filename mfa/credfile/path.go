package credfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrNoHome is returned by CredentialsPath and ConfigPath when the file's
// location is not set in the environment and no home directory is known.
var ErrNoHome = errors.New("cannot determine the home directory")

// Environment variables that move the files, as the AWS CLI and SDKs read them.
const (
	EnvCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"
	EnvConfigFile      = "AWS_CONFIG_FILE"
)

// CredentialsPath returns the path of the shared credentials file:
// $AWS_SHARED_CREDENTIALS_FILE if set, else ~/.aws/credentials. getenv looks
// up environment variables (nil means os.Getenv); the home directory is
// $HOME (on Windows %USERPROFILE%). A leading "~" in the variable's value is
// expanded, as the AWS CLI does.
func CredentialsPath(getenv func(string) string) (string, error) {
	return awsPath(getenv, EnvCredentialsFile, "credentials")
}

// ConfigPath returns the path of the config file: $AWS_CONFIG_FILE if set,
// else ~/.aws/config. getenv is as for CredentialsPath.
func ConfigPath(getenv func(string) string) (string, error) {
	return awsPath(getenv, EnvConfigFile, "config")
}

func awsPath(getenv func(string) string, envVar, base string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	home := func() (string, error) {
		h := getenv("HOME")
		if runtime.GOOS == "windows" {
			if p := getenv("USERPROFILE"); p != "" {
				h = p
			}
		}
		if h == "" {
			return "", fmt.Errorf("credfile: %w", ErrNoHome)
		}
		return h, nil
	}
	if p := getenv(envVar); p != "" {
		if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~`+string(filepath.Separator)) {
			h, err := home()
			if err != nil {
				return "", err
			}
			p = filepath.Join(h, p[1:])
		}
		return p, nil
	}
	h, err := home()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".aws", base), nil
}

// ConfigSectionName returns the config-file section name of a profile:
// "default" for the default profile, "profile NAME" for any other. (The
// credentials file uses the bare profile name for every profile.)
func ConfigSectionName(profile string) string {
	profile = normName(profile)
	if profile == "default" {
		return profile
	}
	return "profile " + profile
}
