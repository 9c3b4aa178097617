package benchmarks

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
	"gopkg.in/tomb.v2"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// The task bodies of every case: they do nothing, so the benchmarks measure
// the task machinery alone. They are variables so that the compiler calls
// them as a real task's function would be called, rather than inlining an
// empty body.
var (
	stopperTaskFn  = func(context.Context) {}
	stopperSpawnFn = func() {}
)

// stopperTaskName is the name of every benchmarked task.
const stopperTaskName = "ecopatterns.bench: task"

// stopperStopTasks is how many parked tasks BenchmarkStopperStop10k stops.
const stopperStopTasks = 10_000

// errFloorUnavailable is what the floors return once stopped, as the
// stopper returns stopper.ErrUnavailable.
var errFloorUnavailable = errors.New("floor: unavailable")

// newBenchStopper returns a running stopper with the default options that
// is stopped, if the caller has not stopped it already, when tb ends.
func newBenchStopper(tb testing.TB) *stopper.Stopper {
	tb.Helper()
	s, err := stopper.New(stopper.DefaultOptions())
	require.NoError(tb, err)
	tb.Cleanup(func() {
		// The benchmark's context is cancelled before cleanups run.
		require.NoError(tb, s.Stop(context.Background()))
	})
	return s
}

// The spawn implementations: each starts n goroutines that each call f once,
// then waits for all of them to return. The wait is part of the job (and
// of the timing): every implementation must make it possible, and pays for
// it in its own way.

// spawnEcopatterns starts n tasks of s, then stops s, which waits for them.
func spawnEcopatterns(tb testing.TB, s *stopper.Stopper, n int, f func(context.Context)) {
	ctx := context.Background()
	for range n {
		if err := s.RunAsyncTask(ctx, stopperTaskName, f); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Stop(ctx); err != nil {
		tb.Fatal(err)
	}
}

// spawnFloor is a bare go statement and a sync.WaitGroup.
func spawnFloor(n int, f func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	wg.Wait()
}

// spawnFloorAged is spawnFloor plus what naming and ageing every running
// task needs at the least: one monotonic clock read per task, and the
// task's name and start registered, from its start until it returns, where
// a reader can list them. The registry is sharded as the stopper's is, so
// that the spawner and the finishing tasks do not queue on one lock. It is
// the floor of any spawner that can report its running tasks and their
// ages, as the stopper promises.
func spawnFloorAged(n int, f func()) {
	var wg sync.WaitGroup
	var shards [agedShards]agedRegistry
	epoch := time.Now()
	for range n {
		start := time.Since(epoch)
		r := &shards[rand.Uint32()%agedShards]
		i := r.add(stopperTaskName, start)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
			r.remove(i)
		}()
	}
	wg.Wait()
}

// spawnErrgroup uses an errgroup.Group without a context.
func spawnErrgroup(tb testing.TB, n int, f func()) {
	var g errgroup.Group
	gf := func() error { f(); return nil } // built once, as f is for the others
	for range n {
		g.Go(gf)
	}
	if err := g.Wait(); err != nil {
		tb.Fatal(err)
	}
}

// spawnConc uses conc.WaitGroup, which also catches panics.
func spawnConc(n int, f func()) {
	var wg conc.WaitGroup
	for range n {
		wg.Go(f)
	}
	wg.Wait()
}

// spawnTomb uses a tomb.Tomb. Tomb.Go panics once every goroutine of the
// tomb has returned, which the empty tasks may well do in the middle of the
// loop, so one extra goroutine keeps the tomb alive until the Kill.
func spawnTomb(tb testing.TB, n int, f func()) {
	var t tomb.Tomb
	t.Go(func() error { <-t.Dying(); return nil })
	tf := func() error { f(); return nil } // built once, as f is for the others
	for range n {
		t.Go(tf)
	}
	t.Kill(nil)
	if err := t.Wait(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkStopperSpawn measures starting a goroutine that runs an empty
// function, including the share of the final wait for all of them. Goal:
// ecopatterns within 1.10× the floor, with one allocation, and no slower
// than errgroup and conc. floor-aged is the floor of a spawner that can
// name and age its running tasks, as the stopper promises: per task one
// monotonic clock read more, and its registration until it returns.
func BenchmarkStopperSpawn(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		s := newBenchStopper(b)
		b.ReportAllocs()
		b.ResetTimer()
		spawnEcopatterns(b, s, b.N, stopperTaskFn)
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportAllocs()
		spawnFloor(b.N, stopperSpawnFn)
	})
	b.Run("floor-aged", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportAllocs()
		spawnFloorAged(b.N, stopperSpawnFn)
	})
	b.Run("errgroup", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportAllocs()
		spawnErrgroup(b, b.N, stopperSpawnFn)
	})
	b.Run("conc", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportAllocs()
		spawnConc(b.N, stopperSpawnFn)
	})
	b.Run("tomb", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportAllocs()
		spawnTomb(b, b.N, stopperSpawnFn)
	})
}

