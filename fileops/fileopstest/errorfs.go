package fileopstest

import (
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"syscall"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// Call names a kind of filesystem call that an [ErrorFS] counts and can
// fail: the methods of [fileops.FS] and of [fileops.File].
type Call string

// The calls.
const (
	// CallOpenFile is FS.OpenFile.
	CallOpenFile Call = "openfile"
	// CallLstat is FS.Lstat.
	CallLstat Call = "lstat"
	// CallReadDir is FS.ReadDir.
	CallReadDir Call = "readdir"
	// CallMkdir is FS.Mkdir.
	CallMkdir Call = "mkdir"
	// CallRemove is FS.Remove.
	CallRemove Call = "remove"
	// CallRename is FS.Rename, in any mode.
	CallRename Call = "rename"
	// CallSync is FS.Sync: the fsync of a file or directory by name.
	CallSync Call = "sync"
	// CallLock is FS.Lock.
	CallLock Call = "lock"
	// CallRead is File.Read.
	CallRead Call = "read"
	// CallWrite is File.Write. A failed write writes half its buffer first.
	CallWrite Call = "write"
	// CallFileSync is File.Sync: the fsync of an open file.
	CallFileSync Call = "file.sync"
	// CallChmod is File.Chmod.
	CallChmod Call = "chmod"
	// CallClose is File.Close. A failed close still closes the file.
	CallClose Call = "close"
)

// Injection says which calls an [ErrorFS] fails.
type Injection struct {
	// At is the index, counting from 0, of the first counted call to fail.
	At int
	// Err is the error the failed calls return, wrapped in an
	// *fs.PathError naming the call and the name. Nil means syscall.EIO.
	Err error
	// Sticky fails every counted call from At on, like a disk that died
	// or a process that was killed; otherwise only call At fails, like a
	// transient error.
	Sticky bool
	// Only restricts counting to these kinds of call; empty counts all.
	// With Only = []Call{CallWrite} and At = 0, the first write fails.
	Only []Call
}

// ErrorFS wraps a [fileops.FS] and fails the calls an [Injection] selects,
// in the way of Pebble's errorfs. A failed write first writes half of its
// buffer, as a disk that fills up does; a failed close still closes the
// underlying file. It records a trace of the calls since the injection for
// test failure messages. It is safe for concurrent use.
//
// The fault-injection loop it is built for:
//
//	for n := 0; ; n++ {
//		efs.Inject(fileopstest.Injection{At: n})
//		err := operation(efs)
//		if efs.Injected() == 0 {
//			break // the operation ran to the end without a failure
//		}
//		// check what the failure left, after recovery
//	}
type ErrorFS struct {
	inner fileops.FS

	mu       sync.Mutex
	inj      *Injection
	count    int
	injected int
	trace    []string
}

var (
	_ fileops.FS   = (*ErrorFS)(nil)
	_ fileops.File = (*errorFile)(nil)
)

// NewErrorFS returns an ErrorFS over inner that fails nothing until
// Inject is called.
func NewErrorFS(inner fileops.FS) *ErrorFS {
	return &ErrorFS{inner: inner}
}

// Inject arms inj and restarts counting, the trace and Injected.
func (e *ErrorFS) Inject(inj Injection) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if inj.Err == nil {
		inj.Err = syscall.EIO
	}
	inj.Only = slices.Clone(inj.Only)
	e.inj = &inj
	e.count, e.injected, e.trace = 0, 0, nil
}

// Disarm stops failing calls. Counts and the trace are kept.
func (e *ErrorFS) Disarm() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inj = nil
}

// Injected returns how many calls failed since Inject.
func (e *ErrorFS) Injected() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.injected
}

// Calls returns how many counted calls were made since Inject.
func (e *ErrorFS) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// Trace returns the calls made since Inject, one "call name" string each,
// with " (injected)" appended to those that failed.
func (e *ErrorFS) Trace() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.trace)
}

