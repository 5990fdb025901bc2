package iamuser

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
)

// BundleHeader is the header of the CSV file WriteBundle writes.
var BundleHeader = []string{"user_name", "password", "mfa_secret", "console_sign_in_url", "access_key_id", "secret_access_key"}

// CSVRow returns the credentials row: user, password, MFA secret, console
// sign-in URL, access key ID and secret (empty where not made by this run).
func (r *Result) CSVRow() []string {
	return []string{r.UserName, r.Password, r.MFASeed, r.SignInURL, r.AccessKeyID, r.SecretAccessKey}
}

// WriteBundle writes the credentials bundle for the person into dir: NAME.csv
// (BundleHeader and CSVRow), and, when an MFA device was created by this run,
// NAME.otpauth (the key URI) and NAME-mfa.png (its QR code). The directory is
// created with mode 0700; every file is written atomically with mode 0600.
// It returns the paths written.
func (r *Result) WriteBundle(dir string) ([]string, error) {
	if err := ValidateUserName(r.UserName); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating bundle directory: %w", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(BundleHeader)
	_ = w.Write(r.CSVRow())
	w.Flush()
	type file struct {
		name string
		data []byte
	}
	files := []file{{r.UserName + ".csv", buf.Bytes()}}
	if r.OTPAuthURI != "" {
		files = append(files, file{r.UserName + ".otpauth", []byte(r.OTPAuthURI + "\n")})
	}
	if len(r.QRCodePNG) > 0 {
		files = append(files, file{r.UserName + "-mfa.png", r.QRCodePNG})
	}
	var written []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := WriteFileAtomic(p, f.data, 0o600); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, synced and renamed into place, so readers see the old or the new
// content and never a part. The file gets mode perm whatever the umask.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
