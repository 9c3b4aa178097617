package fileops

import (
	"errors"
	"io/fs"
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
)

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
	// "remove", "read dir" or "context". A failure at "sync dir" after a
	// rename means the new content is in place but may not survive a
	// power loss.
	Stage string
	// Path is the destination as the caller named it (for a [Dir], joined
	// to the directory's path).
	Path string
	// Err is the cause.
	Err error
}

// Error returns a message such as
// "fileops: writefile /etc/app.conf: sync file: sync failed (not retryable): input/output error".
func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString("fileops: ")
	b.WriteString(e.Op)
	if e.Path != "" {
		b.WriteByte(' ')
		b.WriteString(e.Path)
	}
	if e.Stage != "" {
		b.WriteString(": ")
		b.WriteString(e.Stage)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "fileops: "))
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *OpError) Unwrap() error { return e.Err }
