package trustpolicy

type replaceEdit struct{ doc *Document }

// Replace is the edit that replaces the whole document with doc (a rollback
// restores a journalled document with it). Like every edit it is
// idempotent, and a document that differs from doc only in order or form
// (see Equivalent) is left as it is: Apply then reports Unchanged and sends
// nothing.
func Replace(doc *Document) Edit { return replaceEdit{doc: doc.Clone()} }

func (e replaceEdit) String() string { return "replace the document" }

func (e replaceEdit) Apply(d *Document) error {
	if Equivalent(d, e.doc) {
		return nil
	}
	d.root = e.doc.root.clone()
	return nil
}
