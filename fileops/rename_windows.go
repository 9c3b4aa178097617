//go:build windows

package fileops

import (
	"errors"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows"
)

// renameRetries bounds the retries of a rename that failed because another
// program (a virus scanner, an indexer) briefly held one of the files open:
// about 130 ms in all before the error is returned.
const renameRetries = 7

// renameOS renames with MoveFileEx and MOVEFILE_WRITE_THROUGH, which
// returns only once the rename has been flushed to disk. Windows has no
// atomic exchange.
func renameOS(oldname, newname string, how RenameMode) error {
	var flags uint32 = windows.MOVEFILE_WRITE_THROUGH
	switch how {
	case RenameReplace:
		flags |= windows.MOVEFILE_REPLACE_EXISTING
	case RenameNoReplace:
	default:
		return renameError(oldname, newname, how, &unsupportedError{err: windows.ERROR_NOT_SUPPORTED})
	}
	from, err := windows.UTF16PtrFromString(oldname)
	if err != nil {
		return renameError(oldname, newname, how, err)
	}
	to, err := windows.UTF16PtrFromString(newname)
	if err != nil {
		return renameError(oldname, newname, how, err)
	}
	for attempt := 0; ; attempt++ {
		err = windows.MoveFileEx(from, to, flags)
		if err == nil {
			return nil
		}
		transient := errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
			errors.Is(err, windows.ERROR_LOCK_VIOLATION)
		if !transient || attempt == renameRetries {
			return renameError(oldname, newname, how, err)
		}
		time.Sleep(time.Millisecond << attempt)
	}
}

// renameInRoot renames by full path: os.Root offers no MoveFileEx, so on
// Windows a Dir's renames are confined by the lexical checks of its names
// only, not against symbolic links planted inside it.
func renameInRoot(_ *os.Root, rootPath, oldname, newname string, how RenameMode) error {
	return renameOS(filepath.Join(rootPath, oldname), filepath.Join(rootPath, newname), how)
}
