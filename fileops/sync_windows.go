//go:build windows

package fileops

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// syncPath flushes a file or directory with FlushFileBuffers, which needs
// a handle with write access; directories are opened with
// FILE_FLAG_BACKUP_SEMANTICS. It is best effort: where Windows refuses
// such a handle (a read-only file, a filesystem that does not flush
// directories), it returns nil, because NTFS journals its metadata and
// renames are written through.
func syncPath(name string) error {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		if bestEffort(err) {
			return nil
		}
		return &os.PathError{Op: "sync", Path: name, Err: err}
	}
	defer windows.CloseHandle(h)
	if err := windows.FlushFileBuffers(h); err != nil && !bestEffort(err) {
		return &os.PathError{Op: "sync", Path: name, Err: err}
	}
	return nil
}

func bestEffort(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_INVALID_FUNCTION)
}

func syncInRoot(_ *os.Root, rootPath, name string) error {
	return syncPath(filepath.Join(rootPath, name))
}
