package credfile

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPaths(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		creds, config string
	}{
		{
			name:   "defaults under home",
			env:    map[string]string{"HOME": "/home/ann"},
			creds:  filepath.Join("/home/ann", ".aws", "credentials"),
			config: filepath.Join("/home/ann", ".aws", "config"),
		},
		{
			name: "environment overrides",
			env: map[string]string{
				"HOME":                        "/home/ann",
				"AWS_SHARED_CREDENTIALS_FILE": "/etc/aws/creds",
				"AWS_CONFIG_FILE":             "/etc/aws/conf",
			},
			creds:  "/etc/aws/creds",
			config: "/etc/aws/conf",
		},
		{
			name: "tilde expanded",
			env: map[string]string{
				"HOME":                        "/home/ann",
				"AWS_SHARED_CREDENTIALS_FILE": "~/work/credentials",
				"AWS_CONFIG_FILE":             "~/work/config",
			},
			creds:  filepath.Join("/home/ann", "work", "credentials"),
			config: filepath.Join("/home/ann", "work", "config"),
		},
		{
			name: "overrides need no home",
			env: map[string]string{
				"AWS_SHARED_CREDENTIALS_FILE": "creds",
				"AWS_CONFIG_FILE":             "conf",
			},
			creds:  "creds",
			config: "conf",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CredentialsPath(envOf(tt.env))
			require.NoError(t, err)
			assert.Equal(t, tt.creds, c)
			g, err := ConfigPath(envOf(tt.env))
			require.NoError(t, err)
			assert.Equal(t, tt.config, g)
		})
	}
	t.Run("no home", func(t *testing.T) {
		_, err := CredentialsPath(envOf(nil))
		assert.ErrorIs(t, err, ErrNoHome)
		_, err = ConfigPath(envOf(map[string]string{"AWS_CONFIG_FILE": "~/x"}))
		assert.ErrorIs(t, err, ErrNoHome)
	})
}

func TestConfigSectionName(t *testing.T) {
	tests := []struct{ profile, want string }{
		{"default", "default"},
		{"dev", "profile dev"},
		{" dev ", "profile dev"},
		{"dev-long-term", "profile dev-long-term"},
		{"Default", "profile Default"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ConfigSectionName(tt.profile), tt.profile)
	}
}