// floorRunTask is the least a synchronous task API can do: one atomic load
// to refuse work after stop, and a direct call of f. It is small enough to
// inline, so a RunTask that is not inlined shows the cost of its call.
func floorRunTask(ctx context.Context, stopped *atomic.Bool, f func(context.Context)) error {
	if stopped.Load() {
		return errFloorUnavailable
	}
	f(ctx)
	return nil
}

// agedRegistry is the least a task API that names and ages every running
// task can keep: each task's name and start, under one mutex, from its
// admission to its release, in slots that a free list hands out again, the
// way CockroachDB's stopper counts its tasks under one mutex.
type agedRegistry struct {
	mu    sync.Mutex
	n     int
	free  int // index+1 of the first free slot; 0: none
	tasks []agedTask
	_     [64]byte // keeps the registries of spawnFloorAged on separate cache lines
}

// agedTask is one slot of an agedRegistry.
type agedTask struct {
	name  string // "" while free
	start time.Duration
	next  int // index+1 of the next free slot, while free
}

// agedShards is how many agedRegistry shards spawnFloorAged spreads its
// tasks over, as many as the stopper has on 2 cores.
const agedShards = 32

// add registers a running task and returns its slot.
func (r *agedRegistry) add(name string, start time.Duration) int {
	r.mu.Lock()
	i := r.free - 1
	if i >= 0 {
		r.free = r.tasks[i].next
	} else {
		i = len(r.tasks)
		r.tasks = append(r.tasks, agedTask{})
	}
	r.tasks[i] = agedTask{name: name, start: start}
	r.n++
	r.mu.Unlock()
	return i
}

// remove unregisters the task in slot i.
func (r *agedRegistry) remove(i int) {
	r.mu.Lock()
	r.tasks[i] = agedTask{next: r.free}
	r.free = i + 1
	r.n--
	r.mu.Unlock()
}

// agedRunner is the least synchronous task API that names and ages every
// running task: one atomic load to refuse work after stop, one monotonic
// clock read, and the task registered in an agedRegistry around the call.
type agedRunner struct {
	epoch   time.Time
	stopped atomic.Bool
	reg     agedRegistry
}

func (r *agedRunner) run(ctx context.Context, name string, f func(context.Context)) error {
	if r.stopped.Load() {
		return errFloorUnavailable
	}
	i := r.reg.add(name, time.Since(r.epoch))
	f(ctx)
	r.reg.remove(i)
	return nil
}

// stopperSinkDur keeps the clock-read case's result alive.
var stopperSinkDur time.Duration

// BenchmarkStopperRunTask measures running an empty synchronous task, with
// a context that can never be cancelled (the cheap path) and with a
// cancellable one, which the task's context must also follow. Goal: 40 ns
// and no allocation with context.Background(). floor-aged is the floor of
// a task API that names and ages every running task: a clock read and a
// mutex around admission and release; clock-read is its clock read alone.
func BenchmarkStopperRunTask(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		s := newBenchStopper(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = s.RunTask(ctx, stopperTaskName, stopperTaskFn)
		}
	})
	b.Run("ecopatterns-cancellable-ctx", func(b *testing.B) {
		defer reportCPU(b)()
		s := newBenchStopper(b)
		ctx, cancel := context.WithCancel(context.Background())
		b.Cleanup(cancel)
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = s.RunTask(ctx, stopperTaskName, stopperTaskFn)
		}
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		var stopped atomic.Bool
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = floorRunTask(ctx, &stopped, stopperTaskFn)
		}
	})
	b.Run("floor-aged", func(b *testing.B) {
		defer reportCPU(b)()
		r := &agedRunner{epoch: time.Now()}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = r.run(ctx, stopperTaskName, stopperTaskFn)
		}
	})
	b.Run("clock-read", func(b *testing.B) {
		defer reportCPU(b)()
		epoch := time.Now()
		b.ReportAllocs()
		for b.Loop() {
			stopperSinkDur = time.Since(epoch)
		}
	})
}

