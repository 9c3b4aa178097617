package fileops

// NewRootFS exposes the os.Root-confined filesystem behind Open to the
// conformance tests.
func NewRootFS(d *Dir) FS { return d.e.fsys }
