//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fileops

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes flock(LOCK_EX|LOCK_NB) on f. flock locks belong to the
// open file description, so a second open of the same file conflicts even
// within one process, and the kernel releases the lock when the process
// dies, however it dies.
func lockFile(f *os.File) (io.Closer, error) {
	var err error
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err == nil {
		return f, nil
	}
	f.Close()
	if errors.Is(err, unix.EWOULDBLOCK) {
		return nil, &lockedError{path: f.Name()}
	}
	return nil, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
}
