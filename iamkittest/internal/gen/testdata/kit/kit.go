package kit

// Option is written by hand.
type Option func()

func fromFakesOption(any) Option { return nil }

func toFakesError(err error) error { return err }

func toFakesOption(Option) any { return nil }
