// Command apicheck records and checks the exported API of iamkit's public
// packages, as Go's own api/*.txt files do for the standard library.
//
//	go run ./internal/apicheck          # compare with api/iamkit.txt; exit 1 on a difference
//	go run ./internal/apicheck -update  # record the current API (also: go generate ./internal/apicheck)
//	go run ./internal/apicheck -since v0.1.0  # what changed since a tag (its api/iamkit.txt), for the release notes
//
// The test of this package runs the comparison, so `go test ./...` fails
// on an API change that was not recorded. A removed or changed line is an
// incompatible change: accept it on purpose only, with a CHANGELOG entry.
// The API is read with go/types from the packages' export data (`go list
// -export`), so nothing outside the standard library is needed.
package main

//go:generate go run . -update

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	update := flag.Bool("update", false, "record the current API in "+SnapshotFile)
	since := flag.String("since", "", "compare with "+SnapshotFile+" as of the git `REF` (a release tag) instead of the working tree's")
	flag.Parse()
	if *update && *since != "" {
		fmt.Fprintln(os.Stderr, "apicheck: -update and -since exclude each other")
		os.Exit(2)
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(2)
	}
	cur, err := API(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	path := filepath.Join(root, SnapshotFile)
	if *update {
		if err := WriteSnapshot(path, cur); err != nil {
			fmt.Fprintln(os.Stderr, "apicheck:", err)
			os.Exit(1)
		}
		fmt.Printf("apicheck: %d names recorded in %s\n", len(cur), SnapshotFile)
		return
	}
	var old []string
	if *since != "" {
		old, err = snapshotAt(root, *since)
	} else {
		old, err = ReadSnapshot(path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apicheck:", err)
		os.Exit(1)
	}
	removed, added := Diff(old, cur)
	if len(removed)+len(added) > 0 {
		fmt.Fprint(os.Stderr, Report(removed, added))
		os.Exit(1)
	}
	fmt.Printf("apicheck: the API matches %s (%d names)\n", SnapshotFile, len(cur))
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a module")
	}
	return filepath.Dir(gomod), nil
}

// snapshotAt reads the snapshot as committed at a git ref.
func snapshotAt(root, ref string) ([]string, error) {
	cmd := exec.Command("git", "show", ref+":"+SnapshotFile)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", SnapshotFile, ref, err)
	}
	f, err := os.CreateTemp("", "apicheck-*.txt")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(out); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return ReadSnapshot(f.Name())
}
