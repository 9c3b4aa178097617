package fileops_test

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

// TestFaultEveryCall fails the n-th filesystem call of every operation,
// for n = 0, 1, 2, ... until the operation runs to the end, on real files.
// A transient failure (only call n fails) checks the operation's own
// clean-up; a sticky one (every call from n on fails, as when the process
// dies) leaves the clean-up to recovery. Either way, after reopening the
// directory (which recovers it) the tree is exactly the old or the new
// one, with no temporary names, and it is the new one whenever the
// operation returned nil.
func TestFaultEveryCall(t *testing.T) {
	for _, sc := range scenarios() {
		for _, sticky := range []bool{false, true} {
			name := sc.name + "/transient"
			if sticky {
				name = sc.name + "/sticky"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				root := t.TempDir()
				n := 0
				for ; ; n++ {
					dir := filepath.Join(root, strconv.Itoa(n))
					require.NoError(t, fileops.OS().Mkdir(dir, 0o755))
					build(t, fileops.OS(), dir, sc.old)
					efs := fileopstest.NewErrorFS(fileops.OS())
					fsys := sc.wrap(efs)
					d, err := fileops.Open(dir, testOptions(fsys))
					require.NoError(t, err)

					efs.Inject(fileopstest.Injection{At: n, Sticky: sticky})
					opErr := sc.run(ctx(t), d, fsys)
					efs.Disarm()
					injected := efs.Injected() > 0
					require.NoError(t, d.Close())
					if !injected {
						require.NoError(t, opErr, "no call failed")
					}
					if injected && !sticky && opErr != nil {
						checkOwnCleanup(t, dir, opErr, efs.Trace())
					}
					if opErr != nil {
						var oe *fileops.OpError
						require.ErrorAs(t, opErr, &oe, "errors are *OpError")
						require.True(t, strings.HasPrefix(opErr.Error(), "fileops: "), opErr.Error())
					}

					// Reopen through the real filesystem, confined: recovery.
					d2, err := fileops.Open(dir, testOptions(nil))
					require.NoError(t, err, "recovery after %v", efs.Trace())
					got := snapshot(t, fileops.OS(), dir)
					require.NoError(t, d2.Close())
					if err := sc.check(got, opErr == nil); err != nil {
						t.Fatalf("failing call %d (%v):\noperation error: %v\n%v\ncalls: %s", n, sticky, opErr, err, strings.Join(efs.Trace(), "\n\t"))
					}
					if !injected {
						break
					}
				}
				require.Greater(t, n, 3, "the operation made too few calls to be tested")
				t.Logf("%d failure points", n)
			})
		}
	}
}

// checkOwnCleanup checks that an operation that failed once, at a call
// other than a clean-up call, removed its own temporary names before
// returning.
func checkOwnCleanup(t *testing.T, dir string, opErr error, trace []string) {
	t.Helper()
	var failed string
	for _, c := range trace {
		if strings.HasSuffix(c, "(injected)") {
			failed = c
		}
	}
	var oe *fileops.OpError
	require.True(t, errors.As(opErr, &oe))
	// A failed removal or listing is a failed clean-up; after a failed
	// "sync dir" or "remove" stage the operation had succeeded as far as
	// readers can see and leaves the rest to recovery; Recover's own
	// steps report in Recover.
	cleanupCall := strings.HasPrefix(failed, "remove ") || strings.HasPrefix(failed, "readdir ") || strings.HasPrefix(failed, "lstat ")
	if cleanupCall || oe.Stage == "sync dir" || oe.Stage == "remove" {
		return
	}
	got := snapshot(t, fileops.OS(), dir)
	require.Empty(t, tempNames(got), "temporary names left by an operation that failed at %q (stage %q): %v", failed, oe.Stage, opErr)
}

// TestFaultErrors checks the errors that specific failures produce.
func TestFaultErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		only  fileopstest.Call
		err   error
		stage string
		is    []error
	}{
		{"disk full while writing", fileopstest.CallWrite, errNoSpace, "write", []error{errNoSpace}},
		{"I/O error at the file's fsync", fileopstest.CallFileSync, errIO, "sync file", []error{fileops.ErrSyncFailed, errIO}},
		{"I/O error at the directory's fsync", fileopstest.CallSync, errIO, "sync dir", []error{fileops.ErrSyncFailed, errIO}},
		{"read-only directory", fileopstest.CallOpenFile, errReadOnly, "create temp", []error{errReadOnly}},
		{"rename refused", fileopstest.CallRename, errIO, "rename", []error{errIO}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, fileops.OS(), dir, tree{"f": "old"})
			efs := fileopstest.NewErrorFS(fileops.OS())
			d := open(t, dir, efs)
			efs.Inject(fileopstest.Injection{Only: []fileopstest.Call{c.only}, Err: c.err})
			err := d.WriteFile(ctx(t), "f", []byte("new"), 0o644)
			efs.Disarm()
			var oe *fileops.OpError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, "writefile", oe.Op)
			require.Equal(t, c.stage, oe.Stage)
			require.Equal(t, filepath.Join(d.Path(), "f"), oe.Path)
			for _, target := range c.is {
				require.ErrorIs(t, err, target)
			}
			want := tree{"f": "old"}
			if c.stage == "sync dir" {
				want = tree{"f": "new"} // renamed, durability unknown
			}
			require.Equal(t, want, snapshot(t, fileops.OS(), dir), "old content intact, no temporary file: %v", err)
		})
	}
}
