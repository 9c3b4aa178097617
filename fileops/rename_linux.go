//go:build linux

package fileops

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

func renameFlags(how RenameMode) uint {
	if how == RenameExchange {
		return unix.RENAME_EXCHANGE
	}
	return unix.RENAME_NOREPLACE
}

// renameErrno classifies a renameat2 failure: EINVAL and ENOSYS are what
// kernels and filesystems without the flags return (this package never
// renames a directory into itself, the other cause of EINVAL).
func renameErrno(err error) error {
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return &unsupportedError{err: err}
	}
	return err
}

func renameOS(oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return os.Rename(oldname, newname)
	}
	err := unix.Renameat2(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, renameFlags(how))
	if err != nil {
		return renameError(oldname, newname, how, renameErrno(err))
	}
	return nil
}

// renameInRoot renames inside r. With flags it opens both parents through
// r, which resolves them without leaving the root, and renames the last
// elements relative to them, which never follows a link.
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
	err = unix.Renameat2(int(od.Fd()), filepath.Base(oldname), int(nd.Fd()), filepath.Base(newname), renameFlags(how))
	if err != nil {
		return renameError(oldname, newname, how, renameErrno(err))
	}
	return nil
}
