package fileops_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

func requireOpError(t *testing.T, err error, op, stage string, is ...error) *fileops.OpError {
	t.Helper()
	var oe *fileops.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, op, oe.Op, "%v", err)
	require.Equal(t, stage, oe.Stage, "%v", err)
	for _, target := range is {
		require.ErrorIs(t, err, target)
	}
	return oe
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	require.NoError(t, fileops.WriteFile(path, []byte("v1"), 0o600))
	require.NoError(t, fileops.WriteFile(path, []byte("v2"), 0o600))
	require.Equal(t, tree{"config.json": "v2"}, snapshot(t, fileops.OS(), dir))
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o600), info.Mode().Perm())
	}
}

func TestWriteFileReplacesSymlinkNotTarget(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	require.NoError(t, os.WriteFile(target, []byte("target"), 0o644))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	require.NoError(t, fileops.WriteFile(link, []byte("new"), 0o644))
	require.Equal(t, tree{"link": "new", "target": "target"}, snapshot(t, fileops.OS(), dir))
}

func TestWriteFileBadDestinations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))

	err := fileops.WriteFile(filepath.Join(dir, "sub"), []byte("x"), 0o644)
	requireOpError(t, err, "writefile", "check destination", fileops.ErrIsDir)

	err = fileops.WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644)
	requireOpError(t, err, "writefile", "create temp", fs.ErrNotExist)

	for _, bad := range []string{"", dir + "/", "/", "..", dir + "/x.tmp-for-creation", filepath.Join(dir, fileops.LockFileName), "a\x00b"} {
		err = fileops.WriteFile(bad, []byte("x"), 0o644)
		requireOpError(t, err, "writefile", "validate", fileops.ErrInvalidName, fs.ErrInvalid)
	}
	require.Equal(t, tree{"sub/": "/"}, snapshot(t, fileops.OS(), dir), "nothing left behind")
}

func TestWriteFileReadOnlyDir(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a user whom directory permissions bind (TestFaultErrors injects EROFS instead)")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("old"), 0o644))
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	err := fileops.WriteFile(filepath.Join(dir, "f"), []byte("new"), 0o644)
	requireOpError(t, err, "writefile", "create temp", fs.ErrPermission)
	require.Equal(t, tree{"f": "old"}, snapshot(t, fileops.OS(), dir))
}

func TestDirRefusesNamesOutside(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	dir := t.TempDir()
	d := open(t, dir, nil)
	fill := func(context.Context, string) error { return nil }
	bad := []string{"", ".", "..", "../x", "a/../../x", filepath.Join(outside, "abs"), "x.tmp-for-deletion",
		".x.tmp-for-write-0123456789abcdef", fileops.LockFileName, "nul\x00byte"}
	for _, name := range bad {
		requireOpError(t, d.WriteFile(ctx(t), name, []byte("x"), 0o644), "writefile", "validate", fileops.ErrInvalidName)
		_, err := d.NewPendingFile(ctx(t), name, fileops.DefaultFileOptions())
		requireOpError(t, err, "pendingfile", "validate", fileops.ErrInvalidName)
		requireOpError(t, d.CreateDir(ctx(t), name, fill), "createdir", "validate", fileops.ErrInvalidName)
		requireOpError(t, d.ReplaceDir(ctx(t), name, fill), "replacedir", "validate", fileops.ErrInvalidName)
		requireOpError(t, d.RemoveDir(ctx(t), name), "removedir", "validate", fileops.ErrInvalidName)
		_, err = d.ReadFile(ctx(t), name)
		requireOpError(t, err, "readfile", "validate", fileops.ErrInvalidName)
	}
	_, err := d.NewBatch(ctx(t), "../x", fileops.DefaultFileOptions())
	requireOpError(t, err, "batch", "validate", fileops.ErrInvalidName)
	requireOpError(t, d.CreateDir(ctx(t), strings.Repeat("n", 250), fill), "createdir", "validate", fileops.ErrInvalidName)

	// A symbolic link inside the directory cannot lead out of it.
	if err := os.Symlink(outside, filepath.Join(dir, "escape")); err == nil {
		err := d.WriteFile(ctx(t), "escape/f", []byte("x"), 0o644)
		require.Error(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644))
		_, err = d.ReadFile(ctx(t), "escape/secret")
		requireOpError(t, err, "readfile", "open")
		require.NoError(t, os.Remove(filepath.Join(outside, "secret")))
		require.Empty(t, snapshot(t, fileops.OS(), outside), "nothing written outside")
	}
}

