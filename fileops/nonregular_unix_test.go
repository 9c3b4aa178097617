//go:build unix

package fileops_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// mkfifo creates a named pipe at path.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, unix.Mkfifo(path, 0o644))
}

// returnsPromptly runs op and fails the test if it has not returned after
// a while (generous, for a loaded machine: the operations checked here
// return at once or never). A blocked op is then released by opening the
// FIFO at fifo for writing, so that the test ends instead of hanging.
func returnsPromptly(t *testing.T, fifo string, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
	}
	t.Errorf("still blocked after 30s on %s", fifo)
	for {
		// The reader is waiting in open(2): a non-blocking writer open
		// succeeds and wakes it.
		w, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0)
		if err == nil {
			w.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return <-done
}

// TestReadFileRefusesNonRegular checks that Dir.ReadFile refuses a FIFO, a
// symbolic link to one, a socket and a directory, before opening them and
// without waiting, whatever its context.
func TestReadFileRefusesNonRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mkfifo(t, filepath.Join(dir, "pipe"))
	require.NoError(t, os.Symlink("pipe", filepath.Join(dir, "link")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(sock)
	sockPath := filepath.Join(dir, "sock")
	if len(sockPath) < 100 { // sun_path is short
		require.NoError(t, unix.Bind(sock, &unix.SockaddrUnix{Name: sockPath}))
	}
	d := open(t, dir, nil)
	ctx, cancel := context.WithTimeout(ctx(t), time.Hour) // a deadline that never helps
	defer cancel()
	for _, name := range []string{"pipe", "link", "sub", "sock"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			continue
		}
		err := returnsPromptly(t, filepath.Join(dir, "pipe"), func() error {
			_, err := d.ReadFile(ctx, name)
			return err
		})
		requireOpError(t, err, "readfile", "open", fileops.ErrNotRegular)
		require.ErrorContains(t, err, name, "the error names the file")
	}
}

// TestOpenRefusesNonRegular checks the other opens that could wait on a
// FIFO: a FIFO given as the directory to Open, Lock or Recover, and a FIFO
// in place of the lock file.
func TestOpenRefusesNonRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	mkfifo(t, fifo)

	err := returnsPromptly(t, fifo, func() error {
		d, err := fileops.Open(fifo, fileops.DefaultOptions())
		if err == nil {
			d.Close()
		}
		return err
	})
	requireOpError(t, err, "open", "open", fileops.ErrNotDir)

	err = returnsPromptly(t, fifo, func() error {
		_, err := fileops.Recover(fifo)
		return err
	})
	require.Error(t, err)

	err = returnsPromptly(t, fifo, func() error {
		l, err := fileops.Lock(fifo)
		if err == nil {
			l.Unlock()
		}
		return err
	})
	require.Error(t, err)

	locked := filepath.Join(dir, "locked")
	require.NoError(t, os.Mkdir(locked, 0o755))
	mkfifo(t, filepath.Join(locked, fileops.LockFileName))
	err = returnsPromptly(t, filepath.Join(locked, fileops.LockFileName), func() error {
		d, err := fileops.Open(locked, fileops.DefaultOptions())
		if err == nil {
			d.Close()
		}
		return err
	})
	requireOpError(t, err, "open", "lock", fileops.ErrNotRegular)
	err = returnsPromptly(t, filepath.Join(locked, fileops.LockFileName), func() error {
		l, err := fileops.Lock(locked)
		if err == nil {
			l.Unlock()
		}
		return err
	})
	require.ErrorIs(t, err, fileops.ErrNotRegular)
	require.False(t, errors.Is(err, fs.ErrNotExist))
}
