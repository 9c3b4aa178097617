//go:build darwin

package fileops

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

func renameFlags(how RenameMode) uint32 {
	if how == RenameExchange {
		return unix.RENAME_SWAP
	}
	return unix.RENAME_EXCL
}

// renameErrno classifies a renamex_np failure: filesystems without swap or
// exclusive renames (HFS+ for some, network filesystems) answer ENOTSUP.
func renameErrno(err error) error {
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return &unsupportedError{err: err}
	}
	return err
}

func renameOS(oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return os.Rename(oldname, newname)
	}
	if err := unix.RenamexNp(oldname, newname, renameFlags(how)); err != nil {
		return renameError(oldname, newname, how, renameErrno(err))
	}
	return nil
}

// renameInRoot renames inside r: parents are opened through r, and the
// last elements renamed relative to them, which never follows a link.
func renameInRoot(r *os.Root, _ string, oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return r.Rename(oldname, newname)
	}
	od, err := r.Open(filepath.Dir(oldname))
	if err != nil {
		return renameError(oldname, newname, how, err)
	}
	defer od.Close()
	nd := od
	if filepath.Dir(newname) != filepath.Dir(oldname) {
		if nd, err = r.Open(filepath.Dir(newname)); err != nil {
			return renameError(oldname, newname, how, err)
		}
		defer nd.Close()
	}
	err = unix.RenameatxNp(int(od.Fd()), filepath.Base(oldname), int(nd.Fd()), filepath.Base(newname), renameFlags(how))
	if err != nil {
		return renameError(oldname, newname, how, renameErrno(err))
	}
	return nil
}