func TestDirReadFile(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, d *fileops.Dir) {
		require.NoError(t, d.WriteFile(ctx(t), "state.json", []byte(`{"v": 1}`), 0o644))
		require.NoError(t, d.WriteFile(ctx(t), "state.json", []byte(`{"v": 2}`), 0o644))
		data, err := d.ReadFile(ctx(t), "state.json")
		require.NoError(t, err)
		require.Equal(t, `{"v": 2}`, string(data))

		_, err = d.ReadFile(ctx(t), "missing.json")
		requireOpError(t, err, "readfile", "open", fs.ErrNotExist)

		cancelled, cancel := context.WithCancel(ctx(t))
		cancel()
		_, err = d.ReadFile(cancelled, "state.json")
		requireOpError(t, err, "readfile", "context", context.Canceled)

		require.NoError(t, d.Close())
		_, err = d.ReadFile(ctx(t), "state.json")
		requireOpError(t, err, "readfile", "validate", fs.ErrClosed)
	}
	t.Run("os", func(t *testing.T) { check(t, open(t, t.TempDir(), nil)) })
	t.Run("custom FS", func(t *testing.T) {
		// Reads go through Options.FS, as writes do.
		fsys := fileopstest.NewCrashFS()
		require.NoError(t, fsys.Mkdir("data", 0o755))
		check(t, open(t, "data", fsys))
	})
}

func TestPendingFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := open(t, dir, nil)
	require.NoError(t, d.WriteFile(ctx(t), "f", []byte("old"), 0o640))

	t.Run("existing mode", func(t *testing.T) {
		opts := fileops.DefaultFileOptions()
		opts.Perm = fileops.PermExisting
		p, err := d.NewPendingFile(ctx(t), "f", opts)
		require.NoError(t, err)
		defer p.Cleanup()
		_, err = io.Copy(p, strings.NewReader("streamed"))
		require.NoError(t, err)
		require.NoError(t, p.CloseAtomicallyReplace())
		require.NoError(t, p.Cleanup(), "no-op after success")
		requireOpError(t, p.CloseAtomicallyReplace(), "pendingfile", "commit")
		_, err = p.Write([]byte("late"))
		requireOpError(t, err, "pendingfile", "write")
		if runtime.GOOS != "windows" {
			info, err := os.Stat(filepath.Join(dir, "f"))
			require.NoError(t, err)
			require.Equal(t, fs.FileMode(0o640), info.Mode().Perm())
		}
	})
	t.Run("static mode", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("Windows has no permission bits")
		}
		opts := fileops.DefaultFileOptions()
		opts.Perm, opts.Mode = fileops.PermStatic, 0o666 // not reduced by the umask
		p, err := d.NewPendingFile(ctx(t), "static", opts)
		require.NoError(t, err)
		require.NoError(t, p.CloseAtomicallyReplace())
		info, err := os.Stat(filepath.Join(dir, "static"))
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o666), info.Mode().Perm())
	})
	t.Run("cleanup", func(t *testing.T) {
		p, err := d.NewPendingFile(ctx(t), "f", fileops.DefaultFileOptions())
		require.NoError(t, err)
		_, err = p.Write([]byte("abandoned"))
		require.NoError(t, err)
		require.NoError(t, p.Cleanup())
		require.NoError(t, p.Cleanup(), "idempotent")
		requireOpError(t, p.CloseAtomicallyReplace(), "pendingfile", "commit")
	})
	t.Run("cancelled context", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx(t))
		p, err := d.NewPendingFile(c, "f", fileops.DefaultFileOptions())
		require.NoError(t, err)
		cancel()
		requireOpError(t, p.CloseAtomicallyReplace(), "pendingfile", "context", context.Canceled)
	})
	t.Run("invalid options", func(t *testing.T) {
		_, err := d.NewPendingFile(ctx(t), "f", fileops.FileOptions{Mode: fs.ModeDir | 0o644, Perm: "mine", Durability: "maybe"})
		var fe *options.FieldError
		require.ErrorAs(t, err, &fe)
		require.Len(t, err.(*fileops.OpError).Err.(interface{ Unwrap() []error }).Unwrap(), 3, "every bad field: %v", err)
	})
	require.Equal(t, "streamed", snapshot(t, fileops.OS(), dir)["f"])
	require.Empty(t, tempNames(snapshot(t, fileops.OS(), dir)))
}

func TestCreateDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := open(t, dir, nil)
	content := tree{"a": "1", "sub/": "/", "sub/b": "2"}
	fill := func(_ context.Context, tmp string) error {
		require.Equal(t, filepath.Join(d.Path(), "blk.tmp-for-creation"), tmp)
		return writeTree(fileops.OS(), tmp, content)
	}
	require.NoError(t, d.CreateDir(ctx(t), "blk", fill))
	require.Equal(t, prefixed("blk/", content).with(tree{"blk/": "/"}), snapshot(t, fileops.OS(), dir))

	// The destination exists, whatever it is.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	for _, name := range []string{"blk", "file"} {
		err := d.CreateDir(ctx(t), name, fill)
		requireOpError(t, err, "createdir", "check destination", fileops.ErrExist, fs.ErrExist)
	}

	// fill fails or panics: nothing is left.
	boom := errors.New("boom")
	err := d.CreateDir(ctx(t), "failed", func(_ context.Context, tmp string) error {
		require.NoError(t, os.WriteFile(filepath.Join(tmp, "partial"), nil, 0o644))
		return boom
	})
	requireOpError(t, err, "createdir", "fill", boom)
	require.PanicsWithValue(t, "fill panicked", func() {
		_ = d.CreateDir(ctx(t), "panicked", func(context.Context, string) error { panic("fill panicked") })
	})
	requireOpError(t, d.CreateDir(ctx(t), "nil", nil), "createdir", "validate")
	require.Empty(t, tempNames(snapshot(t, fileops.OS(), dir)))

	// A temporary directory left by a crash blocks the name until recovery.
	require.NoError(t, os.Mkdir(filepath.Join(dir, "stale.tmp-for-creation"), 0o755))
	requireOpError(t, d.CreateDir(ctx(t), "stale", fill), "createdir", "mkdir temp", fs.ErrExist)

	// Package-level form.
	require.NoError(t, fileops.CreateDir(filepath.Join(dir, "pkg"), func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "x"), []byte("x"), 0o644)
	}))
	require.Equal(t, "x", snapshot(t, fileops.OS(), dir)["pkg/x"])
}

