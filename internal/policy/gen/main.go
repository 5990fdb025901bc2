// Command gen writes the least-privilege policies of iamkit's frontends to
// examples/policies (see package policy). Run through go generate:
//
//	go generate ./internal/policy
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/internal/policy"
)

func main() {
	root := flag.String("root", ".", "the module root (the directory of go.mod)")
	flag.Parse()
	files, err := policy.NewLoader(*root).Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Join(*root, policy.Dir), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*root, f.Path), f.Data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}
