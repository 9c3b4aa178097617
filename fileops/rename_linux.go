//go:build linux

package fileops

import (
	"errors"

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

// renameat renames relative to two directory descriptors (unix.AT_FDCWD
// for the working directory) with the flags how asks for.
func renameat(olddirfd int, oldname string, newdirfd int, newname string, how RenameMode) error {
	return unix.Renameat2(olddirfd, oldname, newdirfd, newname, renameFlags(how))
}
