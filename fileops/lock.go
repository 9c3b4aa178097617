package fileops

import (
	"io"
	"os"
	"path/filepath"
	"sync"
)

// LockFileName is the name of the lock file that [Lock] and [Open] create
// in the directory they lock. The file is left in place when the lock is
// released: removing it would let a second process lock a new file while
// a third still holds the old one. No operation of this package accepts
// it as a destination, and [Recover] leaves it alone.
const LockFileName = ".fileops.lock"

// DirLock is an exclusive lock on a directory, held until Unlock.
type DirLock struct {
	path string
	mu   sync.Mutex
	c    io.Closer
}

// Lock takes the exclusive lock of dir, creating dir/.fileops.lock if
// needed, without waiting: it fails with [ErrLocked] when another process,
// or another Lock or [Open] in this process, holds it. On Unix it is a
// flock(2) lock and on Windows a LockFileEx lock; both are released by the
// operating system when the process dies, so a crash never leaves a stale
// lock. On other platforms it fails with [ErrUnsupported]. Locks on
// network filesystems are as reliable as the filesystem makes them.
//
// The lock is advisory: it keeps out only processes that take it too. A
// process that starts other programs shares its descriptors with each new
// child between fork and exec, so for that moment the child holds the lock
// too, and a Lock elsewhere right after Unlock can fail with ErrLocked;
// retry, or do not start programs while unlocking.
func Lock(dir string) (*DirLock, error) {
	if dir == "" {
		return nil, &OpError{Op: "lock", Stage: "validate", Err: errEmptyDir}
	}
	c, err := osFS{}.Lock(filepath.Join(dir, LockFileName))
	if notExist(err) {
		if _, lerr := os.Lstat(dir); notExist(lerr) {
			err = &missingDirError{hint: "create it first", err: err}
		}
	}
	if err != nil {
		return nil, &OpError{Op: "lock", Stage: "lock", Path: dir, Err: err}
	}
	return &DirLock{path: dir, c: c}, nil
}

// Unlock releases the lock. Calling it again does nothing and returns nil.
func (l *DirLock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil
	}
	err := l.c.Close()
	l.c = nil
	if err != nil {
		return &OpError{Op: "lock", Stage: "unlock", Path: l.path, Err: err}
	}
	return nil
}
