package iamuser

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/internal/atomicfile"
)

// BundleHeader is the header of the CSV file WriteBundle writes.
var BundleHeader = []string{"user_name", "password", "mfa_secret", "console_sign_in_url", "access_key_id", "secret_access_key"}

// CSVRow returns the credentials row: user, password, MFA secret, console
// sign-in URL, access key ID and secret (empty where not made by this run).
func (r *Result) CSVRow() []string {
	return []string{r.UserName, r.Password, r.MFASeed, r.SignInURL, r.AccessKeyID, r.SecretAccessKey}
}

// BundleFiles returns the names of the files a bundle for userName may hold:
// NAME.csv, NAME.otpauth and NAME-mfa.png. WriteBundle refuses a directory
// holding any of them.
func BundleFiles(userName string) []string {
	return []string{userName + ".csv", userName + ".otpauth", userName + "-mfa.png"}
}

// HasSecrets reports whether r holds a secret AWS will not show again (a
// password, an MFA seed or an access key secret): whether a bundle is worth
// writing. A resumed onboarding that made nothing new has none.
func (r *Result) HasSecrets() bool {
	return r.Password != "" || r.MFASeed != "" || r.SecretAccessKey != ""
}

// WriteBundle writes the credentials bundle for the person into dir: NAME.csv
// (BundleHeader and CSVRow), and, when an MFA device was created by this run,
// NAME.otpauth (the key URI) and NAME-mfa.png (its QR code). The directory is
// created with mode 0700; every file is written atomically with mode 0600.
// It returns the paths written.
//
// A bundle may be the only copy of a password, so WriteBundle never
// overwrites one: if dir already holds any of BundleFiles(NAME) it returns an
// error wrapping fs.ErrExist that names the file, and creates nothing (see
// NextBundleDir for a directory that holds none). Each file is put in place
// only if its name is still free, so a concurrent writer cannot be
// overwritten either. On any failure the files this call wrote are removed,
// and the directory too if this call created it: nothing is left half
// written, and no temporary file remains.
func (r *Result) WriteBundle(dir string) (paths []string, err error) {
	if err := ValidateUserName(r.UserName); err != nil {
		return nil, err
	}
	if p, err := findBundle(dir, r.UserName); err != nil {
		return nil, fmt.Errorf("iamuser: writing bundle: %w", err)
	} else if p != "" {
		return nil, fmt.Errorf("iamuser: writing bundle: %s: %w", p, fs.ErrExist)
	}
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("iamuser: creating bundle directory: %w", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(BundleHeader)
	_ = w.Write(r.CSVRow())
	w.Flush()
	names := BundleFiles(r.UserName)
	type file struct {
		name string
		data []byte
	}
	files := []file{{names[0], buf.Bytes()}}
	if r.OTPAuthURI != "" {
		files = append(files, file{names[1], []byte(r.OTPAuthURI + "\n")})
	}
	if len(r.QRCodePNG) > 0 {
		files = append(files, file{names[2], r.QRCodePNG})
	}
	defer func() {
		if err == nil {
			return
		}
		for _, p := range paths {
			_ = os.Remove(p)
		}
		paths = nil
		if created {
			_ = os.Remove(dir) // only when empty
		}
	}()
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		placed, err := atomicfile.WriteFile(p, f.data, atomicfile.NoReplace(), atomicfile.NoFollow())
		if placed != "" {
			// In place, even when a later step (the directory sync)
			// failed: the clean-up below must remove it too.
			paths = append(paths, p)
		}
		if err != nil {
			return paths, fmt.Errorf("iamuser: writing bundle: %w", err)
		}
	}
	return paths, nil
}

// findBundle returns the path of the first of userName's bundle files dir
// holds, or "" when it holds none (or does not exist).
func findBundle(dir, userName string) (string, error) {
	for _, name := range BundleFiles(userName) {
		p := filepath.Join(dir, name)
		_, err := os.Lstat(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// maxBundleDirs bounds NextBundleDir's search.
const maxBundleDirs = 1000

// NextBundleDir returns the directory a bundle for userName should go to:
// dir, or the first of dir.2, dir.3, … that holds none of
// BundleFiles(userName), so that an earlier bundle is never in the way. It
// creates the directory (mode 0700) and checks that a file can be created
// in it, so that secrets made afterwards have somewhere to go — call it
// before onboarding. A directory it created stays (empty) when no bundle is
// written; the caller may remove it.
func NextBundleDir(dir, userName string) (string, error) {
	if err := ValidateUserName(userName); err != nil {
		return "", err
	}
	for i := 1; i <= maxBundleDirs; i++ {
		d := dir
		if i > 1 {
			d = fmt.Sprintf("%s.%d", dir, i)
		}
		p, err := findBundle(d, userName)
		if err != nil {
			return "", fmt.Errorf("iamuser: bundle directory: %w", err)
		}
		if p != "" {
			continue
		}
		if err := ensureWritable(d); err != nil {
			return "", err
		}
		return d, nil
	}
	return "", fmt.Errorf("iamuser: bundle directory: %s to %s.%d all hold a bundle for %s", dir, dir, maxBundleDirs, userName)
}

// ensureWritable creates dir (mode 0700) if needed and checks that a file can
// be created in it.
func ensureWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("iamuser: bundle directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".iamkit-probe-*")
	if err != nil {
		return fmt.Errorf("iamuser: bundle directory %s is not writable: %w", dir, err)
	}
	_ = probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return fmt.Errorf("iamuser: bundle directory: %w", err)
	}
	return nil
}
