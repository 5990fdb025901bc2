package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// missingDirs returns dir and those of its ancestors that do not exist yet,
// deepest first: what os.MkdirAll(dir) is about to create. A run that ends
// with nothing created hands them to removeEmptyDirs, so that an invalid
// input leaves no empty iamkit-out/ behind.
func missingDirs(dir string) []string {
	var missing []string
	for d := filepath.Clean(dir); ; {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			return missing
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			return missing
		}
		d = parent
	}
}

// removeEmptyDirs removes dirs in order, each only if it is empty (os.Remove
// refuses a directory with anything in it).
func removeEmptyDirs(dirs []string) {
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}