// BenchmarkStopperRunTaskParallel measures empty synchronous tasks run from
// every P at once, to show how admission scales.
func BenchmarkStopperRunTaskParallel(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		defer reportCPU(b)()
		s := newBenchStopper(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var err error
			for pb.Next() {
				err = s.RunTask(ctx, stopperTaskName, stopperTaskFn)
			}
			if err != nil {
				b.Error(err)
			}
		})
	})
	b.Run("floor", func(b *testing.B) {
		defer reportCPU(b)()
		var stopped atomic.Bool
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var err error
			for pb.Next() {
				err = floorRunTask(ctx, &stopped, stopperTaskFn)
			}
			if err != nil {
				b.Error(err)
			}
		})
	})
}

// floorReject is the least a stopped spawner can do: one atomic load and a
// sentinel error.
func floorReject(stopped *atomic.Bool, f func()) error {
	if stopped.Load() {
		return errFloorUnavailable
	}
	go f()
	return nil
}

// BenchmarkStopperReject measures an asynchronous task refused because the
// stopper has stopped. Goal: 10 ns and no allocation.
func BenchmarkStopperReject(b *testing.B) {
	b.Run("ecopatterns", func(b *testing.B) {
		s := newBenchStopper(b)
		ctx := context.Background()
		require.NoError(b, s.Stop(ctx))
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = s.RunAsyncTask(ctx, stopperTaskName, stopperTaskFn)
		}
	})
	b.Run("floor", func(b *testing.B) {
		var stopped atomic.Bool
		stopped.Store(true)
		b.ReportAllocs()
		for b.Loop() {
			sinkErr = floorReject(&stopped, stopperSpawnFn)
		}
	})
}

// The stop implementations: each setup starts n tasks that call started
// once running, park until the stop, then call exited; it returns once all
// n are parked, with the stop function that cancels them and waits for
// them. Only the stop function is timed.

func stopSetupEcopatterns(tb testing.TB, n int, exited func()) (stop func()) {
	s, err := stopper.New(stopper.DefaultOptions())
	require.NoError(tb, err)
	ctx := context.Background()
	var started sync.WaitGroup
	started.Add(n)
	task := func(ctx context.Context) {
		started.Done()
		<-ctx.Done()
		exited()
	}
	for range n {
		require.NoError(tb, s.RunAsyncTask(ctx, stopperTaskName, task))
	}
	started.Wait()
	return func() {
		if err := s.Stop(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

func stopSetupFloor(_ testing.TB, n int, exited func()) (stop func()) {
	ch := make(chan struct{})
	var wg, started sync.WaitGroup
	wg.Add(n)
	started.Add(n)
	for range n {
		go func() {
			defer wg.Done()
			started.Done()
			<-ch
			exited()
		}()
	}
	started.Wait()
	return func() {
		close(ch)
		wg.Wait()
	}
}

func stopSetupErrgroup(tb testing.TB, n int, exited func()) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	var started sync.WaitGroup
	started.Add(n)
	task := func() error {
		started.Done()
		<-gctx.Done()
		exited()
		return nil
	}
	for range n {
		g.Go(task)
	}
	started.Wait()
	return func() {
		cancel()
		if err := g.Wait(); err != nil {
			tb.Fatal(err)
		}
	}
}

func stopSetupTomb(tb testing.TB, n int, exited func()) (stop func()) {
	t := new(tomb.Tomb)
	var started sync.WaitGroup
	started.Add(n)
	task := func() error {
		started.Done()
		<-t.Dying()
		exited()
		return nil
	}
	for range n {
		t.Go(task)
	}
	started.Wait()
	return func() {
		t.Kill(nil)
		if err := t.Wait(); err != nil {
			tb.Fatal(err)
		}
	}
}

// stopperStopImpls are the implementations of BenchmarkStopperStop10k, in
// the order they run.
var stopperStopImpls = []struct {
	name  string
	setup func(tb testing.TB, n int, exited func()) (stop func())
}{
	{"ecopatterns", stopSetupEcopatterns},
	{"floor", stopSetupFloor},
	{"errgroup", stopSetupErrgroup},
	{"tomb", stopSetupTomb},
}

// BenchmarkStopperStop10k measures stopping 10,000 parked tasks: cancelling
// them and waiting until every one has returned. The start of the tasks is
// not timed. Each iteration takes milliseconds; run it with a fixed count
// such as -benchtime 20x. Goal: ecopatterns within 2× the floor.
func BenchmarkStopperStop10k(b *testing.B) {
	for _, impl := range stopperStopImpls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				stop := impl.setup(b, stopperStopTasks, func() {})
				b.StartTimer()
				stop()
			}
		})
	}
}

