//go:build !windows

package fileops

import "os"

// syncPath fsyncs a file or directory through a read-only descriptor,
// which POSIX systems accept for both. On darwin, File.Sync issues
// F_FULLFSYNC, which also flushes the drive's cache.
func syncPath(name string) error {
	f, err := os.OpenFile(name, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return err
	}
	return syncClose(f)
}

func syncInRoot(r *os.Root, _ string, name string) error {
	f, err := r.OpenFile(name, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return err
	}
	return syncClose(f)
}

func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
