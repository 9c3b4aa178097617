package fileops_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// Replace a configuration file so that a crash at any moment leaves either
// the old or the new configuration, never a torn one.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.json")

	if err := fileops.WriteFile(path, []byte(`{"workers": 4}`), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	if err := fileops.WriteFile(path, []byte(`{"workers": 8}`), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	fmt.Println(string(data), len(entries))
	// Output: {"workers": 8} 1
}

// Build a directory under a temporary name, then publish it whole; later
// replace it whole. Nothing is visible under the final name until it is
// complete and on disk.
func ExampleDir_CreateDir() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	d, err := fileops.Open(dir, fileops.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	ctx := context.Background()

	build := func(version string) func(ctx context.Context, tmp string) error {
		return func(ctx context.Context, tmp string) error {
			// Any API will do: CreateDir fsyncs the tree before publishing it.
			for _, name := range []string{"index", "chunks", "meta.json"} {
				if err := os.WriteFile(filepath.Join(tmp, name), []byte(version), 0o644); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := d.CreateDir(ctx, "block-0001", build("v1")); err != nil {
		fmt.Println(err)
		return
	}
	if err := d.ReplaceDir(ctx, "block-0001", build("v2")); err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "block-0001"))
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, "block-0001", e.Name()))
		fmt.Println(e.Name(), string(data))
	}
	// Output:
	// chunks v2
	// index v2
	// meta.json v2
}

// At startup, Open locks the data directory, cleans up after operations
// that a crash interrupted, and logs what it did.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// What a crash in the middle of a WriteFile and of a CreateDir leaves.
	_ = os.WriteFile(filepath.Join(dir, ".state.json.tmp-for-write-00000000000000aa"), []byte("{"), 0o644)
	_ = os.MkdirAll(filepath.Join(dir, "block-0002.tmp-for-creation"), 0o755)

	opts := fileops.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "dir" { // vary from run to run
				return slog.Attr{}
			}
			return a
		},
	}))
	d, err := fileops.Open(dir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	for _, a := range d.Recovered().Actions {
		fmt.Println(a)
	}
	// Output:
	// level=INFO msg="fileops: recovered" path=.state.json.tmp-for-write-00000000000000aa kind=tmp-for-write did=removed
	// level=INFO msg="fileops: recovered" path=block-0002.tmp-for-creation kind=tmp-for-creation did=removed
	// removed .state.json.tmp-for-write-00000000000000aa (tmp-for-write)
	// removed block-0002.tmp-for-creation (tmp-for-creation)
}

// Open a data directory that may not exist yet: without CreateMissing the
// error says what to do; with it, Open creates the directory and its
// parents durably.
func ExampleOpen_createMissing() {
	base, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(base)
	dataDir := filepath.Join(base, "var", "lib", "app")

	_, err = fileops.Open(dataDir, fileops.DefaultOptions())
	fmt.Println(errors.Is(err, fs.ErrNotExist), strings.ReplaceAll(err.Error(), base, "$BASE"))

	opts := fileops.DefaultOptions()
	opts.CreateMissing = true
	d, err := fileops.Open(dataDir, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	fmt.Println(d.WriteFile(context.Background(), "state.json", []byte("{}"), 0o644))
	// Output:
	// true fileops: open $BASE/var/lib/app: directory does not exist; create it first, or set Options.CreateMissing
	// <nil>
}

// Stream content into a file that replaces its destination only once it
// is complete, keeping the destination's permissions.
func ExampleNewPendingFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.csv")

	opts := fileops.DefaultFileOptions()
	opts.Perm = fileops.PermExisting
	p, err := fileops.NewPendingFile(path, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Cleanup() // removes the temporary file unless it replaced path
	for i := range 3 {
		fmt.Fprintf(p, "row %d\n", i)
	}
	if err := p.CloseAtomicallyReplace(); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Print(string(data))
	// Output:
	// row 0
	// row 1
	// row 2
}

// Replace many files in one directory and pay one directory fsync for all
// of them.
func ExampleNewBatch() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	b, err := fileops.NewBatch(dir, fileops.DefaultFileOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, shard := range []string{"shard-0", "shard-1", "shard-2"} {
		// Each file is replaced atomically as this returns.
		if err := b.WriteFile(shard, []byte("state of "+shard), 0o644); err != nil {
			fmt.Println(err)
			return
		}
	}
	// All three are durable once Commit returns.
	if err := b.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	entries, _ := os.ReadDir(dir)
	fmt.Println(len(entries), "files")
	// Output: 3 files
}

// Skip temporary names when listing a directory that this package writes
// to, as Prometheus skips block directories with a tmp suffix.
func ExampleParseTempName() {
	for _, name := range []string{"01HX", "01HX.tmp-for-creation", ".meta.json.tmp-for-write-0123456789abcdef", "notes.tmp"} {
		if base, kind, ok := fileops.ParseTempName(name); ok {
			fmt.Printf("%s: temporary (%s of %s)\n", name, kind, base)
			continue
		}
		fmt.Printf("%s: a block\n", name)
	}
	// Output:
	// 01HX: a block
	// 01HX.tmp-for-creation: temporary (tmp-for-creation of 01HX)
	// .meta.json.tmp-for-write-0123456789abcdef: temporary (tmp-for-write of meta.json)
	// notes.tmp: a block
}
