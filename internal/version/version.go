// Package version reports what a binary was built from, as its build info
// (runtime/debug.ReadBuildInfo) records it: the main module's version
// ("(devel)" for a build from a working tree), the VCS revision, whether the
// tree was modified and the commit time when the go command stamped them,
// and the Go version. Every iamkit binary prints it for --version.
package version

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Devel is the module version of a binary built from a working tree rather
// than from a tagged module (what the go command records).
const Devel = "(devel)"

// Info is what a binary's build info says about where it came from.
type Info struct {
	// Module is the main module's path ("github.com/iamkit/iamkit").
	Module string `json:"module,omitempty"`
	// Version is the main module's version: a semver tag, a pseudo-version,
	// or Devel.
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from (vcs.revision);
	// "" when the go command did not stamp it (go run, -buildvcs=false).
	Revision string `json:"revision,omitempty"`
	// Modified reports that the working tree had uncommitted changes
	// (vcs.modified).
	Modified bool `json:"modified,omitempty"`
	// Time is the commit time in RFC 3339 (vcs.time); "" when unknown.
	Time string `json:"time,omitempty"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"go"`
}

// Read returns the running binary's Info. Without build info (a binary
// built without module support) the version is Devel and the Go version
// runtime.Version().
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: Devel, GoVersion: runtime.Version()}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts the Info from bi. An empty module version counts
// as Devel.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if i.Version == "" {
		i.Version = Devel
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "vcs.time":
			i.Time = s.Value
		}
	}
	return i
}

// String formats i on one line:
//
//	v0.3.0 (revision 0123456789ab, modified, 2026-12-03T13:00:00Z) go1.26.0
//
// The parenthesis is left out when nothing was stamped; the revision is
// shortened to 12 characters.
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	var vcs []string
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		vcs = append(vcs, "revision "+rev)
	}
	if i.Modified {
		vcs = append(vcs, "modified")
	}
	if i.Time != "" {
		vcs = append(vcs, i.Time)
	}
	if len(vcs) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(vcs, ", "))
	}
	if i.GoVersion != "" {
		b.WriteString(" " + i.GoVersion)
	}
	return b.String()
}

// Print writes "NAME INFO\n" to w, what --version prints.
func Print(w io.Writer, name string) {
	fmt.Fprintf(w, "%s %s\n", name, Read())
}

// Requested reports whether args (without the program name) ask for the
// version and nothing else: exactly "--version" or "-version". Binaries
// without a flag set of their own (the Lambda functions, the console
// broker) check it first thing in main.
func Requested(args []string) bool {
	return len(args) == 1 && (args[0] == "--version" || args[0] == "-version")
}
