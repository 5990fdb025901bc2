// Package kitlink lets code inside the iamkit module cross between package
// iamkittest's handles and the internal/fakes values behind them, which
// iamkittest keeps unexported so that its public API names no internal
// type:
//
//	acct := iamkittest.NewAccount()
//	fa := kitlink.Fakes[*fakes.Account](acct)     // the *fakes.Account behind it
//	back := kitlink.Kit[*iamkittest.Account](fa)  // a handle on the same account
//
// Package iamkittest registers the conversions in its init function;
// anything holding an iamkittest handle has it linked in.
package kitlink

import "fmt"

var fakesOf, kitOf func(any) (any, bool)

// Register installs the conversions; package iamkittest calls it once, in
// its init function.
func Register(toFakes, toKit func(any) (any, bool)) { fakesOf, kitOf = toFakes, toKit }

// Fakes returns the internal/fakes value behind an iamkittest handle
// (*iamkittest.Account, *iamkittest.IAM, *iamkittest.Host, ...). It panics
// when kit is no such handle or F is not its type: a bug in the caller.
func Fakes[F any](kit any) F {
	if fakesOf == nil {
		panic("kitlink: package iamkittest is not linked in")
	}
	v, ok := fakesOf(kit)
	f, ok2 := v.(F)
	if !ok || !ok2 {
		var zero F
		panic(fmt.Sprintf("kitlink: %T is not an iamkittest handle of a %T", kit, zero))
	}
	return f
}

// Kit wraps an internal/fakes value (*fakes.Account, *fakes.Host, ...) in
// its iamkittest handle K. It panics when f has no handle of type K.
func Kit[K any](f any) K {
	if kitOf == nil {
		panic("kitlink: package iamkittest is not linked in")
	}
	v, ok := kitOf(f)
	k, ok2 := v.(K)
	if !ok || !ok2 {
		var zero K
		panic(fmt.Sprintf("kitlink: %T has no iamkittest handle of type %T", f, zero))
	}
	return k
}