func TestReplaceDir(t *testing.T) {
	t.Parallel()
	for _, fsys := range []struct {
		name   string
		fs     fileops.FS
		method string
	}{
		{"exchange", nil, "exchange"},
		{"two-step", fileopstest.NoAtomicRenames(fileops.OS()), "two-step"},
	} {
		t.Run(fsys.name, func(t *testing.T) {
			t.Parallel()
			reg, err := telemetry.New(telemetry.DefaultOptions())
			require.NoError(t, err)
			rec := telemetrytest.Capture(t, reg, "ecopatterns.fileops")
			dir := t.TempDir()
			opts := testOptions(fsys.fs)
			opts.Telemetry = reg
			d, err := fileops.Open(dir, opts)
			require.NoError(t, err)
			defer d.Close()
			c := rec.Context(ctx(t))
			version := func(v string) func(context.Context, string) error {
				return func(_ context.Context, tmp string) error { return writeTree(fileops.OS(), tmp, tree{"v": v}) }
			}
			require.NoError(t, d.ReplaceDir(c, "x", version("1")))
			rec.Require(t, fileops.ReplaceDirSpan.Stop, slog.String("method", "create"))
			require.NoError(t, d.ReplaceDir(c, "x", version("2")))
			ev := rec.Require(t, fileops.ReplaceDirSpan.Stop, slog.String("method", fsys.method))
			fsyncs, _ := ev.Measurement("fsyncs")
			require.Equal(t, int64(3), fsyncs.Int64(), "file, temp dir, parent")
			require.Equal(t, tree{"x/": "/", "x/v": "2"}, snapshot(t, fileops.OS(), dir))

			// A symbolic link is replaced, its target left alone.
			target := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(target, "t"), []byte("t"), 0o644))
			if os.Symlink(target, filepath.Join(dir, "link")) == nil {
				require.NoError(t, d.ReplaceDir(c, "link", version("3")))
				require.Equal(t, tree{"t": "t"}, snapshot(t, fileops.OS(), target))
				require.Equal(t, "3", snapshot(t, fileops.OS(), dir)["link/v"])
			}

			require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
			requireOpError(t, d.ReplaceDir(c, "file", version("4")), "replacedir", "check destination", fileops.ErrNotDir)
			require.Empty(t, tempNames(snapshot(t, fileops.OS(), dir)))
		})
	}
}

func TestRemoveDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := open(t, dir, nil)
	build(t, fileops.OS(), dir, tree{"x/": "/", "x/a": "a", "x/s/": "/", "x/s/b": "b", "file": ""})
	require.NoError(t, d.RemoveDir(ctx(t), "x"))
	require.Equal(t, tree{"file": ""}, snapshot(t, fileops.OS(), dir))
	requireOpError(t, d.RemoveDir(ctx(t), "x"), "removedir", "check destination", fs.ErrNotExist)
	requireOpError(t, d.RemoveDir(ctx(t), "file"), "removedir", "check destination", fileops.ErrNotDir)

	// A deletion a crash interrupted is finished first.
	build(t, fileops.OS(), dir, tree{"y/": "/", "y.tmp-for-deletion/": "/", "y.tmp-for-deletion/old": ""})
	require.NoError(t, fileops.RemoveDir(filepath.Join(dir, "y")))
	require.Equal(t, tree{"file": ""}, snapshot(t, fileops.OS(), dir))

	// A symbolic link is removed, not its target.
	target := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(target, "t"), nil, 0o644))
	if os.Symlink(target, filepath.Join(dir, "link")) == nil {
		require.NoError(t, d.RemoveDir(ctx(t), "link"))
		require.Equal(t, tree{"t": ""}, snapshot(t, fileops.OS(), target))
		require.Equal(t, tree{"file": ""}, snapshot(t, fileops.OS(), dir))
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outside := t.TempDir()
	build(t, fileops.OS(), outside, tree{"o.tmp-for-creation/": "/"})
	build(t, fileops.OS(), dir, tree{
		// A file being written.
		".f.tmp-for-write-00112233445566ff": "partial",
		"f":                                 "whole",
		// A directory never published; one being removed.
		"new.tmp-for-creation/":     "/",
		"new.tmp-for-creation/a":    "",
		"gone.tmp-for-deletion/":    "/",
		"gone.tmp-for-deletion/s/":  "/",
		"gone.tmp-for-deletion/s/a": "",
		// Two-step replacements cut between their renames: roll forward
		// when the new copy is there, back when it is not.
		"fwd.tmp-for-replacement/":   "/",
		"fwd.tmp-for-replacement/v":  "old",
		"fwd.tmp-for-creation/":      "/",
		"fwd.tmp-for-creation/v":     "new",
		"back.tmp-for-replacement/":  "/",
		"back.tmp-for-replacement/v": "old",
		// Cut after the second rename: the old copy goes.
		"done/":                      "/",
		"done/v":                     "new",
		"done.tmp-for-replacement/":  "/",
		"done.tmp-for-replacement/v": "old",
		// Names that look like ours with types we never give them.
		"file.tmp-for-creation":             "a user's file",
		".x.tmp-for-write-00112233445566f/": "/", // too few digits: not ours at all
		// Nested, at any depth.
		"deep/":    "/",
		"deep/er/": "/",
		"deep/er/.g.tmp-for-write-0000000000000000": "",
	})
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err == nil {
		require.NoError(t, os.Symlink(filepath.Join(dir, "f"), filepath.Join(dir, ".l.tmp-for-write-0000000000000000")))
	}
	rep, err := fileops.Recover(dir)
	require.NoError(t, err)
	require.Equal(t, dir, rep.Dir)
	got := map[string]string{}
	for _, a := range rep.Actions {
		require.NoError(t, a.Err)
		got[a.Path] = string(a.Did) + " " + string(a.Kind)
	}
	want := map[string]string{
		".f.tmp-for-write-00112233445566ff": "removed tmp-for-write",
		"new.tmp-for-creation":              "removed tmp-for-creation",
		"gone.tmp-for-deletion":             "removed tmp-for-deletion",
		"fwd.tmp-for-creation":              "rolled-forward tmp-for-creation",
		"fwd.tmp-for-replacement":           "removed tmp-for-replacement",
		"back.tmp-for-replacement":          "rolled-back tmp-for-replacement",
		"done.tmp-for-replacement":          "removed tmp-for-replacement",
		"file.tmp-for-creation":             "skipped tmp-for-creation",
		filepath.Join("deep", "er", ".g.tmp-for-write-0000000000000000"): "removed tmp-for-write",
	}
	if _, err := os.Lstat(filepath.Join(dir, "out")); err == nil {
		want[".l.tmp-for-write-0000000000000000"] = "skipped tmp-for-write"
	}
	require.Equal(t, want, got)
	after := snapshot(t, fileops.OS(), dir)
	require.Equal(t, "new", after["fwd/v"])
	require.Equal(t, "old", after["back/v"])
	require.Equal(t, "new", after["done/v"])
	require.Equal(t, "whole", after["f"])
	require.Equal(t, tree{"o.tmp-for-creation/": "/"}, snapshot(t, fileops.OS(), outside), "links are not followed")

	again, err := fileops.Recover(dir)
	require.NoError(t, err)
	for _, a := range again.Actions {
		require.Equal(t, fileops.Skipped, a.Did, "a second recovery only skips what is not ours")
	}
	require.Contains(t, rep.String(), "rolled-forward fwd.tmp-for-creation (tmp-for-creation)")
}

func TestRecoverReportsFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	build(t, fileops.OS(), dir, tree{"a.tmp-for-deletion/": "/", "a.tmp-for-deletion/x": ""})
	efs := fileopstest.NewErrorFS(fileops.OS())
	efs.Inject(fileopstest.Injection{Only: []fileopstest.Call{fileopstest.CallRemove}, Sticky: true})
	_, err := fileops.Open(dir, testOptions(efs))
	requireOpError(t, err, "open", "recover", errIO)
	efs.Disarm()
	// The failed Open released its lock; a clean one finishes the job.
	d := open(t, dir, efs)
	require.Len(t, d.Recovered().Actions, 1)
	require.Equal(t, fileops.Removed, d.Recovered().Actions[0].Did)
	require.Empty(t, snapshot(t, fileops.OS(), dir))
}

func TestLockAndOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := fileops.Lock(dir)
	require.NoError(t, err)
	_, err = fileops.Lock(dir)
	requireOpError(t, err, "lock", "lock", fileops.ErrLocked)
	_, err = fileops.Open(dir, fileops.DefaultOptions())
	requireOpError(t, err, "open", "lock", fileops.ErrLocked)
	require.NoError(t, l.Unlock())
	require.NoError(t, l.Unlock(), "idempotent")

	d, err := fileops.Open(dir, fileops.DefaultOptions())
	require.NoError(t, err)
	_, err = fileops.Open(dir, fileops.DefaultOptions())
	require.ErrorIs(t, err, fileops.ErrLocked)
	require.NoError(t, d.Close())
	require.NoError(t, d.Close(), "idempotent")
	requireOpError(t, d.WriteFile(ctx(t), "f", nil, 0o644), "writefile", "validate", fs.ErrClosed)

	_, err = fileops.Open(filepath.Join(dir, "missing"), fileops.DefaultOptions())
	requireOpError(t, err, "open", "open", fs.ErrNotExist)
	_, err = fileops.Open(dir, fileops.Options{})
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)
	_, err = fileops.Lock("")
	require.ErrorIs(t, err, fileops.ErrInvalidName)
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, fileops.DefaultOptions().Validate())
	require.NoError(t, fileops.DefaultFileOptions().Validate())
	err := fileops.Options{DirMode: 0o500}.Validate()
	require.ErrorContains(t, err, "Logger")
	require.ErrorContains(t, err, "DirMode")
}

// countingFS counts fsyncs, by file and by name.
type countingFS struct {
	fileops.FS
	mu    sync.Mutex
	syncs int
}

func (c *countingFS) add() { c.mu.Lock(); c.syncs++; c.mu.Unlock() }

func (c *countingFS) Sync(name string) error { c.add(); return c.FS.Sync(name) }

func (c *countingFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countingFile{File: f, c: c}, nil
}

func (c *countingFS) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.syncs
	c.syncs = 0
	return n
}

type countingFile struct {
	fileops.File
	c *countingFS
}

func (f countingFile) Sync() error { f.c.add(); return f.File.Sync() }

func TestFsyncCounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := &countingFS{FS: fileops.OS()}
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.fileops")
	opts := testOptions(c)
	opts.Telemetry = reg
	d, err := fileops.Open(dir, opts)
	require.NoError(t, err)
	defer d.Close()
	cx := rec.Context(ctx(t))
	c.take()

	require.NoError(t, d.WriteFile(cx, "f", []byte("12345"), 0o644))
	require.Equal(t, 2, c.take(), "WriteFile: the file, then the directory")
	ev := rec.Require(t, fileops.WriteSpan.Stop, slog.String("durability", "durable"))
	for key, want := range map[string]int64{"bytes": 5, "fsyncs": 2} {
		m, ok := ev.Measurement(key)
		require.True(t, ok, key)
		require.Equal(t, want, m.Int64(), key)
	}

	for _, n := range []int{1, 4, 16} {
		b, err := d.NewBatch(cx, ".", fileops.DefaultFileOptions())
		require.NoError(t, err)
		for i := range n {
			require.NoError(t, b.WriteFile("b"+strings.Repeat("x", i), []byte("x"), 0o644))
		}
		require.NoError(t, b.Commit())
		require.Equal(t, n+1, c.take(), "a batch of %d files", n)
	}
	commits := rec.Matching(fileops.BatchCommitSpan.Stop)
	require.Len(t, commits, 3)
	files, _ := commits[2].Measurement("files")
	require.Equal(t, int64(16), files.Int64())

	require.NoError(t, d.CreateDir(cx, "x", fill(fileops.OS(), tree{"a": "", "s/": "/", "s/b": ""})))
	require.Equal(t, 5, c.take(), "CreateDir: 2 files, 2 directories, the parent")
	require.NoError(t, d.RemoveDir(cx, "x"))
	require.Equal(t, 1, c.take(), "RemoveDir: the parent")
	_, err = d.Recover(cx)
	require.NoError(t, err)
	rec.Require(t, fileops.RecoverSpan.Stop)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("OS", func(t *testing.T) { fileopstest.Run(t, fileops.OS(), t.TempDir()) })
	t.Run("Root", func(t *testing.T) {
		d := open(t, t.TempDir(), nil)
		require.NoError(t, os.Mkdir(filepath.Join(d.Path(), "c"), 0o755))
		fileopstest.Run(t, fileops.NewRootFS(d), "c")
	})
	t.Run("NoAtomicRenames", func(t *testing.T) {
		fileopstest.Run(t, fileopstest.NoAtomicRenames(fileops.OS()), t.TempDir())
	})
}

