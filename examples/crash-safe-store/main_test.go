package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// runMainEnv makes the test binary behave as the program: the tests start
// it as the child process that crashes.
const runMainEnv = "CRASH_SAFE_STORE_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// linesMatch requires out to be exactly the lines of want, each line a
// regular expression matched whole.
func linesMatch(t *testing.T, want []string, out string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, got, len(want), out)
	for i, w := range want {
		require.Regexp(t, "^"+w+"$", got[i], "line %d of:\n%s", i+1, out)
	}
}

// The default run: os.Executable is the test binary, which runMainEnv
// turns into the program.
func TestRunDemonstratesCrashAndRecovery(t *testing.T) {
	t.Setenv(runMainEnv, "1")
	var out strings.Builder
	require.NoError(t, run(context.Background(), nil, &out))
	linesMatch(t, []string{
		`data directory: .*crash-safe-store-\d+`,
		`run 1, a child process: crash-safe-store -dir .* -crash-after 3`,
		`  \| opened: nothing to recover`,
		`  \| put alpha=1`,
		`  \| put bravo=2`,
		`  \| put charlie=3`,
		`  \| killing the process after writing 25 of 51 bytes`,
		`run 1 ended: signal: killed`,
		`left on disk:`,
		`  \.fileops\.lock \(0 bytes\)`,
		`  \.store\.json\.tmp-for-write-[0-9a-f]{16} \(25 bytes\)`,
		`  store\.json \(39 bytes\)`,
		`run 2, this process: crash-safe-store -dir .*`,
		`opened: recovery found 1 leftover\(s\):`,
		`  removed \.store\.json\.tmp-for-write-[0-9a-f]{16} \(tmp-for-write\)`,
		`intact: alpha=1 bravo=2 charlie=3`,
		`put delta=4`,
		`put echo=5`,
		`stored: alpha=1 bravo=2 charlie=3 delta=4 echo=5`,
	}, out.String())
}

// A real SIGKILL in the middle of a write leaves the old content whole and
// a torn temporary file, which the next start removes.
func TestKilledMidWriteKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-dir", dir, "-crash-after", "2")
	child.Env = append(os.Environ(), runMainEnv+"=1")
	childOut, err := child.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, string(childOut))
	require.Equal(t, "signal: killed", exit.String())
	require.Equal(t, "opened: nothing to recover\nput alpha=1\nput bravo=2\nkilling the process after writing 19 of 39 bytes\n", string(childOut))

	// On disk: the state after the second put, and the torn third write.
	data, err := os.ReadFile(filepath.Join(dir, dataFile))
	require.NoError(t, err)
	require.JSONEq(t, `{"alpha": "1", "bravo": "2"}`, string(data))
	temps, err := filepath.Glob(filepath.Join(dir, ".store.json.tmp-for-write-*"))
	require.NoError(t, err)
	require.Len(t, temps, 1)
	torn, err := os.ReadFile(temps[0])
	require.NoError(t, err)
	require.Equal(t, `{"alpha":"1","b`, string(torn[:15]))
	require.Error(t, json.Unmarshal(torn, new(map[string]string)), "the temporary file is torn")

	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"-dir", dir}, &out))
	require.Equal(t, "opened: recovery found 1 leftover(s):\n"+
		"  removed "+filepath.Base(temps[0])+" (tmp-for-write)\n"+
		"intact: alpha=1 bravo=2\n"+
		"put charlie=3\nput delta=4\nput echo=5\n"+
		"stored: alpha=1 bravo=2 charlie=3 delta=4 echo=5\n", out.String())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{fileops.LockFileName, dataFile}, names, "no temporary name is left")
}

func TestOpenIsExclusive(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(t.Context(), dir, fileops.DefaultOptions())
	require.NoError(t, err)
	_, err = Open(t.Context(), dir, fileops.DefaultOptions())
	require.ErrorIs(t, err, fileops.ErrLocked)
	require.NoError(t, s.Close())
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out strings.Builder
	require.EqualError(t, run(context.Background(), []string{"-crash-after=-1"}, &out),
		"crash-safe-store: -crash-after = -1: must be >= 0")
	require.EqualError(t, run(context.Background(), []string{"-crash-after=2"}, &out),
		"crash-safe-store: -crash-after needs -dir")
}
