//go:build linux || darwin

package fileops

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

func renameOS(oldname, newname string, how RenameMode) error {
	if how == RenameReplace {
		return os.Rename(oldname, newname)
	}
	if err := renameat(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, how); err != nil {
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
	err = renameat(int(od.Fd()), filepath.Base(oldname), int(nd.Fd()), filepath.Base(newname), how)
	if err != nil {
		return renameError(oldname, newname, how, renameErrno(err))
	}
	return nil
}
