package fileops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// sentinel is an error value that also matches a more general error, so
// that errors.Is(ErrExist, fs.ErrExist) holds without repeating its message.
type sentinel struct {
	msg  string
	base error
}

func (s *sentinel) Error() string { return s.msg }
func (s *sentinel) Unwrap() error { return s.base }

var (
	// ErrLocked is returned by [Lock], [Open] and [FS.Lock] when another
	// holder (another process, or another Lock or Open in this one) has
	// the directory's lock.
	ErrLocked error = &sentinel{msg: "fileops: locked by another holder"}

	// ErrExist is returned when the destination of [CreateDir] exists,
	// whatever its type. errors.Is(err, fs.ErrExist) holds too.
	ErrExist error = &sentinel{msg: "fileops: destination exists", base: fs.ErrExist}

	// ErrSyncFailed marks an error from fsync (or its platform
	// equivalent). It is not retryable: after a failed fsync the kernel
	// may have dropped the dirty pages and cleared the error, so a second
	// fsync can report success for data that never reached the disk.
	// Whatever the failed operation wrote must be treated as possibly
	// lost; the remedy is to write it again from the caller's own copy,
	// as a new operation, and to suspect the storage. The underlying error
	// stays reachable with errors.Is and errors.As.
	ErrSyncFailed error = &sentinel{msg: "fileops: sync failed"}

	// ErrUnsupported is returned when the filesystem or platform lacks
	// something an operation needs, for example a directory lock on a
	// platform without flock or LockFileEx, and by [FS] implementations
	// that cannot rename with RenameNoReplace or RenameExchange.
	// errors.Is(err, errors.ErrUnsupported) holds too.
	ErrUnsupported error = &sentinel{msg: "fileops: not supported", base: errors.ErrUnsupported}

	// ErrInvalidName is returned for a name or path that cannot be used:
	// empty, escaping a [Dir] (".." or absolute), naming the directory
	// itself, reserved for this package's temporary names or its lock
	// file, or too long to build a temporary name from. Names that are
	// not valid UTF-8 are accepted where the operating system accepts them.
	// errors.Is(err, fs.ErrInvalid) holds too.
	ErrInvalidName error = &sentinel{msg: "fileops: invalid name", base: fs.ErrInvalid}

	// ErrIsDir is returned when a file operation's destination is a
	// directory.
	ErrIsDir error = &sentinel{msg: "fileops: destination is a directory"}

	// ErrNotDir is returned when a directory operation's destination
	// exists but is neither a directory nor a symbolic link.
	ErrNotDir error = &sentinel{msg: "fileops: destination is not a directory"}

	// ErrNotRegular is returned when a file that is read or locked is not
	// a regular file: a FIFO, a socket or a device, which could block the
	// open or the read for ever. [Dir.ReadFile] refuses such a file before
	// opening it (and checks again after a non-blocking open), and [Lock]
	// and [Open] refuse such a lock file.
	ErrNotRegular error = &sentinel{msg: "fileops: not a regular file"}
)

// notRegular reports that name is not a regular file, saying what it is.
func notRegular(name string, m fs.FileMode) error {
	return fmt.Errorf("%w: %s is %s", ErrNotRegular, name, describeMode(m))
}

// syncError marks an fsync failure: it matches ErrSyncFailed and unwraps to
// the system's error.
type syncError struct{ err error }

func (e *syncError) Error() string        { return "sync failed (not retryable): " + e.err.Error() }
func (e *syncError) Unwrap() error        { return e.err }
func (e *syncError) Is(target error) bool { return target == ErrSyncFailed }

func syncFailed(err error) error {
	if err == nil {
		return nil
	}
	return &syncError{err: err}
}

// OpError reports a failed operation: which operation, at which step, on
// which path. Match it with errors.As; the cause stays reachable with
// errors.Is (for example errors.Is(err, ErrSyncFailed) or
// errors.Is(err, syscall.ENOSPC)).
//
// Whatever the stage, a failed operation leaves the destination holding
// exactly its old content or exactly its new content, never a mix, and
// the only thing it can leave behind is temporary names that [Recover]
// removes or rolls back.
type OpError struct {
	// Op is the operation: "writefile", "pendingfile", "batch",
	// "createdir", "replacedir", "removedir", "recover", "lock" or "open".
	Op string
	// Stage is the step that failed, for example "validate", "check
	// destination", "create temp", "write", "sync file", "close",
	// "rename", "sync dir", "mkdir temp", "fill", "sync tree", "publish",
	// "remove", "read dir", "open", "read", "lock" or "context". A failure
	// at "sync dir" after a rename means the new content is in place but
	// may not survive a power loss. Error leaves the stage out when it is
	// the operation's name (Open's "open", Lock's "lock").
	Stage string
	// Path is the destination as the caller named it (for a [Dir], joined
	// to the directory's path).
	Path string
	// Err is the cause.
	Err error
}

// Error returns a message such as
// "fileops: writefile /etc/app.conf: sync file: sync failed (not retryable): input/output error".
// It says each thing once: the stage is left out when it repeats the
// operation, and a cause's own operation and path when they repeat the
// stage and the path ("fileops: readfile /d/a.json: open: no such file or
// directory", not "open: open /d/a.json: ...").
func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString("fileops: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteByte(' ')
		b.WriteString(e.Path)
	}
	if e.Stage != "" && e.Stage != e.Op {
		b.WriteString(": ")
		b.WriteString(e.Stage)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.causeText(), "fileops: "))
	}
	return b.String()
}

// causeText is the cause's message without what the OpError already says.
func (e *OpError) causeText() string {
	pe, ok := e.Err.(*fs.PathError)
	if !ok || !samePath(e.Path, pe.Path) {
		return e.Err.Error()
	}
	// The system call's name ("openat", "lstat") adds nothing to the
	// stage, which says what was being done.
	return pe.Err.Error()
}

// lockedError is the error of a lock that another holder has: it names
// the lock file and matches ErrLocked.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return e.path + " is locked by another holder (another process, or another Open or Lock in this one); only one may hold it"
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// missingDirError is the error for a directory that does not exist. It
// says what to do, and matches fs.ErrNotExist.
type missingDirError struct {
	dir  string // "" when the OpError's path names it
	hint string
	err  error
}

func (e *missingDirError) Error() string {
	if e.dir == "" {
		return "directory does not exist; " + e.hint
	}
	return "directory " + e.dir + " does not exist; " + e.hint
}

func (e *missingDirError) Unwrap() error { return e.err }

const noParentsHint = "create it first (fileops creates no parent directories)"

// samePath reports whether the path of a cause names the OpError's path:
// the same, or the name inside a Dir that the OpError shows joined to the
// Dir's path.
func samePath(shown, name string) bool {
	if name == "" || shown == "" {
		return false
	}
	if shown == name {
		return true
	}
	return strings.HasSuffix(shown, name) && os.IsPathSeparator(shown[len(shown)-len(name)-1])
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }
