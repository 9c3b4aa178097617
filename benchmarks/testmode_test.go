package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// The testmode cases compare the package with floors only: its peers are
// Oban (Elixir) and River (PostgreSQL), which cannot run in this process.
// Every floor handles the job's args as JSON, as every job system must,
// and does nothing else.

// testmodeEmail is the small args of every case.
type testmodeEmail struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
}

func (testmodeEmail) Kind() string { return "email" }

var testmodeEmailArgs = testmodeEmail{To: "ada@example.com", Subject: "hello"}

// testmodeStoreReset bounds the jobs one store holds, in every
// implementation, so memory stays flat however large b.N grows. The Inline
// case keeps testmodeInlineStore jobs, the size of a large test: its floor
// keeps nothing, and a store of tens of thousands of finished jobs would
// measure the garbage collector's scans of it rather than the insert.
const (
	testmodeStoreReset  = 1 << 16
	testmodeInlineStore = 1 << 10
)

// testmodeNoop is the worker of every case.
func testmodeNoop(context.Context, *testmode.Job[testmodeEmail]) error { return nil }

func newTestmodeClient(tb testing.TB, mode testmode.Mode, engine testmode.Engine, workers *testmode.Workers) *testmode.Client {
	tb.Helper()
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Engine = mode, engine
	if workers != nil {
		cfg.Workers = workers
	} else {
		require.NoError(tb, testmode.AddWorker(cfg.Workers, testmode.WorkerFunc[testmodeEmail](testmodeNoop)))
	}
	c, err := testmode.NewClient(cfg)
	require.NoError(tb, err)
	return c
}

// testmodeSinkJobs keeps the floor's records alive, as a store keeps its
// jobs.
var testmodeSinkJobs []testmodeFloorJob

// testmodeFloorJob is what the floors record: the least a job needs.
type testmodeFloorJob struct {
	kind, queue string
	args        []byte
	at          time.Time
}

// BenchmarkTestmodeManualInsert measures recording one small job in Manual
// mode on one goroutine. Goal: at least 1,000,000 inserts/s (at most
// 1 µs/op). The floor encodes the args and appends them to a slice under a
// mutex; ecopatterns also checks the JSON round trip, validates the
// options, checks uniqueness and indexes by kind.
func BenchmarkTestmodeManualInsert(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		c := newTestmodeClient(b, testmode.Manual, nil, nil)
		var ctx context.Context
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%testmodeStoreReset == 0 {
				ctx = testmode.WithMode(context.Background(), testmode.Manual)
			}
			if _, err := c.Insert(ctx, testmodeEmailArgs, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		var mu sync.Mutex
		var jobs []testmodeFloorJob
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%testmodeStoreReset == 0 {
				jobs = nil
			}
			enc, err := json.Marshal(testmodeEmailArgs)
			if err != nil {
				b.Fatal(err)
			}
			mu.Lock()
			jobs = append(jobs, testmodeFloorJob{kind: testmodeEmailArgs.Kind(), queue: "default", args: enc, at: time.Now()})
			mu.Unlock()
		}
		testmodeSinkJobs = jobs
	})
}