func TestOpErrorMessage(t *testing.T) {
	t.Parallel()
	err := &fileops.OpError{Op: "writefile", Stage: "sync file", Path: "/etc/app.conf", Err: fileops.ErrSyncFailed}
	require.Equal(t, "fileops: writefile /etc/app.conf: sync file: sync failed", err.Error())
}

// TestRecoverFindsTempFilesOfAnyName leaves the temporary file of a pending
// file behind, as a crash would, for names that are not UTF-8 and long
// enough to be cut, and checks that recovery removes every one of them.
// Names that are not UTF-8 are accepted, as the operating system accepts
// them.
func TestRecoverFindsTempFilesOfAnyName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := open(t, dir, nil)
	names := []string{
		".0" + strings.Repeat("\x80", 230),
		".." + strings.Repeat("\xff", 240),
		"." + strings.Repeat("\xc3", 250),
		strings.Repeat("é", 120) + "\x80",
		"plain\xfe.json",
	}
	for _, name := range names {
		p, err := d.NewPendingFile(ctx(t), name, fileops.DefaultFileOptions())
		require.NoError(t, err, "%q", name)
		// No Cleanup: the process "crashes" with the file open.
		t.Cleanup(func() { p.Cleanup() })
	}
	rep, err := d.Recover(ctx(t))
	require.NoError(t, err)
	require.Len(t, rep.Actions, len(names), "%v", rep)
	for _, a := range rep.Actions {
		require.Equal(t, fileops.Removed, a.Did)
		require.Equal(t, fileops.KindTempFile, a.Kind)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.Equal(t, fileops.LockFileName, e.Name())
	}

	// The same names work as destinations.
	for _, name := range names {
		require.NoError(t, d.WriteFile(ctx(t), name, []byte("x"), 0o644), "%q", name)
	}
}

// cancelOnReadFS cancels a context at the first read of a file opened for
// reading.
type cancelOnReadFS struct {
	fileops.FS
	cancel context.CancelFunc
}

func (c cancelOnReadFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil || flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return f, err
	}
	return cancelOnReadFile{File: f, cancel: c.cancel}, nil
}

type cancelOnReadFile struct {
	fileops.File
	cancel context.CancelFunc
}

func (f cancelOnReadFile) Read(b []byte) (int, error) {
	f.cancel()
	return f.File.Read(b)
}

// TestReadFileHonoursContextBetweenReads cancels the context during the
// first read of a large file: ReadFile stops at the next read.
func TestReadFileHonoursContextBetweenReads(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(ctx(t))
	defer cancel()
	fsys := cancelOnReadFS{FS: fileopstest.NewCrashFS(), cancel: cancel}
	require.NoError(t, fsys.Mkdir("data", 0o755))
	d := open(t, "data", fsys)
	require.NoError(t, d.WriteFile(context.Background(), "big", make([]byte, 8<<20), 0o644))
	data, err := d.ReadFile(ctx, "big")
	requireOpError(t, err, "readfile", "context", context.Canceled)
	require.Nil(t, data)
}

