package fileopstest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// Run checks that fsys keeps the promises of [fileops.FS] that the
// package's crash safety rests on, in the way of testing/fstest.TestFS.
// dir must be an existing, empty directory of fsys; Run works below it in
// one subdirectory per subtest, one subtest per rule of the table rules
// in this file. Implementations that cannot rename with
// RenameNoReplace or RenameExchange pass as long as they say so with
// fileops.ErrUnsupported.
func Run(t *testing.T, fsys fileops.FS, dir string) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
			must(t, fsys.Mkdir(d, 0o755))
			r.check(t, fsys, d)
		})
	}
}

// A rule is one promise of fileops.FS: the subtest's name, the promise in
// one sentence, and the check that fails when it is broken. The check
// works in d, an empty directory of its own.
type rule struct {
	name  string
	about string
	check func(t *testing.T, fsys fileops.FS, d string)
}

// rules is the contract Run checks, one subtest per row; a new promise is
// a new row.
var rules = []rule{
	{"OpenFile",
		"OpenFile reports a missing file as fs.ErrNotExist, refuses O_CREATE|O_EXCL on an existing one with fs.ErrExist, and O_TRUNC rewrites.",
		checkOpenFile},
	{"Lstat",
		"Lstat reports a missing name as fs.ErrNotExist and gives a file's name, mode and size and a directory's mode.",
		checkLstat},
	{"MkdirReadDir",
		"Mkdir refuses an existing directory with fs.ErrExist, and ReadDir lists entries sorted by name with their types.",
		checkMkdirReadDir},
	{"Remove",
		"Remove refuses a non-empty directory, removes files and empty directories, and reports a missing name as fs.ErrNotExist.",
		checkRemove},
	{"RenameReplace",
		"RenameReplace replaces the target and the old name is gone.",
		checkRenameReplace},
	{"RenameNoReplace",
		"RenameNoReplace refuses an existing target with fs.ErrExist, leaving it alone, and renames onto a free name (or says fileops.ErrUnsupported).",
		checkRenameNoReplace},
	{"RenameExchange",
		"RenameExchange swaps a file and a directory and fails when a name is missing (or says fileops.ErrUnsupported).",
		checkRenameExchange},
	{"Sync",
		"Sync succeeds on a file and a directory by name, and File.Sync on an open file.",
		checkSync},
	{"Chmod",
		"File.Chmod sets the permission bits Lstat then reports (not on Windows).",
		checkChmod},
	{"Lock",
		"A second Lock of a locked name fails with fileops.ErrLocked, and the lock is free again once closed (or says fileops.ErrUnsupported).",
		checkLock},
}

func checkOpenFile(t *testing.T, fsys fileops.FS, d string) {
	name := filepath.Join(d, "f")
	_, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	wantIs(t, err, fs.ErrNotExist, "OpenFile of a missing file")
	writeFile(t, fsys, name, []byte("hello"))
	_, err = fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	wantIs(t, err, fs.ErrExist, "OpenFile with O_CREATE|O_EXCL of an existing file")
	if got := readFile(t, fsys, name); string(got) != "hello" {
		t.Fatalf("read back %q, want %q", got, "hello")
	}
	writeFile(t, fsys, name, []byte("bye"))
	if got := readFile(t, fsys, name); string(got) != "bye" {
		t.Fatalf("after O_TRUNC rewrite read back %q, want %q", got, "bye")
	}
}

func checkLstat(t *testing.T, fsys fileops.FS, d string) {
	_, err := fsys.Lstat(filepath.Join(d, "missing"))
	wantIs(t, err, fs.ErrNotExist, "Lstat of a missing name")
	writeFile(t, fsys, filepath.Join(d, "f"), []byte("12345"))
	info, err := fsys.Lstat(filepath.Join(d, "f"))
	must(t, err)
	if !info.Mode().IsRegular() || info.Size() != 5 || info.Name() != "f" {
		t.Fatalf("Lstat of a 5-byte file: name %q mode %v size %d", info.Name(), info.Mode(), info.Size())
	}
	info, err = fsys.Lstat(d)
	must(t, err)
	if !info.IsDir() {
		t.Fatalf("Lstat of a directory: mode %v", info.Mode())
	}
}

func checkMkdirReadDir(t *testing.T, fsys fileops.FS, d string) {
	wantIs(t, fsys.Mkdir(d, 0o755), fs.ErrExist, "Mkdir of an existing directory")
	for _, n := range []string{"c", "a", "b"} {
		writeFile(t, fsys, filepath.Join(d, n), nil)
	}
	must(t, fsys.Mkdir(filepath.Join(d, "d"), 0o755))
	entries, err := fsys.ReadDir(d)
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "a,b,c,d" {
		t.Fatalf("ReadDir names %v, want sorted [a b c d]", names)
	}
	if !entries[3].IsDir() || !entries[0].Type().IsRegular() {
		t.Fatalf("ReadDir types: %v %v", entries[0].Type(), entries[3].Type())
	}
}

func checkRemove(t *testing.T, fsys fileops.FS, d string) {
	inner := filepath.Join(d, "inner")
	must(t, fsys.Mkdir(inner, 0o755))
	writeFile(t, fsys, filepath.Join(inner, "f"), nil)
	if err := fsys.Remove(inner); err == nil {
		t.Fatal("Remove of a non-empty directory succeeded")
	}
	must(t, fsys.Remove(filepath.Join(inner, "f")))
	must(t, fsys.Remove(inner))
	wantIs(t, fsys.Remove(inner), fs.ErrNotExist, "Remove of a missing name")
}

