package fileops_test

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

var (
	errNoSpace  error = syscall.ENOSPC
	errIO       error = syscall.EIO
	errReadOnly error = syscall.EROFS
	errPowerCut       = errors.New("power cut")
)

const crashDir = "data"

// newCrashFS returns a CrashFS holding t, durable, below crashDir.
func newCrashFS(tb testing.TB, t tree) *fileopstest.CrashFS {
	tb.Helper()
	c := fileopstest.NewCrashFS()
	require.NoError(tb, c.Mkdir(crashDir, 0o755))
	build(tb, c, crashDir, t)
	c.SyncAll()
	return c
}

// recoverCrashed reopens crashDir after a crash (which recovers it) and
// returns its tree.
func recoverCrashed(tb testing.TB, c *fileopstest.CrashFS) tree {
	tb.Helper()
	d, err := fileops.Open(crashDir, testOptions(c))
	require.NoError(tb, err, "recovery after the crash")
	got := snapshot(tb, c, crashDir)
	require.NoError(tb, d.Close())
	return got
}

// TestCrashAtEveryCall stops every operation at its n-th filesystem call,
// for every n, then cuts the power, losing everything unsynced (and, in
// further rounds, keeping a random part of it, in order or not). After recovery the tree is
// exactly the old or the new one; when the operation had returned nil
// (n past its last call) it is the new one: every operation is durable
// once it returns.
func TestCrashAtEveryCall(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(len(sc.name))))
			for n := 0; ; n++ {
				done := false
				for round := range 4 {
					c := newCrashFS(t, sc.old)
					efs := fileopstest.NewErrorFS(c)
					fsys := sc.wrap(efs)
					d, err := fileops.Open(crashDir, testOptions(fsys))
					require.NoError(t, err)
					efs.Inject(fileopstest.Injection{At: n, Sticky: true, Err: errPowerCut})
					opErr := sc.run(ctx(t), d, fsys)
					done = efs.Injected() == 0
					switch round {
					case 0:
						c.Crash()
					case 1, 2:
						c.CrashRandom(r)
					default:
						c.CrashReordered(r)
					}
					require.NoError(t, d.Close())
					got := recoverCrashed(t, c)
					mustBeNew := opErr == nil && !sc.atomicOnly
					if err := sc.check(got, mustBeNew); err != nil {
						t.Fatalf("power cut at call %d (round %d), operation error %v:\n%v\ncalls: %s", n, round, opErr, err, strings.Join(efs.Trace(), "\n\t"))
					}
				}
				if done {
					t.Logf("%d crash points, 4 power cuts each", n+1)
					break
				}
			}
		})
	}
}

// skipSyncFS turns the k-th fsync (of a file or by name) into a no-op that
// reports success, and counts fsyncs. It is how the test below removes one
// fsync from an operation.
type skipSyncFS struct {
	fileops.FS
	mu    sync.Mutex
	skip  int // -1: skip none
	syncs int
}

func (s *skipSyncFS) skipNext() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.syncs
	s.syncs++
	return k == s.skip
}

func (s *skipSyncFS) Sync(name string) error {
	if s.skipNext() {
		return nil
	}
	return s.FS.Sync(name)
}

func (s *skipSyncFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	f, err := s.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return skipSyncFile{File: f, s: s}, nil
}

type skipSyncFile struct {
	fileops.File
	s *skipSyncFS
}

func (f skipSyncFile) Sync() error {
	if f.s.skipNext() {
		return nil
	}
	return f.File.Sync()
}

// TestCrashTestCatchesMissingFsync is the test of the test above: for
// every durable operation and every fsync it issues, running it without
// that one fsync and then cutting the power must lose or tear the new
// content. So every fsync is needed, and the crash test would notice if
// one went missing.
func TestCrashTestCatchesMissingFsync(t *testing.T) {
	for _, sc := range scenarios() {
		if sc.atomicOnly {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			run := func(skip int) (tree, int) {
				c := newCrashFS(t, sc.old)
				s := &skipSyncFS{FS: c, skip: -1}
				fsys := sc.wrap(s)
				d, err := fileops.Open(crashDir, testOptions(fsys))
				require.NoError(t, err)
				s.mu.Lock()
				s.syncs, s.skip = 0, skip // count from here: Open's recovery synced nothing anyway
				s.mu.Unlock()
				require.NoError(t, sc.run(ctx(t), d, fsys))
				require.NoError(t, d.Close())
				c.Crash()
				return recoverCrashed(t, c), s.syncs
			}
			got, syncs := run(-1)
			require.NoError(t, sc.check(got, true), "with every fsync the new tree survives")
			require.Positive(t, syncs)
			for k := range syncs {
				got, _ := run(k)
				require.Error(t, sc.check(got, true), "without fsync %d of %d the new tree still survived the crash: that fsync is not needed, or the crash model is too kind", k, syncs)
			}
		})
	}
}

// TestCrashAtomicOnlyMayLoseTheRename shows what AtomicOnly gives up: after
// it returns, a power cut can bring the old content back (never a torn
// file), until the directory is synced.
func TestCrashAtomicOnlyMayLoseTheRename(t *testing.T) {
	t.Parallel()
	c := newCrashFS(t, tree{"f": "old"})
	d, err := fileops.Open(crashDir, testOptions(c))
	require.NoError(t, err)
	opts := fileops.DefaultFileOptions()
	opts.Durability = fileops.AtomicOnly
	p, err := d.NewPendingFile(ctx(t), "f", opts)
	require.NoError(t, err)
	_, err = p.Write([]byte("new"))
	require.NoError(t, err)
	require.NoError(t, p.CloseAtomicallyReplace())
	require.NoError(t, d.Close())
	c.Crash()
	require.Equal(t, tree{"f": "old"}, recoverCrashed(t, c))
}