// TestStopperBenchmarkSetup checks that the benchmarks measure real work:
// every spawn implementation runs its function once per spawn and waits
// for all of them, RunTask and its floor call theirs, a stopped stopper
// refuses tasks as the floor does, and every stop implementation returns
// only after each of its parked tasks has returned.
func TestStopperBenchmarkSetup(t *testing.T) {
	const n = 1000

	t.Run("spawn", func(t *testing.T) {
		var ran atomic.Int64
		count := func() { ran.Add(1) }
		spawns := []struct {
			name  string
			spawn func()
		}{
			{"ecopatterns", func() {
				spawnEcopatterns(t, newBenchStopper(t), n, func(context.Context) { count() })
			}},
			{"floor", func() { spawnFloor(n, count) }},
			{"floor-aged", func() { spawnFloorAged(n, count) }},
			{"errgroup", func() { spawnErrgroup(t, n, count) }},
			{"conc", func() { spawnConc(n, count) }},
			{"tomb", func() { spawnTomb(t, n, count) }},
		}
		for _, s := range spawns {
			ran.Store(0)
			s.spawn()
			require.Equal(t, int64(n), ran.Load(), s.name)
		}
	})

	t.Run("runtask", func(t *testing.T) {
		ran := 0
		f := func(context.Context) { ran++ }
		s := newBenchStopper(t)
		cctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for _, ctx := range []context.Context{context.Background(), cctx} {
			for range n {
				require.NoError(t, s.RunTask(ctx, stopperTaskName, f))
			}
		}
		require.Equal(t, 2*n, ran)
		require.Zero(t, s.NumTasks())

		ran = 0
		var stopped atomic.Bool
		for range n {
			require.NoError(t, floorRunTask(context.Background(), &stopped, f))
		}
		require.Equal(t, n, ran)

		ran = 0
		r := &agedRunner{epoch: time.Now()}
		for range n {
			require.NoError(t, r.run(context.Background(), stopperTaskName, func(ctx context.Context) {
				f(ctx)
				require.Equal(t, 1, r.reg.n)
				require.Equal(t, stopperTaskName, r.reg.tasks[0].name, "the running task is registered")
			}))
		}
		require.Equal(t, n, ran)
		require.Zero(t, r.reg.n)
		require.Len(t, r.reg.tasks, 1, "one task at a time reuses one slot")
		r.stopped.Store(true)
		require.ErrorIs(t, r.run(context.Background(), stopperTaskName, f), errFloorUnavailable)
		require.Equal(t, n, ran)
	})

	t.Run("aged registry", func(t *testing.T) {
		var r agedRegistry
		a := r.add("a", 1)
		b := r.add("b", 2)
		c := r.add("c", 3)
		require.Equal(t, 3, r.n)
		r.remove(b)
		require.Equal(t, agedTask{name: "a", start: 1}, r.tasks[a])
		require.Equal(t, agedTask{name: "c", start: 3}, r.tasks[c])
		require.Equal(t, b, r.add("d", 4), "a freed slot is reused")
		require.Equal(t, 3, r.add("e", 5), "then the table grows")
		for _, i := range []int{a, b, c, 3} {
			r.remove(i)
		}
		require.Zero(t, r.n)
		for _, task := range r.tasks {
			require.Empty(t, task.name)
		}
	})

	t.Run("reject", func(t *testing.T) {
		s := newBenchStopper(t)
		require.NoError(t, s.Stop(context.Background()))
		ran := false
		err := s.RunAsyncTask(context.Background(), stopperTaskName, func(context.Context) { ran = true })
		require.ErrorIs(t, err, stopper.ErrUnavailable)
		require.ErrorIs(t, s.RunTask(context.Background(), stopperTaskName, stopperTaskFn), stopper.ErrUnavailable)

		var stopped atomic.Bool
		stopped.Store(true)
		require.ErrorIs(t, floorReject(&stopped, func() { ran = true }), errFloorUnavailable)
		require.False(t, ran)
	})

	t.Run("stop", func(t *testing.T) {
		for _, impl := range stopperStopImpls {
			var exited atomic.Int64
			stop := impl.setup(t, n, func() { exited.Add(1) })
			require.Zero(t, exited.Load(), "%s: a task returned before the stop", impl.name)
			stop()
			require.Equal(t, int64(n), exited.Load(), impl.name)
		}
	})
}
