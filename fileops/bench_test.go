package fileops_test

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// BenchmarkWriteFile measures the durable replace of a 4 KiB file, whose
// cost is almost all its two fsyncs. Side-by-side comparisons with a
// hand-written floor and with peer libraries live in the benchmarks module.
func BenchmarkWriteFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "f")
	data := make([]byte, 4096)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := fileops.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch measures replacing 8 files of 4 KiB with one directory
// fsync (9 fsyncs instead of 16).
func BenchmarkBatch(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 4096)
	names := make([]string, 8)
	for i := range names {
		names[i] = "f" + strconv.Itoa(i)
	}
	b.SetBytes(int64(len(data) * len(names)))
	for b.Loop() {
		batch, err := fileops.NewBatch(dir, fileops.DefaultFileOptions())
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
}

// BenchmarkParseTempName measures the check Recover makes of every
// directory entry.
func BenchmarkParseTempName(b *testing.B) {
	names := []string{"01HXYZABCDEF", "01HXYZABCDEF.tmp-for-creation", ".meta.json.tmp-for-write-0123456789abcdef"}
	for b.Loop() {
		for _, n := range names {
			fileops.ParseTempName(n)
		}
	}
}
