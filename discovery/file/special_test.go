//go:build unix

package file_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Anything matching a pattern that is not a regular file, after following
// links, is skipped and reported without being opened: opening a FIFO
// blocks until a writer comes, which would hang the discoverer.
func TestNonRegularFilesAreSkippedUnopened(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "good.json"), `[{"targets": ["a:1"]}]`)
	fifo := filepath.Join(dir, "fifo.json")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	require.NoError(t, os.Symlink(fifo, filepath.Join(dir, "link-to-fifo.json")))
	require.NoError(t, os.Symlink(os.DevNull, filepath.Join(dir, "device.json")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.json"), 0o755))

	// If the discoverer opens a FIFO, it blocks until a writer comes: be
	// that writer at the end, until the discoverer returned, so that a
	// failing test does not hang.
	returned := make(chan struct{})
	t.Cleanup(func() { close(returned) }) // runs after start's cleanup
	r := start(t, config(filepath.Join(dir, "*.json")))
	t.Cleanup(func() {
		go func() {
			for {
				select {
				case <-returned:
					return
				case <-time.After(time.Millisecond):
				}
				for _, p := range []string{fifo, filepath.Join(dir, "link-to-fifo.json")} {
					if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
						f.Close()
					}
				}
			}
		}()
	})
	require.Equal(t, "good.json:0: a:1", addrs(r.next(t), dir))
	errs := r.waitErrors(t, 4)
	for _, name := range []string{"fifo.json", "link-to-fifo.json", "device.json", "dir.json"} {
		require.Contains(t, errs, filepath.Join(dir, name)+": not a regular file", name)
	}
	require.Contains(t, errs, "named pipe")
	require.Contains(t, errs, "directory")
	require.Contains(t, errs, "device")
}
