package fileops_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

var kills = flag.Int("fileops.kills", 200, "how many times TestKill kills a child process in the middle of its operations")

// Environment variables that turn the test binary into TestKill's child.
const (
	killChildEnv    = "FILEOPS_KILL_CHILD_DIR" // the directory to work in
	killStartEnv    = "FILEOPS_KILL_START"     // the first version to write
	killNoAtomicEnv = "FILEOPS_KILL_NO_ATOMIC" // set: hide renameat2's flags
)

// killContent is the self-checking content of file name at version v: a
// header, then filler whose length depends on v, so that a torn or mixed
// file never passes for a whole one.
func killContent(name string, v int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d\n", name, v)
	for b.Len() < 2000+v%6000 {
		fmt.Fprintf(&b, "%s/%d;", name, v)
	}
	return b.String()
}

// parseKillContent returns the version of a whole killContent, or an error.
func parseKillContent(name, s string) (int, error) {
	head, _, ok := strings.Cut(s, "\n")
	if !ok {
		return 0, fmt.Errorf("%s: no header in %d bytes", name, len(s))
	}
	gotName, vs, _ := strings.Cut(head, " ")
	v, err := strconv.Atoi(vs)
	if err != nil || gotName != name {
		return 0, fmt.Errorf("%s: bad header %q", name, head)
	}
	if s != killContent(name, v) {
		return 0, fmt.Errorf("%s: version %d is torn or mixed (%d bytes)", name, v, len(s))
	}
	return v, nil
}

// killDirTree is the content of directory name at version v.
func killDirTree(name string, v int) tree {
	return tree{
		"a":        killContent(name+"/a", v),
		"sub/":     "/",
		"sub/c":    killContent(name+"/sub/c", v),
		"MANIFEST": strconv.Itoa(v),
	}
}

