//go:build unix

package file_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	for name, kind := range map[string]string{"fifo.json": "a named pipe", "link-to-fifo.json": "a named pipe", "device.json": "a device", "dir.json": "a directory"} {
		r.waitError(t, filepath.Join(dir, name)+": not a regular file ("+kind+")")
	}
}

// A target file whose groups alias one list of targets is refused before
// it expands, and a file with more targets than max_targets is refused;
// either keeps the file's last good groups.
func TestTargetFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	write(t, big, "- targets: [a:1]\n")
	many := filepath.Join(dir, "many.json")
	write(t, many, `[{"targets": ["m:1"]}]`)
	cfg := config(filepath.Join(dir, "*.yaml"), filepath.Join(dir, "*.json"))
	cfg.MaxTargets = 3
	r := start(t, cfg)
	require.Equal(t, "big.yaml:0: a:1\nmany.json:0: m:1", addrs(r.next(t), dir))

	var b strings.Builder
	b.WriteString("- targets: &t [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("h" + strconv.Itoa(i) + ":1")
	}
	b.WriteString("]\n")
	for range 300 {
		b.WriteString("- targets: *t\n")
	}
	write(t, big, b.String())
	r.waitError(t, big+": line 1: excessive aliasing")
	write(t, many, `[{"targets": ["m:1", "m:2"]}, {"targets": ["m:3", "m:4"]}]`)
	r.waitError(t, many+": 4 targets, more than max_targets (3)")
	write(t, many, `[{"targets": ["m:2"]}]`)
	require.Equal(t, "many.json:0: m:2", addrs(r.next(t), dir), "the last good groups were kept until now")
}
