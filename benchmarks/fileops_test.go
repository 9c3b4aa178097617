package benchmarks

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/google/renameio/v2"
	natefinch "github.com/natefinch/atomic"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// The file benchmarks replace one file, again and again, in a fresh
// directory under the test's temporary directory (so on the filesystem of
// TMPDIR, which is what renameio probes as well). Every implementation's
// cost is dominated by fsync, which depends on the disk: compare the
// ratios, not the times, and note the filesystem (stat -f -c %T).
//
// What each implementation does per call:
//
//   - ecopatterns: fileops' durable replace (lstat, temp file with O_EXCL,
//     write, fsync, close, rename, fsync of the directory: 2 fsyncs),
//     through a Dir whose FS wraps the operating system's filesystem to
//     count fsyncs, reported as fsyncs/op; the wrapper forwards each call
//     and costs nanoseconds against the milliseconds of an fsync;
//   - floor: the same steps written by hand with package os, no checks;
//   - renameio: renameio.WriteFile with default options, which probes
//     TMPDIR on every call and does not fsync the directory (1 fsync);
//   - natefinch: natefinch/atomic.WriteFile, which stats the destination to
//     copy its mode and does not fsync the directory (1 fsync).
//
// The two peers are cheaper by construction when a directory fsync costs
// as much as a file's: they do not promise that the new content survives
// a power loss once they return.

// countingFS counts the fsyncs that go through it, by name and by file.
type countingFS struct {
	fileops.FS
	syncs atomic.Int64
}

func (c *countingFS) Sync(name string) error {
	c.syncs.Add(1)
	return c.FS.Sync(name)
}

func (c *countingFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, c: c}, nil
}

type countingFile struct {
	fileops.File
	c *countingFS
}

func (f countingFile) Sync() error {
	f.c.syncs.Add(1)
	return f.File.Sync()
}

// openCounted opens dir as a fileops.Dir whose fsyncs are counted.
func openCounted(tb testing.TB, dir string) (*fileops.Dir, *countingFS) {
	tb.Helper()
	c := &countingFS{FS: fileops.OS()}
	opts := fileops.DefaultOptions()
	opts.FS = c
	d, err := fileops.Open(dir, opts)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, d.Close()) })
	c.syncs.Store(0)
	return d, c
}

// floorWriteFile is the least code that replaces a file durably.
func floorWriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

func benchmarkFileopsWriteFile(b *testing.B, size int) {
	data := bytes.Repeat([]byte{'x'}, size)
	b.Run("ecopatterns", func(b *testing.B) {
		d, c := openCounted(b, b.TempDir())
		ctx := context.Background()
		b.SetBytes(int64(size))
		for b.Loop() {
			if err := d.WriteFile(ctx, "f", data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.syncs.Load())/float64(b.N), "fsyncs/op")
	})
	b.Run("floor", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "f")
		b.SetBytes(int64(size))
		for b.Loop() {
			if err := floorWriteFile(path, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("renameio", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "f")
		b.SetBytes(int64(size))
		for b.Loop() {
			if err := renameio.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("natefinch", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "f")
		b.SetBytes(int64(size))
		for b.Loop() {
			if err := natefinch.WriteFile(path, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFileopsWriteFile4K replaces a 4 KiB file.
func BenchmarkFileopsWriteFile4K(b *testing.B) { benchmarkFileopsWriteFile(b, 4<<10) }

// BenchmarkFileopsWriteFile1M replaces a 1 MiB file.
func BenchmarkFileopsWriteFile1M(b *testing.B) { benchmarkFileopsWriteFile(b, 1<<20) }

// fileopsBatchFiles is how many files BenchmarkFileopsBatch8x4K replaces
// per operation.
const fileopsBatchFiles = 8

// BenchmarkFileopsBatch8x4K replaces 8 files of 4 KiB in one directory and
// makes them durable together: N + 1 = 9 fsyncs, against 2N = 16 for eight
// WriteFile calls. The floor does the same by hand.
func BenchmarkFileopsBatch8x4K(b *testing.B) {
	data := bytes.Repeat([]byte{'x'}, 4<<10)
	names := make([]string, fileopsBatchFiles)
	for i := range names {
		names[i] = "f" + strconv.Itoa(i)
	}
	b.Run("ecopatterns", func(b *testing.B) {
		d, c := openCounted(b, b.TempDir())
		ctx := context.Background()
		b.SetBytes(int64(len(data) * len(names)))
		for b.Loop() {
			batch, err := d.NewBatch(ctx, ".", fileops.DefaultFileOptions())
			if err != nil {
				b.Fatal(err)
			}
			for _, n := range names {
				if err := batch.WriteFile(n, data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
			if err := batch.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(c.syncs.Load())/float64(b.N), "fsyncs/op")
	})
	b.Run("floor", func(b *testing.B) {
		dir := b.TempDir()
		b.SetBytes(int64(len(data) * len(names)))
		for b.Loop() {
			for _, n := range names {
				if err := floorReplaceNoDirSync(filepath.Join(dir, n), data); err != nil {
					b.Fatal(err)
				}
			}
			d, err := os.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			if err := d.Sync(); err != nil {
				b.Fatal(err)
			}
			d.Close()
		}
	})
}

// floorReplaceNoDirSync replaces a file atomically without syncing its
// directory: the per-file part of a batch.
func floorReplaceNoDirSync(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	for _, err := range []error{werr, serr, cerr} {
		if err != nil {
			os.Remove(f.Name())
			return err
		}
	}
	return os.Rename(f.Name(), path)
}

// TestFileopsFsyncsPerOp pins the fsync counts the benchmarks report:
// exactly 2 for WriteFile and N + 1 for a batch of N files.
func TestFileopsFsyncsPerOp(t *testing.T) {
	d, c := openCounted(t, t.TempDir())
	ctx := t.Context()
	require.NoError(t, d.WriteFile(ctx, "f", []byte("x"), 0o644))
	require.Equal(t, int64(2), c.syncs.Swap(0))
	for _, n := range []int{1, fileopsBatchFiles, 32} {
		batch, err := d.NewBatch(ctx, ".", fileops.DefaultFileOptions())
		require.NoError(t, err)
		for i := range n {
			require.NoError(t, batch.WriteFile("b"+strconv.Itoa(i), []byte("x"), 0o644))
		}
		require.NoError(t, batch.Commit())
		require.Equal(t, int64(n+1), c.syncs.Swap(0), "a batch of %d files", n)
	}
}
