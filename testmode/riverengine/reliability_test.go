package riverengine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// fateArgs carry what the job's worker will do.
type fateArgs struct {
	N    int    `json:"n"`
	Fate string `json:"fate"` // complete, cancel, discard, retry (fails once, then completes)
}

func (fateArgs) Kind() string { return "fate" }

// fateWorker runs fateArgs jobs on every node and records each attempt.
type fateWorker struct {
	mu       sync.Mutex
	running  map[int]string   // job N → node running it now
	attempts map[int][]string // job N → nodes of its attempts, in order
	ended    map[int]time.Time
	overlaps []string
	early    []string
	final    chan int
}

// fateBackoff is the wait before the retry of job n: from 200 ms, well
// beyond River's own delay between an attempt and its retry (a completer
// batch and a fetch, tens of milliseconds), so a retry that ignored the
// backoff would come early.
func fateBackoff(n int) time.Duration {
	return 200*time.Millisecond + time.Duration(n%4)*100*time.Millisecond
}

// node is the worker as one node registers it.
type node struct {
	name string
	w    *fateWorker
}

func (n node) Perform(_ context.Context, job *testmode.Job[fateArgs]) error {
	w := n.w
	w.mu.Lock()
	if other, ok := w.running[job.Args.N]; ok {
		w.overlaps = append(w.overlaps, fmt.Sprintf("job %d runs on %s and %s", job.Args.N, other, n.name))
	}
	if end, ok := w.ended[job.Args.N]; ok {
		if since, want := time.Since(end), fateBackoff(job.Args.N); since < want {
			w.early = append(w.early, fmt.Sprintf("job %d retried %s after its failure, backoff %s", job.Args.N, since, want))
		}
	}
	w.running[job.Args.N] = n.name
	w.attempts[job.Args.N] = append(w.attempts[job.Args.N], n.name)
	w.mu.Unlock()

	// The job stays marked running for a while, so that another node
	// running it at the same time would be seen.
	time.Sleep(time.Millisecond)
	var err error
	final := true
	switch job.Args.Fate {
	case "cancel":
		err = testmode.Cancel(errors.New("not wanted"))
	case "discard":
		err = errors.New("always fails")
		final = job.Attempt == job.MaxAttempts
	case "retry":
		if job.Attempt == 1 {
			err, final = errors.New("fails once"), false
		}
	}

	w.mu.Lock()
	delete(w.running, job.Args.N)
	w.ended[job.Args.N] = time.Now()
	w.mu.Unlock()
	if final {
		w.final <- job.Args.N
	}
	return err
}

func (n node) Backoff(job *testmode.Job[fateArgs], _ error) time.Duration {
	return fateBackoff(job.Args.N)
}