// crashAt runs sc with a power cut at its n-th call and returns the
// filesystem as the power cut left it, the operation's error, and whether
// the operation ran to the end. With seed 0 everything unsynced is lost;
// otherwise a part of it chosen by seed is kept, in any order, so the same
// seed rebuilds the same state.
func crashAt(tb testing.TB, sc scenario, n int, seed uint64) (*fileopstest.CrashFS, error, bool) {
	tb.Helper()
	c := newCrashFS(tb, sc.old)
	efs := fileopstest.NewErrorFS(c)
	fsys := sc.wrap(efs)
	d, err := fileops.Open(crashDir, testOptions(fsys))
	require.NoError(tb, err)
	efs.Inject(fileopstest.Injection{At: n, Sticky: true, Err: errPowerCut})
	opErr := sc.run(ctx(tb), d, fsys)
	done := efs.Injected() == 0
	if seed == 0 {
		c.Crash()
	} else {
		c.CrashReordered(rand.New(rand.NewPCG(seed, uint64(n))))
	}
	require.NoError(tb, d.Close())
	return c, opErr, done
}

// TestCrashDuringRecovery cuts the power a second time, at every call of
// the recovery that follows the first power cut. Recovery must itself be
// crash-safe: the recovery after that still finds the old or the new tree.
// This is what makes Recover fsync a rolled-forward name before it
// removes the old copy.
func TestCrashDuringRecovery(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(2, uint64(len(sc.name))))
			points := 0
			for n := 0; ; n++ {
				_, _, done := crashAt(t, sc, n, 0)
				for m := 0; ; m++ {
					seed := uint64(m%3) * uint64(m) // a different first power cut for most m
					c, opErr, _ := crashAt(t, sc, n, seed)
					rfs := fileopstest.NewErrorFS(c)
					rfs.Inject(fileopstest.Injection{At: m, Sticky: true, Err: errPowerCut})
					if d, err := fileops.Open(crashDir, testOptions(sc.wrap(rfs))); err == nil {
						require.NoError(t, d.Close())
					}
					recovered := rfs.Injected() == 0
					if m%2 == 0 {
						c.CrashRandom(r)
					} else {
						c.CrashReordered(r)
					}
					got := recoverCrashed(t, c)
					if err := sc.check(got, opErr == nil && !sc.atomicOnly); err != nil {
						t.Fatalf("power cut at call %d (seed %d), then at call %d of the recovery:\n%v\nrecovery calls: %s", n, seed, m, err, strings.Join(rfs.Trace(), "\n\t"))
					}
					points++
					if recovered {
						break
					}
				}
				if done {
					break
				}
			}
			t.Logf("%d pairs of power cuts", points)
		})
	}
}

// TestRecoveryIsCrashSafe starts from each state an interrupted operation
// can leave, cuts the power at every call of the recovery, losing any
// subset of what it had not synced, and checks that the next recovery
// still ends with the old or the new copy. Without the fsync that Recover
// issues between publishing a rolled-forward copy and removing the old
// one, a power cut could keep the removal and lose the rename.
func TestRecoveryIsCrashSafe(t *testing.T) {
	t.Parallel()
	oldD := tree{"d/": "/", "d/v": "old", "d/s/": "/", "d/s/w": "old w"}
	newD := tree{"d/": "/", "d/v": "new", "d/n": "only new"}
	as := func(t tree, name string) tree {
		out := tree{}
		for k, v := range t {
			out[name+strings.TrimPrefix(k, "d/")] = v
		}
		return out
	}
	states := []struct {
		name     string
		left     tree
		old, new tree
	}{
		{"roll forward", as(oldD, "d.tmp-for-replacement/").with(as(newD, "d.tmp-for-creation/")), oldD, newD},
		{"roll back", as(oldD, "d.tmp-for-replacement/"), oldD, oldD},
		{"replacement done", newD.with(as(oldD, "d.tmp-for-replacement/")), newD, newD},
		{"unpublished", oldD.with(as(newD, "d.tmp-for-creation/")), oldD, oldD},
		{"deletion", as(oldD, "d.tmp-for-deletion/"), tree{}, tree{}},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			sc := scenario{old: st.old, new: st.new}
			for m := 0; ; m++ {
				done := false
				for seed := range uint64(8) {
					c := newCrashFS(t, st.left)
					rfs := fileopstest.NewErrorFS(c)
					rfs.Inject(fileopstest.Injection{At: m, Sticky: true, Err: errPowerCut})
					if d, err := fileops.Open(crashDir, testOptions(rfs)); err == nil {
						require.NoError(t, d.Close())
					}
					done = rfs.Injected() == 0
					c.CrashReordered(rand.New(rand.NewPCG(seed, uint64(m))))
					if err := sc.check(recoverCrashed(t, c), false); err != nil {
						t.Fatalf("power cut at call %d of the recovery (seed %d):\n%v\ncalls: %s", m, seed, err, strings.Join(rfs.Trace(), "\n\t"))
					}
				}
				if done {
					break
				}
			}
		})
	}
}
