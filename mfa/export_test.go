package mfa

// WithCurrentUser replaces the passwd lookup of the default role session
// name (tests only).
func WithCurrentUser(f func() string) Option { return func(s *settings) { s.currentUser = f } }
