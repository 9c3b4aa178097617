package fileopstest_test

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	t.Run("CrashFS", func(t *testing.T) {
		c := fileopstest.NewCrashFS()
		require.NoError(t, c.Mkdir("root", 0o755))
		fileopstest.Run(t, c, "root")
	})
	t.Run("ErrorFS", func(t *testing.T) {
		fileopstest.Run(t, fileopstest.NewErrorFS(fileops.OS()), t.TempDir())
	})
	t.Run("CrashFSWithoutAtomicRenames", func(t *testing.T) {
		c := fileopstest.NewCrashFS()
		fileopstest.Run(t, fileopstest.NoAtomicRenames(c), "/")
	})
}

func write(t *testing.T, fsys fileops.FS, name, data string, sync bool) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte(data))
	require.NoError(t, err)
	if sync {
		require.NoError(t, f.Sync())
	}
	require.NoError(t, f.Close())
}

func TestCrashFSLosesWhatWasNotSynced(t *testing.T) {
	t.Parallel()
	c := fileopstest.NewCrashFS()
	require.NoError(t, c.Mkdir("d", 0o755))
	write(t, c, "d/synced", "kept", true)
	write(t, c, "d/unsynced", "lost", false)
	require.NoError(t, c.Sync("d"))
	require.NoError(t, c.Sync("/"))
	write(t, c, "d/late", "entry lost", true) // data synced, entry not
	f, err := c.OpenFile("d/synced", os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte(" and more"))
	require.NoError(t, err)

	c.Crash()
	_, err = f.Write([]byte("x"))
	require.Error(t, err, "handles do not survive a crash")
	snap, err := fileopstest.Snapshot(c, "/")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"d/": "/", "d/synced": "kept", "d/unsynced": ""}, snap)
}

func TestCrashFSRenameIsAtomic(t *testing.T) {
	t.Parallel()
	inOrder := []map[string]string{
		{"a": "A", "b": "B"}, // neither rename
		{"a": "B", "b": "A"}, // the exchange
		{"a": "B", "c": "A"}, // both
	}
	// Out of order, the second rename can land without the first: it moves
	// the name b had when it ran, leaving two names for A.
	reordered := append(inOrder, map[string]string{"a": "A", "c": "A"})
	for seed := range uint64(50) {
		for _, mode := range []string{"random", "reordered"} {
			c := fileopstest.NewCrashFS()
			write(t, c, "a", "A", true)
			write(t, c, "b", "B", true)
			c.SyncAll()
			require.NoError(t, c.Rename("a", "b", fileops.RenameExchange))
			require.NoError(t, c.Rename("b", "c", fileops.RenameReplace))
			r := rand.New(rand.NewPCG(seed, 0))
			want := inOrder
			if mode == "random" {
				c.CrashRandom(r)
			} else {
				c.CrashReordered(r)
				want = reordered
			}
			snap, err := fileopstest.Snapshot(c, "/")
			require.NoError(t, err)
			require.Contains(t, want, snap, mode)
		}
	}
}

func TestErrorFS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := fileopstest.NewErrorFS(fileops.OS())
	name := dir + "/f"
	e.Inject(fileopstest.Injection{At: 1, Err: syscall.ENOSPC})
	f, err := e.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644) // call 0
	require.NoError(t, err)
	n, err := f.Write([]byte("abcd")) // call 1: fails half-way
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.Equal(t, 2, n)
	require.NoError(t, f.Close(), "only call 1 fails")
	require.Equal(t, 1, e.Injected())
	require.Equal(t, 3, e.Calls())
	require.Equal(t, []string{"openfile " + name, "write " + name + " (injected)", "close " + name}, e.Trace())

	e.Inject(fileopstest.Injection{At: 0, Sticky: true, Only: []fileopstest.Call{fileopstest.CallSync, fileopstest.CallRename}})
	_, err = e.Lstat(name)
	require.NoError(t, err, "not counted")
	require.ErrorIs(t, e.Sync(name), syscall.EIO)
	require.ErrorIs(t, e.Rename(name, name+"2", fileops.RenameReplace), syscall.EIO)
	e.Disarm()
	require.NoError(t, e.Sync(name))
	require.Equal(t, 2, e.Injected())

	err = fileopstest.NoAtomicRenames(e).Rename(name, name+"2", fileops.RenameExchange)
	require.ErrorIs(t, err, fileops.ErrUnsupported)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	_, err = e.Lstat(name + "2")
	require.ErrorIs(t, err, fs.ErrNotExist)
}
