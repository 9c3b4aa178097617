//go:build !linux && !darwin && !windows

package fileops

import (
	"errors"
	"os"
)

// Other platforms rename with rename(2) only: no flags, so RenameNoReplace
// and RenameExchange are unsupported and the package falls back to its
// checked, non-atomic forms.

func renameOS(oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return os.Rename(oldname, newname)
	}
	return renameError(oldname, newname, how, &unsupportedError{err: errors.ErrUnsupported})
}

func renameInRoot(r *os.Root, _ string, oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return r.Rename(oldname, newname)
	}
	return renameError(oldname, newname, how, &unsupportedError{err: errors.ErrUnsupported})
}
