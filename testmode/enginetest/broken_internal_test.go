package enginetest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

// brokenEnv makes TestBrokenEngines run: TestRunFailsOnBrokenEngines sets
// it in the test binary it starts.
const brokenEnv = "ENGINETEST_BROKEN_ENGINES"

// brokenWait bounds the suite's waits on broken engines: their jobs run in
// milliseconds, and a check that must fail waits this long.
const brokenWait = 3 * time.Second

// broken lists engines that each break one promise of the Engine contract,
// with the subtests of Run that must fail on it, and only those.
var broken = map[string]struct {
	wrap func(*testmode.MemoryEngine) testmode.Engine
	fail []string
}{
	"IgnoresCancelledContext": {
		func(e *testmode.MemoryEngine) testmode.Engine { return ignoresContext{e} },
		[]string{"InsertHonoursCancelledContext"},
	},
	"StoresPartOfABatch": {
		func(e *testmode.MemoryEngine) testmode.Engine { return oneByOne{e} },
		[]string{"InsertIsAllOrNothing"},
	},
	"NoUniqueness": {
		func(e *testmode.MemoryEngine) testmode.Engine { return noUniqueness{e} },
		[]string{"Unique"},
	},
	"FinalJobsKeepBlocking": {
		func(e *testmode.MemoryEngine) testmode.Engine {
			return &blocksForever{e: e, keys: map[string]*testmode.JobRow{}}
		},
		[]string{"CancelledIsFinal", "DiscardedIsFinal"},
	},
}

// TestRunFailsOnBrokenEngines checks that the suite catches each broken
// engine, by the subtest that checks the broken promise, and that it does
// not blame the promises kept. A failing *testing.T cannot be observed from
// the test that owns it, so the suite runs in a child process: this test
// binary, running TestBrokenEngines.
func TestRunFailsOnBrokenEngines(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("in the child process")
	}
	if testing.Short() {
		t.Skip("runs the suite four times, some checks waiting for their bound")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^TestBrokenEngines$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), brokenEnv+"=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child run should fail, got %v:\n%s", err, out)
	}
	failed := map[string][]string{}
	for _, m := range regexp.MustCompile(`--- FAIL: TestBrokenEngines/(\w+)/(\w+) `).FindAllSubmatch(out, -1) {
		failed[string(m[1])] = append(failed[string(m[1])], string(m[2]))
	}
	for name, b := range broken {
		got := slices.Sorted(slices.Values(failed[name]))
		want := slices.Sorted(slices.Values(b.fail))
		if !slices.Equal(got, want) {
			t.Errorf("engine %s: failed subtests %q, want %q", name, got, want)
		}
	}
	if t.Failed() {
		t.Logf("child output:\n%s", out)
	}
}

// TestBrokenEngines runs the suite on each broken engine. It fails by
// design, so it runs only in the child process of
// TestRunFailsOnBrokenEngines.
func TestBrokenEngines(t *testing.T) {
	if os.Getenv(brokenEnv) == "" {
		t.Skip("run by TestRunFailsOnBrokenEngines")
	}
	for name, b := range broken {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
				opts := testmode.DefaultMemoryOptions()
				opts.Workers = workers
				opts.Queues = map[string]testmode.QueueOptions{DefaultQueue: {Limit: 2}, OtherQueue: {Limit: 1}}
				return b.wrap(testmodetest.NewMemoryEngine(t, opts))
			}, brokenWait)
		})
	}
}

// ignoresContext stores rows whatever the state of the insert's context.
type ignoresContext struct{ e *testmode.MemoryEngine }

func (b ignoresContext) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	return b.e.Insert(context.WithoutCancel(ctx), rows)
}

// oneByOne stores rows one at a time, keeping those before a refused one.
type oneByOne struct{ e *testmode.MemoryEngine }

func (b oneByOne) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	out := make([]*testmode.JobRow, 0, len(rows))
	for _, row := range rows {
		r, err := b.e.Insert(ctx, []*testmode.JobRow{row})
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// noUniqueness ignores UniqueKey.
type noUniqueness struct{ e *testmode.MemoryEngine }

func (b noUniqueness) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	plain := make([]*testmode.JobRow, len(rows))
	for i, row := range rows {
		r := *row
		r.UniqueKey, r.UniquePeriod = "", 0
		plain[i] = &r
	}
	return b.e.Insert(ctx, plain)
}

// blocksForever keeps uniqueness itself, and forgets to free the key of a
// job that ended cancelled or discarded: a unique job blocks its twins for
// its whole period.
type blocksForever struct {
	e    *testmode.MemoryEngine
	mu   sync.Mutex
	keys map[string]*testmode.JobRow // the stored job of each unique key
}

func (b *blocksForever) Insert(ctx context.Context, rows []*testmode.JobRow) ([]*testmode.JobRow, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*testmode.JobRow, len(rows))
	first := map[string]int{} // unique key → index of its first row in this call
	var stored []*testmode.JobRow
	var at []int
	for i, row := range rows {
		if row == nil || row.UniqueKey == "" {
			stored, at = append(stored, row), append(at, i)
			continue
		}
		if blocker, ok := b.keys[row.UniqueKey]; ok && time.Since(blocker.InsertedAt) < blocker.UniquePeriod {
			dup := *blocker
			dup.Duplicate = true
			out[i] = &dup
			continue
		}
		if j, ok := first[row.UniqueKey]; ok {
			out[i] = &testmode.JobRow{Duplicate: true, UniqueKey: rows[j].UniqueKey} // filled below
			continue
		}
		first[row.UniqueKey] = i
		r := *row
		r.UniqueKey = "" // the wrapped engine must not free it
		stored, at = append(stored, &r), append(at, i)
	}
	res, err := b.e.Insert(ctx, stored)
	if err != nil {
		return nil, err
	}
	for n, i := range at {
		out[i] = res[n]
		if key := rows[i].UniqueKey; key != "" {
			// A copy: the wrapped engine owns the row it stored.
			r := *res[n]
			r.UniqueKey, r.UniquePeriod = key, rows[i].UniquePeriod
			out[i], b.keys[key] = &r, &r
		}
	}
	for i, row := range out {
		if row.Duplicate && row.ID == 0 {
			dup := *out[first[row.UniqueKey]]
			dup.Duplicate = true
			out[i] = &dup
		}
	}
	return out, nil
}
