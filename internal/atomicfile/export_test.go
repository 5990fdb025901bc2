package atomicfile

// WithLink replaces os.Link, so tests can act as a file system without hard
// links.
func WithLink(link func(oldname, newname string) error) Option {
	return func(o *options) { o.link = link }
}
