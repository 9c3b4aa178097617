package testmode_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// storeReset bounds the jobs one store holds during a benchmark, so memory
// stays flat however large b.N grows; the cost of dropping a store is part
// of the measurement. inlineStore is the size of a large test's store.
const (
	storeReset  = 1 << 16
	inlineStore = 1 << 10
)

// BenchmarkInsertManual measures recording one small job. Goal (in
// benchmarks/): at least 1,000,000 inserts/s on one goroutine.
func BenchmarkInsertManual(b *testing.B) {
	c := newClient(b, testmode.Manual, nil)
	args := emailArgs{To: "ada@example.com", Subject: "hello"}
	var ctx context.Context
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%storeReset == 0 {
			ctx = testmode.WithMode(context.Background(), testmode.Manual)
		}
		if _, err := c.Insert(ctx, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertInline measures insert plus perform of a no-op worker.
func BenchmarkInsertInline(b *testing.B) {
	c := newClient(b, testmode.Inline, nil)
	args := emailArgs{To: "ada@example.com", Subject: "hello"}
	var ctx context.Context
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%inlineStore == 0 {
			ctx = testmode.WithMode(context.Background(), testmode.Inline)
		}
		if _, err := c.Insert(ctx, args, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// kindTag gives multiArgs its kind, so that one generic type makes many
// kinds, each registrable with AddWorker.
type kindTag interface{ kind() string }

type (
	tag0 struct{}
	tag1 struct{}
	tag2 struct{}
	tag3 struct{}
	tag4 struct{}
	tag5 struct{}
	tag6 struct{}
	tag7 struct{}
	tag8 struct{}
	tag9 struct{}
)

func (tag0) kind() string { return "kind0" }
func (tag1) kind() string { return "kind1" }
func (tag2) kind() string { return "kind2" }
func (tag3) kind() string { return "kind3" }
func (tag4) kind() string { return "kind4" }
func (tag5) kind() string { return "kind5" }
func (tag6) kind() string { return "kind6" }
func (tag7) kind() string { return "kind7" }
func (tag8) kind() string { return "kind8" }
func (tag9) kind() string { return "kind9" }

type multiArgs[K kindTag] struct {
	To string `json:"to"`
	N  int    `json:"n"`
}

func (multiArgs[K]) Kind() string {
	var k K
	return k.kind()
}

// register adds a no-op worker for multiArgs[K] and returns a constructor
// of its args.
func register[K kindTag](b *testing.B, ws *testmode.Workers) func(i int) testmode.Args {
	b.Helper()
	if err := testmode.AddWorker(ws, testmode.WorkerFunc[multiArgs[K]](func(context.Context, *testmode.Job[multiArgs[K]]) error { return nil })); err != nil {
		b.Fatal(err)
	}
	return func(i int) testmode.Args { return multiArgs[K]{To: fmt.Sprintf("user%d@example.com", i), N: i} }
}

// BenchmarkAssertEnqueued measures an assertion by kind and args over
// 100,000 recorded jobs of 10 kinds: 10,000 candidates. Goal: at most 5 ms.
func BenchmarkAssertEnqueued(b *testing.B) {
	const n = 100_000
	ws := testmode.NewWorkers()
	makers := []func(int) testmode.Args{
		register[tag0](b, ws), register[tag1](b, ws), register[tag2](b, ws), register[tag3](b, ws), register[tag4](b, ws),
		register[tag5](b, ws), register[tag6](b, ws), register[tag7](b, ws), register[tag8](b, ws), register[tag9](b, ws),
	}
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	params := make([]testmode.InsertParams, n)
	for i := range params {
		params[i] = testmode.InsertParams{Args: makers[i%len(makers)](i)}
	}
	if _, err := c.InsertMany(context.Background(), params); err != nil {
		b.Fatal(err)
	}
	last := n - 1 // the worst case: the last job of its kind
	want := testmode.Match{Kind: params[last].Args.Kind(), Args: map[string]any{"to": fmt.Sprintf("user%d@example.com", last)}}
	b.ReportAllocs()
	for b.Loop() {
		testmode.AssertEnqueued(b, c, want)
	}
}

// BenchmarkMemoryEngineThroughput measures insert-to-completion of no-op
// jobs on a MemoryEngine queue of 4 workers.
func BenchmarkMemoryEngineThroughput(b *testing.B) {
	var done atomic.Int64
	finished := make(chan struct{}, 1)
	var target atomic.Int64
	w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error {
		if done.Add(1) == target.Load() {
			finished <- struct{}{}
		}
		return nil
	}}
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = newWorkers(b, w)
	opts.Queues = map[string]testmode.QueueOptions{testmode.DefaultQueue: {Limit: 4}}
	e, err := testmode.NewMemoryEngine(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = e.Stop(context.Background()) }()
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = opts.Workers, e
	c, err := testmode.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	target.Store(int64(b.N))
	for i := range b.N {
		if _, err := c.Insert(ctx, taskArgs{N: i}, nil); err != nil {
			b.Fatal(err)
		}
	}
	<-finished
}