// TestErrorMessagesSayEachThingOnce pins the messages of the failures a
// newcomer meets first: each names the operation, the path and the cause
// once, and a missing directory says what to do.
func TestErrorMessagesSayEachThingOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
	d := open(t, dir, nil)
	missing := filepath.Join(dir, "nodir")
	const noParents = "create it first (fileops creates no parent directories)"
	msg := func(err error) string { require.Error(t, err); return err.Error() }
	_, openErr := fileops.Open(missing, fileops.DefaultOptions())
	_, readErr := d.ReadFile(ctx(t), "missing.json")
	_, batchErr := d.NewBatch(ctx(t), "nodir", fileops.DefaultFileOptions())
	_, lockErr := fileops.Lock(missing)
	_, lockedErr := fileops.Open(dir, fileops.DefaultOptions())
	_, notDirErr := fileops.Open(filepath.Join(dir, "f"), fileops.DefaultOptions())
	_, recoverErr := fileops.Recover(missing)
	for _, c := range []struct{ got, want string }{
		{msg(openErr), "fileops: open " + missing + ": directory does not exist; create it first, or set Options.CreateMissing"},
		{msg(readErr), "fileops: readfile " + filepath.Join(dir, "missing.json") + ": open: no such file or directory"},
		{msg(d.WriteFile(ctx(t), "nodir/a", nil, 0o644)),
			"fileops: writefile " + filepath.Join(missing, "a") + ": create temp: directory " + missing + " does not exist; " + noParents},
		{msg(fileops.WriteFile(filepath.Join(missing, "a"), nil, 0o644)),
			"fileops: writefile " + filepath.Join(missing, "a") + ": create temp: directory " + missing + " does not exist; " + noParents},
		{msg(d.CreateDir(ctx(t), "nodir/x", func(context.Context, string) error { return nil })),
			"fileops: createdir " + filepath.Join(missing, "x") + ": mkdir temp: directory " + missing + " does not exist; " + noParents},
		{msg(batchErr), "fileops: batch " + missing + ": check destination: directory does not exist; " + noParents},
		{msg(d.RemoveDir(ctx(t), "nodir")), "fileops: removedir " + missing + ": check destination: no such file or directory"},
		{msg(recoverErr), "fileops: recover " + missing + ": read dir: no such file or directory"},
		{msg(lockErr), "fileops: lock " + missing + ": directory does not exist; create it first"},
		{msg(notDirErr), "fileops: open " + filepath.Join(dir, "f") + ": destination is not a directory (a regular file)"},
		{msg(lockedErr), "fileops: open " + dir + ": lock: " + filepath.Join(dir, fileops.LockFileName) +
			" is locked by another holder (another process, or another Open or Lock in this one); only one may hold it"},
	} {
		require.Equal(t, c.want, c.got)
	}
	require.ErrorIs(t, openErr, fs.ErrNotExist)
	require.ErrorIs(t, lockErr, fs.ErrNotExist)
	require.ErrorIs(t, batchErr, fs.ErrNotExist)
	require.ErrorIs(t, lockedErr, fileops.ErrLocked)
	require.ErrorIs(t, notDirErr, fileops.ErrNotDir)
}

// TestOpenCreateMissing checks that Options.CreateMissing creates the
// directory and its parents with DirMode, and that without it nothing is
// created.
func TestOpenCreateMissing(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "a", "b", "data")
	_, err := fileops.Open(dir, fileops.DefaultOptions())
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = os.Lstat(filepath.Join(filepath.Dir(dir)))
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing created without CreateMissing")

	opts := fileops.DefaultOptions()
	opts.CreateMissing = true
	opts.DirMode = 0o700
	d, err := fileops.Open(dir, opts)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.WriteFile(ctx(t), "state", []byte("x"), 0o600))
	for _, p := range []string{dir, filepath.Dir(dir), filepath.Dir(filepath.Dir(dir))} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		require.True(t, info.IsDir())
		require.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), p)
	}

	t.Run("custom FS", func(t *testing.T) {
		fsys := fileopstest.NewCrashFS()
		d, err := fileops.Open("x/y", fileops.Options{Logger: opts.Logger, DirMode: 0o755, FS: fsys, CreateMissing: true})
		require.NoError(t, err)
		defer d.Close()
		info, err := fsys.Lstat("x/y")
		require.NoError(t, err)
		require.True(t, info.IsDir())
	})
}
