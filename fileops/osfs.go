package fileops

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// osFS is the operating system's filesystem, unconfined.
type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osFS) Lstat(name string) (fs.FileInfo, error)    { return os.Lstat(name) }
func (osFS) Mkdir(name string, perm fs.FileMode) error { return os.Mkdir(name, perm) }
func (osFS) Remove(name string) error                  { return os.Remove(name) }
func (osFS) Sync(name string) error                    { return syncPath(name) }

func (osFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return readDir(os.OpenFile(name, os.O_RDONLY|oNonBlock, 0))
}

// Stat describes name, following symbolic links.
func (osFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

func (osFS) Rename(oldname, newname string, how RenameMode) error {
	return renameOS(oldname, newname, how)
}

func (osFS) Lock(name string) (io.Closer, error) {
	return lockRegular(os.OpenFile(name, os.O_RDWR|os.O_CREATE|oNonBlock, 0o644))
}

// lockRegular locks the file just opened, which must be a regular file:
// a FIFO or a device under the lock file's name is refused.
func lockRegular(f *os.File, err error) (io.Closer, error) {
	if err != nil {
		return nil, err
	}
	if err := checkRegular(f); err != nil {
		f.Close()
		return nil, err
	}
	return lockFile(f)
}

// checkRegular fails with ErrNotRegular unless f is a regular file.
func checkRegular(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return notRegular(f.Name(), info.Mode())
	}
	return nil
}

// readDir lists the directory just opened, sorted by name as os.ReadDir
// does (File.ReadDir returns directory order), and closes it.
func readDir(f *os.File, err error) ([]fs.DirEntry, error) {
	if err != nil {
		return nil, err
	}
	entries, err := f.ReadDir(-1)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// rootFS is the operating system's filesystem confined to one directory
// by os.Root: names are relative to it, and neither "..", absolute names
// nor symbolic links can reach outside.
type rootFS struct {
	root *os.Root
	path string // the directory's absolute path, for platforms that need one
}

func (r *rootFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := r.root.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (r *rootFS) Lstat(name string) (fs.FileInfo, error)    { return r.root.Lstat(name) }
func (r *rootFS) Mkdir(name string, perm fs.FileMode) error { return r.root.Mkdir(name, perm) }
func (r *rootFS) Remove(name string) error                  { return r.root.Remove(name) }
func (r *rootFS) Sync(name string) error                    { return syncInRoot(r.root, r.path, name) }

func (r *rootFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return readDir(r.root.OpenFile(name, os.O_RDONLY|oNonBlock, 0))
}

// Stat describes name, following symbolic links inside the root.
func (r *rootFS) Stat(name string) (fs.FileInfo, error) { return r.root.Stat(name) }

func (r *rootFS) Rename(oldname, newname string, how RenameMode) error {
	return renameInRoot(r.root, r.path, oldname, newname, how)
}

func (r *rootFS) Lock(name string) (io.Closer, error) {
	return lockRegular(r.root.OpenFile(name, os.O_RDWR|os.O_CREATE|oNonBlock, 0o644))
}

// subFS is a caller-supplied FS seen from one of its directories: every
// name is joined to dir.
type subFS struct {
	fsys FS
	dir  string
}

func (s subFS) join(name string) string { return filepath.Join(s.dir, name) }

func (s subFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	return s.fsys.OpenFile(s.join(name), flag, perm)
}
func (s subFS) Lstat(name string) (fs.FileInfo, error)     { return s.fsys.Lstat(s.join(name)) }
func (s subFS) ReadDir(name string) ([]fs.DirEntry, error) { return s.fsys.ReadDir(s.join(name)) }
func (s subFS) Mkdir(name string, perm fs.FileMode) error  { return s.fsys.Mkdir(s.join(name), perm) }
func (s subFS) Remove(name string) error                   { return s.fsys.Remove(s.join(name)) }
func (s subFS) Sync(name string) error                     { return s.fsys.Sync(s.join(name)) }
func (s subFS) Lock(name string) (io.Closer, error)        { return s.fsys.Lock(s.join(name)) }
func (s subFS) Rename(oldname, newname string, how RenameMode) error {
	return s.fsys.Rename(s.join(oldname), s.join(newname), how)
}

// unsupportedError marks a system error that means "this filesystem cannot
// do that": it matches ErrUnsupported and unwraps to the system's error.
type unsupportedError struct{ err error }

func (e *unsupportedError) Error() string        { return "not supported: " + e.err.Error() }
func (e *unsupportedError) Unwrap() error        { return e.err }
func (e *unsupportedError) Is(target error) bool { return target == ErrUnsupported }

// renameError wraps a rename failure the way os.Rename does, naming the mode.
func renameError(oldname, newname string, how RenameMode, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: "rename (" + how.String() + ")", Old: oldname, New: newname, Err: err}
}
