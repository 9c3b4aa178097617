//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package fileops

import (
	"io"
	"io/fs"
	"os"
)

// lockFile reports ErrUnsupported: this platform has neither flock nor
// LockFileEx.
func lockFile(f *os.File) (io.Closer, error) {
	f.Close()
	return nil, &fs.PathError{Op: "lock", Path: f.Name(), Err: ErrUnsupported}
}