func checkRenameReplace(t *testing.T, fsys fileops.FS, d string) {
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	writeFile(t, fsys, a, []byte("new"))
	writeFile(t, fsys, b, []byte("old"))
	must(t, fsys.Rename(a, b, fileops.RenameReplace))
	if got := readFile(t, fsys, b); string(got) != "new" {
		t.Fatalf("after replace read %q, want %q", got, "new")
	}
	_, err := fsys.Lstat(a)
	wantIs(t, err, fs.ErrNotExist, "Lstat of the renamed name")
}

func checkRenameNoReplace(t *testing.T, fsys fileops.FS, d string) {
	a, b, c := filepath.Join(d, "a"), filepath.Join(d, "b"), filepath.Join(d, "c")
	writeFile(t, fsys, a, []byte("a"))
	writeFile(t, fsys, b, []byte("b"))
	err := fsys.Rename(a, b, fileops.RenameNoReplace)
	if errors.Is(err, fileops.ErrUnsupported) {
		t.Skip("RenameNoReplace unsupported")
	}
	wantIs(t, err, fs.ErrExist, "RenameNoReplace onto an existing name")
	if got := readFile(t, fsys, b); string(got) != "b" {
		t.Fatalf("a failed RenameNoReplace changed the target: %q", got)
	}
	must(t, fsys.Rename(a, c, fileops.RenameNoReplace))
	if got := readFile(t, fsys, c); string(got) != "a" {
		t.Fatalf("after RenameNoReplace read %q, want %q", got, "a")
	}
}

func checkRenameExchange(t *testing.T, fsys fileops.FS, d string) {
	a, b := filepath.Join(d, "a"), filepath.Join(d, "b")
	writeFile(t, fsys, a, []byte("a"))
	must(t, fsys.Mkdir(b, 0o755))
	err := fsys.Rename(a, b, fileops.RenameExchange)
	if errors.Is(err, fileops.ErrUnsupported) {
		t.Skip("RenameExchange unsupported")
	}
	must(t, err)
	if got := readFile(t, fsys, b); string(got) != "a" {
		t.Fatalf("after exchange b holds %q, want %q", got, "a")
	}
	info, err := fsys.Lstat(a)
	must(t, err)
	if !info.IsDir() {
		t.Fatalf("after exchange a is %v, want a directory", info.Mode())
	}
	if err := fsys.Rename(b, filepath.Join(d, "missing"), fileops.RenameExchange); err == nil {
		t.Fatal("RenameExchange with a missing name succeeded")
	}
}

func checkSync(t *testing.T, fsys fileops.FS, d string) {
	name := filepath.Join(d, "f")
	writeFile(t, fsys, name, []byte("x"))
	must(t, fsys.Sync(name))
	must(t, fsys.Sync(d))
	f, err := fsys.OpenFile(name, os.O_WRONLY, 0)
	must(t, err)
	_, err = f.Write([]byte("y"))
	must(t, err)
	must(t, f.Sync())
	must(t, f.Close())
}

func checkChmod(t *testing.T, fsys fileops.FS, d string) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no permission bits")
	}
	f, err := fsys.OpenFile(filepath.Join(d, "f"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	must(t, err)
	must(t, f.Chmod(0o640))
	must(t, f.Close())
	info, err := fsys.Lstat(filepath.Join(d, "f"))
	must(t, err)
	if info.Mode().Perm() != 0o640 {
		t.Fatalf("after Chmod(0640) mode is %v", info.Mode())
	}
}

func checkLock(t *testing.T, fsys fileops.FS, d string) {
	name := filepath.Join(d, fileops.LockFileName)
	l, err := fsys.Lock(name)
	if errors.Is(err, fileops.ErrUnsupported) {
		t.Skip("locks unsupported")
	}
	must(t, err)
	_, err = fsys.Lock(name)
	wantIs(t, err, fileops.ErrLocked, "a second Lock")
	must(t, l.Close())
	l, err = fsys.Lock(name)
	must(t, err)
	must(t, l.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, target)
	}
}

func writeFile(t *testing.T, fsys fileops.FS, name string, data []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	must(t, err)
	_, err = f.Write(data)
	must(t, err)
	must(t, f.Close())
}

func readFile(t *testing.T, fsys fileops.FS, name string) []byte {
	t.Helper()
	b, err := ReadFile(fsys, name)
	must(t, err)
	return b
}

// ReadFile reads the whole file name of fsys.
func ReadFile(fsys fileops.FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return buf.Bytes(), err
}

// Snapshot returns the tree below dir of fsys as a map from slash-separated
// relative paths to contents: a regular file maps to its content, a
// directory to "/" under its path with a trailing slash ("sub/" -> "/"),
// anything else to its type (a symbolic link to "symlink"). The lock file
// (fileops.LockFileName) is left out. Comparing snapshots is how tests
// check that a directory holds exactly the old or the new content and no
// temporary names.
func Snapshot(fsys fileops.FS, dir string) (map[string]string, error) {
	out := make(map[string]string)
	err := snapshot(fsys, dir, "", out)
	return out, err
}

func snapshot(fsys fileops.FS, dir, rel string, out map[string]string) error {
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == fileops.LockFileName {
			continue
		}
		path := rel + e.Name()
		full := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			out[path+"/"] = "/"
			if err := snapshot(fsys, full, path+"/", out); err != nil {
				return err
			}
		case e.Type().IsRegular():
			b, err := ReadFile(fsys, full)
			if err != nil {
				return err
			}
			out[path] = string(b)
		case e.Type()&fs.ModeSymlink != 0:
			out[path] = "symlink"
		default:
			out[path] = e.Type().String()
		}
	}
	return nil
}