// BenchmarkTestmodeInlineInsert measures an Inline insert that performs a
// no-op worker. Goal: at most 2 µs more than the floor, which is the JSON
// round trip (encode, decode into the args type) and a direct call.
func BenchmarkTestmodeInlineInsert(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		c := newTestmodeClient(b, testmode.Inline, nil, nil)
		var ctx context.Context
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if i%testmodeInlineStore == 0 {
				ctx = testmode.WithMode(context.Background(), testmode.Inline)
			}
			if _, err := c.Insert(ctx, testmodeEmailArgs, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			enc, err := json.Marshal(testmodeEmailArgs)
			if err != nil {
				b.Fatal(err)
			}
			job := &testmode.Job[testmodeEmail]{Kind: "email"}
			if err := json.Unmarshal(enc, &job.Args); err != nil {
				b.Fatal(err)
			}
			if err := testmodeNoop(ctx, job); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// testmodeAssertJobs and testmodeAssertKinds size the AssertEnqueued case:
// 100,000 recorded jobs over 10 kinds.
const (
	testmodeAssertJobs  = 100_000
	testmodeAssertKinds = 10
)

// testmodeKindArgs makes testmodeAssertKinds kinds from one generic type.
type testmodeKindArgs[K testmodeKindTag] struct {
	To string `json:"to"`
	N  int    `json:"n"`
}

type testmodeKindTag interface{ kind() string }

type (
	testmodeTag0 struct{}
	testmodeTag1 struct{}
	testmodeTag2 struct{}
	testmodeTag3 struct{}
	testmodeTag4 struct{}
	testmodeTag5 struct{}
	testmodeTag6 struct{}
	testmodeTag7 struct{}
	testmodeTag8 struct{}
	testmodeTag9 struct{}
)

func (testmodeTag0) kind() string { return "kind0" }
func (testmodeTag1) kind() string { return "kind1" }
func (testmodeTag2) kind() string { return "kind2" }
func (testmodeTag3) kind() string { return "kind3" }
func (testmodeTag4) kind() string { return "kind4" }
func (testmodeTag5) kind() string { return "kind5" }
func (testmodeTag6) kind() string { return "kind6" }
func (testmodeTag7) kind() string { return "kind7" }
func (testmodeTag8) kind() string { return "kind8" }
func (testmodeTag9) kind() string { return "kind9" }

func (testmodeKindArgs[K]) Kind() string {
	var k K
	return k.kind()
}

func testmodeRegister[K testmodeKindTag](tb testing.TB, ws *testmode.Workers) func(i int) testmode.Args {
	tb.Helper()
	require.NoError(tb, testmode.AddWorker(ws, testmode.WorkerFunc[testmodeKindArgs[K]](
		func(context.Context, *testmode.Job[testmodeKindArgs[K]]) error { return nil })))
	return func(i int) testmode.Args { return testmodeKindArgs[K]{To: fmt.Sprintf("user%d@example.com", i), N: i} }
}

// BenchmarkTestmodeAssertEnqueued measures one AssertEnqueued by kind and
// args over 100,000 recorded jobs; the job sought is the last of its kind.
// Goal: at most 5 ms. The floor keeps the encoded args indexed by kind and
// scans the kind's jobs for the wanted text, decoding only the hits.
func BenchmarkTestmodeAssertEnqueued(b *testing.B) {
	ws := testmode.NewWorkers()
	makers := []func(int) testmode.Args{
		testmodeRegister[testmodeTag0](b, ws), testmodeRegister[testmodeTag1](b, ws), testmodeRegister[testmodeTag2](b, ws),
		testmodeRegister[testmodeTag3](b, ws), testmodeRegister[testmodeTag4](b, ws), testmodeRegister[testmodeTag5](b, ws),
		testmodeRegister[testmodeTag6](b, ws), testmodeRegister[testmodeTag7](b, ws), testmodeRegister[testmodeTag8](b, ws),
		testmodeRegister[testmodeTag9](b, ws),
	}
	params := make([]testmode.InsertParams, testmodeAssertJobs)
	for i := range params {
		params[i] = testmode.InsertParams{Args: makers[i%testmodeAssertKinds](i)}
	}
	last := testmodeAssertJobs - 1
	kind, to := params[last].Args.Kind(), fmt.Sprintf("user%d@example.com", last)

	b.Run("ecopatterns", func(b *testing.B) {
		c := newTestmodeClient(b, testmode.Manual, nil, ws)
		_, err := c.InsertMany(context.Background(), params)
		require.NoError(b, err)
		want := testmode.Match{Kind: kind, Args: map[string]any{"to": to}}
		b.ReportAllocs()
		for b.Loop() {
			testmode.AssertEnqueued(b, c, want)
		}
	})
	b.Run("floor", func(b *testing.B) {
		byKind := map[string][][]byte{}
		for _, p := range params {
			enc, err := json.Marshal(p.Args)
			require.NoError(b, err)
			byKind[p.Args.Kind()] = append(byKind[p.Args.Kind()], enc)
		}
		needle := []byte(`"` + to + `"`)
		b.ReportAllocs()
		for b.Loop() {
			found := false
			for _, enc := range byKind[kind] {
				if !bytes.Contains(enc, needle) {
					continue
				}
				var doc map[string]any
				if err := json.Unmarshal(enc, &doc); err != nil {
					b.Fatal(err)
				}
				if doc["to"] == to {
					found = true
					break
				}
			}
			if !found {
				b.Fatal("not found")
			}
		}
	})
}

// testmodeEngineWorkers is the size of both worker pools of the throughput
// case, and testmodeEngineBacklog the most jobs either lets wait: the
// floor's channel buffer, and the ecopatterns inserter's window.
const (
	testmodeEngineWorkers = 4
	testmodeEngineBacklog = 1024
)

// BenchmarkTestmodeEngineThroughput measures one job from insert to
// completion of a no-op worker, with testmodeEngineWorkers workers and at
// most testmodeEngineBacklog jobs waiting. Goal: MemoryEngine's throughput
// at least 0.5× the floor (ecopatterns/floor at most 2.0). The floor is a
// bare pool of goroutines reading encoded args from a buffered channel,
// decoding them and calling the worker.
func BenchmarkTestmodeEngineThroughput(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		window := make(chan struct{}, testmodeEngineBacklog)
		ws := testmode.NewWorkers()
		require.NoError(b, testmode.AddWorker(ws, testmode.WorkerFunc[testmodeEmail](func(context.Context, *testmode.Job[testmodeEmail]) error {
			<-window
			return nil
		})))
		opts := testmode.DefaultMemoryOptions()
		opts.Workers = ws
		opts.Queues = map[string]testmode.QueueOptions{testmode.DefaultQueue: {Limit: testmodeEngineWorkers}}
		e, err := testmode.NewMemoryEngine(opts)
		require.NoError(b, err)
		b.Cleanup(func() { require.NoError(b, e.Stop(context.Background())) })
		c := newTestmodeClient(b, testmode.Disabled, e, ws)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			window <- struct{}{}
			if _, err := c.Insert(ctx, testmodeEmailArgs, nil); err != nil {
				b.Fatal(err)
			}
		}
		// The window is empty once every job has run.
		for range testmodeEngineBacklog {
			window <- struct{}{}
		}
	})
	b.Run("floor", func(b *testing.B) {
		jobs := make(chan []byte, testmodeEngineBacklog)
		var wg sync.WaitGroup
		for range testmodeEngineWorkers {
			wg.Go(func() {
				ctx := context.Background()
				for enc := range jobs {
					job := &testmode.Job[testmodeEmail]{Kind: "email"}
					if err := json.Unmarshal(enc, &job.Args); err != nil {
						panic(err)
					}
					_ = testmodeNoop(ctx, job)
				}
			})
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			enc, err := json.Marshal(testmodeEmailArgs)
			if err != nil {
				b.Fatal(err)
			}
			jobs <- enc
		}
		close(jobs)
		wg.Wait()
	})
}