// check counts a call and returns the error to inject, or nil.
func (e *ErrorFS) check(c Call, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	entry := string(c) + " " + name
	if e.inj == nil || (len(e.inj.Only) > 0 && !slices.Contains(e.inj.Only, c)) {
		e.trace = append(e.trace, entry)
		return nil
	}
	i := e.count
	e.count++
	if i == e.inj.At || (e.inj.Sticky && i > e.inj.At) {
		e.injected++
		e.trace = append(e.trace, entry+" (injected)")
		return &fs.PathError{Op: string(c), Path: name, Err: e.inj.Err}
	}
	e.trace = append(e.trace, entry)
	return nil
}

// OpenFile implements fileops.FS.
func (e *ErrorFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	if err := e.check(CallOpenFile, name); err != nil {
		return nil, err
	}
	f, err := e.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &errorFile{e: e, f: f, name: name}, nil
}

// Lstat implements fileops.FS.
func (e *ErrorFS) Lstat(name string) (fs.FileInfo, error) {
	if err := e.check(CallLstat, name); err != nil {
		return nil, err
	}
	return e.inner.Lstat(name)
}

// ReadDir implements fileops.FS.
func (e *ErrorFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := e.check(CallReadDir, name); err != nil {
		return nil, err
	}
	return e.inner.ReadDir(name)
}

// Mkdir implements fileops.FS.
func (e *ErrorFS) Mkdir(name string, perm fs.FileMode) error {
	if err := e.check(CallMkdir, name); err != nil {
		return err
	}
	return e.inner.Mkdir(name, perm)
}

// Remove implements fileops.FS.
func (e *ErrorFS) Remove(name string) error {
	if err := e.check(CallRemove, name); err != nil {
		return err
	}
	return e.inner.Remove(name)
}

// Rename implements fileops.FS.
func (e *ErrorFS) Rename(oldname, newname string, how fileops.RenameMode) error {
	if err := e.check(CallRename, oldname+" -> "+newname+" ("+how.String()+")"); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err.(*fs.PathError).Err}
	}
	return e.inner.Rename(oldname, newname, how)
}

// Sync implements fileops.FS.
func (e *ErrorFS) Sync(name string) error {
	if err := e.check(CallSync, name); err != nil {
		return err
	}
	return e.inner.Sync(name)
}

// Lock implements fileops.FS.
func (e *ErrorFS) Lock(name string) (io.Closer, error) {
	if err := e.check(CallLock, name); err != nil {
		return nil, err
	}
	return e.inner.Lock(name)
}

type errorFile struct {
	e    *ErrorFS
	f    fileops.File
	name string
}

func (f *errorFile) Read(p []byte) (int, error) {
	if err := f.e.check(CallRead, f.name); err != nil {
		return 0, err
	}
	return f.f.Read(p)
}

func (f *errorFile) Write(p []byte) (int, error) {
	if err := f.e.check(CallWrite, f.name); err != nil {
		n, _ := f.f.Write(p[:len(p)/2])
		return n, err
	}
	return f.f.Write(p)
}

func (f *errorFile) Sync() error {
	if err := f.e.check(CallFileSync, f.name); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *errorFile) Chmod(mode fs.FileMode) error {
	if err := f.e.check(CallChmod, f.name); err != nil {
		return err
	}
	return f.f.Chmod(mode)
}

func (f *errorFile) Close() error {
	if err := f.e.check(CallClose, f.name); err != nil {
		f.f.Close()
		return err
	}
	return f.f.Close()
}

// NoAtomicRenames wraps fsys so that Rename with RenameNoReplace or
// RenameExchange fails with an error matching fileops.ErrUnsupported, as
// on filesystems without renameat2 flags (and, for exchange, on Windows).
// Operations then take their fallback paths, such as ReplaceDir's
// two-step rename, which tests can exercise on any machine with it.
func NoAtomicRenames(fsys fileops.FS) fileops.FS { return noAtomicRenames{fsys} }

type noAtomicRenames struct{ fileops.FS }

func (n noAtomicRenames) Rename(oldname, newname string, how fileops.RenameMode) error {
	if how != fileops.RenameReplace {
		return &os.LinkError{Op: "rename (" + how.String() + ")", Old: oldname, New: newname, Err: fileops.ErrUnsupported}
	}
	return n.FS.Rename(oldname, newname, how)
}
