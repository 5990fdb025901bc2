package iamkittest

import "github.com/iamkit/iamkit/internal/fakes/kitlink"

// In-module code reaches the fakes behind this package's handles through
// internal/fakes/kitlink; importers cannot.
func init() { kitlink.Register(fakesOfGenerated, kitOfGenerated) }