// runKillChild loops over every operation in dir until it is killed,
// printing "ack <what> <version>" after each one returns.
func runKillChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv(killStartEnv))
	var fsys fileops.FS
	if os.Getenv(killNoAtomicEnv) != "" {
		fsys = fileopstest.NoAtomicRenames(fileops.OS())
	}
	opts := fileops.DefaultOptions()
	opts.FS = fsys
	d, err := fileops.Open(dir, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stdout, "ready")
	// The child is a program of its own: no test context exists.
	ctx := context.Background()
	osFill := func(t tree) func(context.Context, string) error {
		return func(_ context.Context, tmp string) error { return writeTree(fileops.OS(), tmp, t) }
	}
	for v := start; ; v++ {
		var what string
		switch v % 4 {
		case 0:
			what, err = "f", d.WriteFile(ctx, "f", []byte(killContent("f", v)), 0o644)
		case 1:
			what, err = "d", d.ReplaceDir(ctx, "d", osFill(killDirTree("d", v)))
		case 2:
			if _, lerr := os.Lstat(filepath.Join(dir, "r")); lerr == nil {
				what, err = "r-removed", d.RemoveDir(ctx, "r")
			} else {
				what, err = "r-created", d.CreateDir(ctx, "r", osFill(killDirTree("r", v)))
			}
		case 3:
			var b *fileops.Batch
			what = "b"
			if b, err = d.NewBatch(ctx, "b", fileops.DefaultFileOptions()); err == nil {
				for _, n := range []string{"x", "y"} {
					if err == nil {
						err = b.WriteFile(n, []byte(killContent("b/"+n, v)), 0o644)
					}
				}
				if err == nil {
					err = b.Commit()
				}
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		fmt.Fprintf(os.Stdout, "ack %s %d\n", what, v)
	}
}

// TestKill runs the operations in a child process (this test binary,
// re-executed) and SIGKILLs it at a random moment, -fileops.kills times in
// all, in two lanes that each work in their own directory. After each kill
// it recovers the directory and checks, on real files, that every file and
// directory is whole (one version, never torn or mixed), at least as new
// as the last version the child reported done, and that no temporary name
// is left. Every other child runs without renameat2's flags, so ReplaceDir
// takes its two-step path.
//
// It does not run in parallel with other tests: a child started while
// another test holds a lock would share that lock until it execs (see
// forkMu), and that test's next Open could fail.
func TestKill(t *testing.T) {
	if *kills <= 0 {
		t.Skip("-fileops.kills is 0")
	}
	const lanes = 2
	for lane := range lanes {
		n := *kills / lanes
		if lane < *kills%lanes {
			n++
		}
		t.Run(fmt.Sprintf("lane%d", lane), func(t *testing.T) {
			t.Parallel()
			killLane(t, n, uint64(lane))
		})
	}
}

// forkMu keeps the lanes from starting a child while another lane holds a
// directory's lock: between fork and exec the new process shares every
// descriptor of this one, the flock'd one included, so the lock would
// outlive its Close for a moment and a child could find it held.
var forkMu sync.Mutex

func killLane(t *testing.T, kills int, lane uint64) {
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "b"), 0o755))
	acked := map[string]int{}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), lane))
	seenOps := map[string]int{}
	for i := range kills {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killStartEnv+"="+strconv.Itoa((i+1)*100_000+i%4))
		if i%2 == 1 {
			cmd.Env = append(cmd.Env, killNoAtomicEnv+"=1")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		forkMu.Lock()
		err = cmd.Start()
		forkMu.Unlock()
		require.NoError(t, err)
		lines := bufio.NewReader(out)
		first, err := lines.ReadString('\n')
		if err != nil || first != "ready\n" {
			_ = cmd.Wait()
			t.Fatalf("child %d did not start: %q %v\n%s", i, first, err, stderr.String())
		}
		// The kill point: a random moment in the first few operations
		// (each takes one to a few milliseconds of fsyncs); children
		// start at a different operation in turn.
		time.Sleep(time.Duration(r.IntN(5000)) * time.Microsecond)
		require.NoError(t, cmd.Process.Kill())
		rest, _ := io.ReadAll(lines)
		werr := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(werr, &exit) || exit.Exited() {
			t.Fatalf("child %d ended by itself (%v), not by the kill:\n%s", i, werr, stderr.String())
		}
		for _, line := range strings.Split(string(rest), "\n") {
			var what string
			var v int
			if _, err := fmt.Sscanf(line, "ack %s %d", &what, &v); err == nil {
				acked[what] = v
				seenOps[what]++
			}
		}
		forkMu.Lock()
		checkKilled(t, dir, acked)
		forkMu.Unlock()
	}
	t.Logf("%d kills; operations acknowledged: %v", kills, seenOps)
}

// checkKilled recovers dir and checks what the killed child left.
func checkKilled(t *testing.T, dir string, acked map[string]int) {
	t.Helper()
	d, err := fileops.Open(dir, testOptions(nil))
	require.NoError(t, err, "recovery")
	got := snapshot(t, fileops.OS(), dir)
	require.NoError(t, d.Close())
	require.Empty(t, tempNames(got), "temporary names after recovery")

	atLeast := func(what string, v int) {
		t.Helper()
		require.GreaterOrEqual(t, v, acked[what], "%s went back to version %d after version %d was acknowledged", what, v, acked[what])
	}
	if s, ok := got["f"]; ok {
		v, err := parseKillContent("f", s)
		require.NoError(t, err)
		atLeast("f", v)
	} else {
		require.Zero(t, acked["f"], "f vanished after it was written")
	}
	for _, name := range []string{"d", "r"} {
		sub := subtree(got, name+"/")
		if _, ok := got[name+"/"]; !ok {
			require.True(t, name == "r" || acked["d"] == 0, "%s vanished after it was written", name)
			continue
		}
		v, err := strconv.Atoi(sub["MANIFEST"])
		require.NoError(t, err, "%s: manifest of %v", name, sub)
		require.Equal(t, killDirTree(name, v), sub, "%s is not exactly version %d", name, v)
		if name == "d" {
			atLeast("d", v)
		} else {
			atLeast("r-created", v)
		}
	}
	for _, n := range []string{"x", "y"} {
		if s, ok := got["b/"+n]; ok {
			v, err := parseKillContent("b/"+n, s)
			require.NoError(t, err)
			atLeast("b", v)
		}
	}
}
