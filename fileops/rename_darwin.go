//go:build darwin

package fileops

import (
	"errors"

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

// renameat renames relative to two directory descriptors (unix.AT_FDCWD
// for the working directory) with the flags how asks for.
func renameat(olddirfd int, oldname string, newdirfd int, newname string, how RenameMode) error {
	return unix.RenameatxNp(olddirfd, oldname, newdirfd, newname, renameFlags(how))
}
