package fileops

import (
	"io"
	"io/fs"
	"os"
	"strconv"
)

// FS is the filesystem every operation of this package goes through: the
// seam that lets tests replace the operating system with a filesystem that
// fails on demand or loses power (see the fileopstest package).
//
// The interface is larger than one method because a crash-safe replace is
// made of several distinct system calls, and a fault-injecting filesystem
// must be able to fail each of them. Names are interpreted by the
// implementation: [OS] takes operating-system paths; the filesystem behind
// a [Dir] opened with a nil [Options.FS] takes names relative to the
// directory and refuses any that leave it.
//
// Every implementation must keep these promises, which fileopstest.Run
// checks:
//
//   - Errors for missing names satisfy errors.Is(err, fs.ErrNotExist) and
//     errors for names that exist where they must not satisfy
//     errors.Is(err, fs.ErrExist).
//   - No method follows a symbolic link in the last element of a name,
//     except OpenFile without O_CREATE|O_EXCL and Sync.
//   - Methods are safe for concurrent use.
type FS interface {
	// OpenFile opens name with the flags of [os.OpenFile]. With
	// O_CREATE|O_EXCL it fails with an fs.ErrExist error when name exists,
	// even as a dangling symbolic link. perm is used, subject to the
	// process umask, only when the file is created.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)

	// Lstat describes name without following a final symbolic link.
	Lstat(name string) (fs.FileInfo, error)

	// ReadDir lists the directory name, sorted by file name. The entries'
	// types describe the entries themselves, not what links point to.
	ReadDir(name string) ([]fs.DirEntry, error)

	// Mkdir creates the directory name with mode perm (before umask). It
	// fails with an fs.ErrExist error when name exists.
	Mkdir(name string, perm fs.FileMode) error

	// Remove removes the file, symbolic link or empty directory name.
	Remove(name string) error

	// Rename renames oldname to newname as one atomic step, as described
	// by how. Both names are in the same filesystem and, in this package's
	// use, in the same directory. An implementation that cannot perform
	// RenameNoReplace or RenameExchange atomically returns an error
	// matching [ErrUnsupported] and changes nothing; it must never emulate
	// them with several steps, which this package does itself, knowing
	// what a crash in between leaves.
	Rename(oldname, newname string, how RenameMode) error

	// Sync makes name durable: for a file its data and metadata, for a
	// directory its entries (names created, removed and renamed in it), as
	// fsync(2) does. It returns only after the storage device reported the
	// write complete, or an error.
	Sync(name string) error

	// Lock takes an exclusive lock on the file name, creating it if
	// needed, without waiting: when another holder has it, Lock returns an
	// error matching [ErrLocked]. Closing the returned Closer releases the
	// lock. Locks are held per call, not per process: a second Lock of the
	// same name in the same process fails too.
	Lock(name string) (io.Closer, error)
}

// File is an open file of an [FS].
type File interface {
	io.Reader
	io.Writer
	// Sync makes the file's data and metadata durable, as fsync(2) does.
	Sync() error
	// Chmod sets the file's mode (permission bits and setuid, setgid and
	// sticky bits), regardless of the umask.
	Chmod(mode fs.FileMode) error
	// Close closes the file. A Close error after writes means the writes
	// may not have reached the file.
	Close() error
}

// RenameMode says what [FS.Rename] does when the new name exists.
type RenameMode int

const (
	// RenameReplace replaces a file or symbolic link at the new name, as
	// rename(2) does. It is the zero value.
	RenameReplace RenameMode = iota
	// RenameNoReplace fails with an fs.ErrExist error when the new name
	// exists (Linux renameat2 RENAME_NOREPLACE, macOS renamex_np
	// RENAME_EXCL, Windows MoveFileEx without MOVEFILE_REPLACE_EXISTING).
	RenameNoReplace
	// RenameExchange swaps the two names, which must both exist, in one
	// atomic step (Linux renameat2 RENAME_EXCHANGE, macOS renamex_np
	// RENAME_SWAP). Windows has no equivalent.
	RenameExchange
)

// String returns "replace", "noreplace" or "exchange".
func (m RenameMode) String() string {
	switch m {
	case RenameReplace:
		return "replace"
	case RenameNoReplace:
		return "noreplace"
	case RenameExchange:
		return "exchange"
	default:
		return "RenameMode(" + strconv.Itoa(int(m)) + ")"
	}
}

// OS returns the operating system's filesystem. Names are paths as package
// os interprets them, relative to the working directory unless absolute;
// nothing confines them.
func OS() FS { return osFS{} }

var (
	_ FS   = osFS{}
	_ FS   = (*rootFS)(nil)
	_ FS   = subFS{}
	_ File = (*os.File)(nil)
)
