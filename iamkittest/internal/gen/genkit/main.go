// Command genkit writes iamkittest's zz_generated.go from internal/fakes:
// see package gen. Run it with go generate in the iamkittest directory.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iamkit/iamkit/iamkittest/internal/gen"
)

func main() {
	src := flag.String("src", "../internal/fakes", "directory of the wrapped package")
	path := flag.String("path", "github.com/iamkit/iamkit/internal/fakes", "import path of the wrapped package")
	kit := flag.String("kit", ".", "directory of package iamkittest")
	out := flag.String("out", "zz_generated.go", "generated file, in -kit")
	flag.Parse()
	code, err := gen.Generate(gen.Config{SrcDir: *src, SrcImportPath: *path, KitDir: *kit, OutFile: *out})
	if err != nil {
		fmt.Fprintln(os.Stderr, "genkit:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*kit, *out), code, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genkit:", err)
		os.Exit(1)
	}
}