// TestTwoNodesRunEveryJobOnce inserts 10,000 jobs with random fates into a
// database shared by two engines, and checks that each job ran on one node
// at a time, was retried no sooner than its own backoff after its failed
// attempt ended, and ended in the state its fate says, after exactly the
// attempts it needed.
func TestTwoNodesRunEveryJobOnce(t *testing.T) {
	const jobs = 10_000
	pool := newPool(t, false)
	w := &fateWorker{
		running:  map[int]string{},
		attempts: map[int][]string{},
		ended:    map[int]time.Time{},
		final:    make(chan int, jobs),
	}
	var engines []*Engine
	for _, name := range []string{"a", "b"} {
		ws := testmode.NewWorkers()
		require.NoError(t, testmode.AddWorker(ws, testmode.Worker[fateArgs](node{name: name, w: w})))
		opts := testOptions(ws)
		opts.Name = "node-" + name
		opts.Queues[testmode.DefaultQueue] = testmode.QueueOptions{Limit: 10}
		engines = append(engines, newEngine(t, pool, opts))
	}

	fates := []string{"complete", "cancel", "discard", "retry"}
	want := map[string]testmode.State{"complete": testmode.StateCompleted, "cancel": testmode.StateCancelled, "discard": testmode.StateDiscarded, "retry": testmode.StateCompleted}
	wantAttempts := map[string]int{"complete": 1, "cancel": 1, "discard": 2, "retry": 2}
	fateOf := make([]string, jobs)
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := t.Context()
	for start := 0; start < jobs; start += 1000 {
		var params []testmode.InsertParams
		for n := start; n < start+1000; n++ {
			fateOf[n] = fates[rng.IntN(len(fates))]
			// Every 50th job goes first: its retry, once due, is not
			// held up behind the other jobs, so one that came before its
			// backoff would be seen.
			prio := 5
			if n%50 == 0 {
				prio = 0
			}
			params = append(params, testmode.InsertParams{Args: fateArgs{N: n, Fate: fateOf[n]}, Opts: &testmode.InsertOpts{MaxAttempts: 2, Priority: prio}})
		}
		// Half the batches go in through each node.
		client := newClient(t, engines[start/1000%2].opts.Workers, engines[start/1000%2])
		_, err := client.InsertMany(ctx, params)
		require.NoError(t, err)
	}

	deadline := time.After(2 * time.Minute)
	for done := 0; done < jobs; done++ {
		select {
		case <-w.final:
		case <-deadline:
			t.Fatalf("only %d of %d jobs reached their last attempt in 2 minutes", done, jobs)
		}
	}
	for _, e := range engines { // a graceful stop records the last outcomes
		require.NoError(t, e.Stop(ctx))
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	require.Empty(t, w.overlaps, "a job ran on two nodes at once")
	require.Empty(t, w.early[:min(len(w.early), 5)], "%d retries came before their backoff, the first ones", len(w.early))
	nodes := map[string]int{}
	for n := range jobs {
		require.Len(t, w.attempts[n], wantAttempts[fateOf[n]], "job %d (%s): attempts on nodes %v", n, fateOf[n], w.attempts[n])
		for _, name := range w.attempts[n] {
			nodes[name]++
		}
	}
	require.Positive(t, nodes["a"], "node a ran no job")
	require.Positive(t, nodes["b"], "node b ran no job")

	rows, err := pool.Query(ctx, `SELECT args->>'fate', state, attempt, count(*) FROM river_job GROUP BY 1, 2, 3`)
	require.NoError(t, err)
	defer rows.Close()
	total := 0
	for rows.Next() {
		var fate, state string
		var attempt, count int
		require.NoError(t, rows.Scan(&fate, &state, &attempt, &count))
		require.Equal(t, string(want[fate]), state, "jobs with fate %s", fate)
		require.Equal(t, wantAttempts[fate], attempt, "jobs with fate %s", fate)
		total += count
	}
	require.NoError(t, rows.Err())
	require.Equal(t, jobs, total)
}

// newClient returns a Disabled-mode client on engine.
func newClient(t testing.TB, ws *testmode.Workers, engine testmode.Engine) *testmode.Client {
	t.Helper()
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = ws, engine
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// blockArgs are the args of jobs that block until released.
type blockArgs struct{}

func (blockArgs) Kind() string { return "block" }

// TestKilledNodeJobIsRescued kills a node mid-job (its River client's
// context is cancelled, and its worker never returns, as if the process
// had died) and checks that the other node rescues the job after
// RescueStuckJobsAfter and completes it, with the worker's backoff seeing
// ErrRescued.
func TestKilledNodeJobIsRescued(t *testing.T) {
	pool := newPool(t, false)
	release := make(chan struct{})
	started := make(chan string, 2)
	sawRescued := make(chan error, 1)
	mk := func(name string) *Engine {
		ws := testmode.NewWorkers()
		require.NoError(t, testmode.AddWorker(ws, &blockWorker{name: name, release: release, started: started, rescued: sawRescued}))
		opts := testOptions(ws)
		opts.Name = name
		opts.JobTimeout = time.Second
		opts.RescueStuckJobsAfter = time.Second
		return newEngine(t, pool, opts)
	}
	a := mk("a")
	t.Cleanup(func() { close(release) }) // runs before a's Stop: the dead node's goroutine may end
	client := newClient(t, a.opts.Workers, a)
	row, err := client.Insert(t.Context(), blockArgs{}, nil)
	require.NoError(t, err)
	require.Equal(t, "a", <-started)

	a.kill() // the node dies: River's context ends, the attempt never returns
	// b starts once the attempt has outlived RescueStuckJobsAfter: River's
	// rescuer runs when a node becomes the leader, then every 30 s, so the
	// leader's first run must find the job stuck.
	waitFor(t, 10*time.Second, "the attempt to outlive RescueStuckJobsAfter", func() bool {
		var stuck bool
		require.NoError(t, pool.QueryRow(t.Context(), `SELECT attempted_at < now() - interval '1100 milliseconds' FROM river_job WHERE id = $1`, row.ID).Scan(&stuck))
		return stuck
	})
	b := mk("b")
	select {
	case name := <-started:
		require.Equal(t, "b", name, "the job ran again on the dead node")
	case <-time.After(60 * time.Second):
		t.Fatal("the job was not rescued within 60s")
	}
	require.ErrorIs(t, <-sawRescued, ErrRescued)
	jr := waitFinal(t, b, row.ID)
	require.Equal(t, testmode.StateCompleted, jr.State)
	require.Equal(t, 2, jr.Attempt)
}

type blockWorker struct {
	name    string
	release chan struct{}
	started chan string
	rescued chan error
}

// Perform blocks on the first attempt, ignoring its context as a dead
// process would, and completes later ones.
func (w *blockWorker) Perform(_ context.Context, job *testmode.Job[blockArgs]) error {
	w.started <- w.name
	if job.Attempt == 1 {
		<-w.release
		return errors.New("released")
	}
	return nil
}

func (w *blockWorker) Backoff(_ *testmode.Job[blockArgs], err error) time.Duration {
	select {
	case w.rescued <- err:
	default:
	}
	return 10 * time.Millisecond
}

// waitFinal waits for job id to reach a final state, reading it again
// each time River reports that a job of e's ended an attempt.
func waitFinal(t testing.TB, e *Engine, id int64) *testmode.JobRow {
	t.Helper()
	events, unsubscribe := e.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed, river.EventKindJobSnoozed)
	defer unsubscribe()
	timeout := time.After(30 * time.Second)
	for {
		jr, err := e.client.JobGet(t.Context(), id)
		require.NoError(t, err)
		row := fromRiver(jr, time.Now())
		if row.State.Final() {
			return row
		}
		select {
		case <-events:
		case <-timeout:
			t.Fatalf("job %d still %s after 30s", id, row.State)
		}
	}
}

// waitFor polls cond every 10 ms until it holds, failing the test when it
// does not within timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
