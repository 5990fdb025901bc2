// Package bad has a signature the generator cannot translate.
package bad

// H is a handle.
type H struct{ x int }

// ByName returns handles by name.
func (h *H) ByName() map[string]*H { return nil }
