//go:build windows

package fileops

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes an exclusive LockFileEx lock on the first byte of f,
// failing at once when it is held. Windows releases it when the handle is
// closed or the process exits.
func lockFile(f *os.File) (io.Closer, error) {
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, new(windows.Overlapped))
	if err == nil {
		return f, nil
	}
	f.Close()
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
		return nil, &lockedError{path: f.Name()}
	}
	return nil, &fs.PathError{Op: "LockFileEx", Path: f.Name(), Err: err}
}
