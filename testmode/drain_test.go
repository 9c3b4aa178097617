package testmode_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
	"github.com/ecopatterns/ecopatterns/testmode"
)

func TestDrainOrderAndResults(t *testing.T) {
	boom := errors.New("boom")
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		switch job.Args.N {
		case 2:
			return boom
		case 3:
			return testmode.Cancel(boom)
		case 4:
			return testmode.Snooze(time.Hour)
		}
		return nil
	}}
	c := newClient(t, testmode.Manual, w)
	ctx := context.Background()
	for _, p := range []struct{ n, prio int }{{1, 5}, {2, 0}, {3, 1}, {4, 1}} {
		_, err := c.Insert(ctx, taskArgs{N: p.n}, &testmode.InsertOpts{Priority: p.prio})
		require.NoError(t, err)
	}
	_, err := c.Insert(ctx, taskArgs{N: 5}, &testmode.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	_, err = c.Insert(ctx, taskArgs{N: 6}, &testmode.InsertOpts{Queue: "other"})
	require.NoError(t, err)

	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{Queue: "default"})
	require.NoError(t, err)
	require.Equal(t, []int{2, 3, 4, 1}, w.attempts(), "by priority, then time, then ID; not scheduled, not other queues")
	require.Len(t, results, 4)
	require.Equal(t, testmode.OutcomeRetry, results[0].Outcome)
	require.ErrorIs(t, results[0].Err, boom)
	require.Equal(t, testmode.StateRetryable, results[0].Job.State)
	require.Equal(t, results[0].NextRun, results[0].Job.ScheduledAt)
	require.Greater(t, time.Until(results[0].NextRun), 16*time.Second, "the default backoff")
	require.Equal(t, testmode.OutcomeCancelled, results[1].Outcome)
	require.Equal(t, testmode.OutcomeSnoozed, results[2].Outcome)
	require.Equal(t, testmode.StateScheduled, results[2].Job.State)
	require.Equal(t, testmode.OutcomeCompleted, results[3].Outcome)
	require.NoError(t, results[3].Err)

	// The retry, the snoozed and the scheduled job wait; WithScheduled runs
	// them. Each job runs once without recursion.
	results, err = testmode.Drain(ctx, c, testmode.DrainOpts{Queue: "default", WithScheduled: true})
	require.NoError(t, err)
	require.Len(t, results, 3)
	require.Equal(t, 2, results[0].Job.Attempt, "the retry is the second attempt")
	testmode.RefuteEnqueued(t, c, testmode.Match{Queue: "default", Args: map[string]any{"n": 5}})

	// Limit.
	results, err = testmode.Drain(ctx, c, testmode.DrainOpts{WithScheduled: true, WithRecursion: true, Limit: 2})
	require.NoError(t, err)
	require.Len(t, results, 2)
}

func TestDrainWithRecursion(t *testing.T) {
	var c *testmode.Client
	w := &taskWorker{fn: func(ctx context.Context, job *testmode.Job[taskArgs]) error {
		if job.Args.N < 5 {
			_, err := c.Insert(ctx, taskArgs{N: job.Args.N + 1}, nil)
			return err
		}
		return nil
	}}
	c = newClient(t, testmode.Inline, w) // WithMode below makes its jobs wait
	ctx := testmode.WithMode(context.Background(), testmode.Manual)
	_, err := c.Insert(ctx, taskArgs{N: 1}, nil)
	require.NoError(t, err)

	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.NoError(t, err)
	require.Len(t, results, 1, "without recursion, the job inserted by the drained job waits")
	testmode.AssertEnqueued(t, testmode.StoreFrom(ctx), testmode.Match{Args: map[string]any{"n": 2}})

	results, err = testmode.Drain(ctx, c, testmode.DrainOpts{WithRecursion: true})
	require.NoError(t, err)
	require.Len(t, results, 4)
	require.Equal(t, []int{1, 2, 3, 4, 5}, w.attempts())
	testmode.RefuteEnqueued(t, testmode.StoreFrom(ctx), testmode.Match{})
}

func TestDrainRetriesToDiscard(t *testing.T) {
	w := &taskWorker{fn: func(context.Context, *testmode.Job[taskArgs]) error { return errors.New("always") }}
	c := newClient(t, testmode.Manual, w)
	ctx := context.Background()
	_, err := c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{MaxAttempts: 3})
	require.NoError(t, err)
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{WithScheduled: true, WithRecursion: true})
	require.NoError(t, err)
	require.Len(t, results, 3)
	require.Equal(t, testmode.OutcomeDiscarded, results[2].Outcome)
	require.Len(t, results[2].Job.Errors, 3)
	require.True(t, results[2].NextRun.IsZero())
}

func TestDrainBadInput(t *testing.T) {
	c := newClient(t, testmode.Manual, &taskWorker{})
	_, err := testmode.Drain(context.Background(), nil, testmode.DrainOpts{})
	require.ErrorContains(t, err, "testmode: Drain: client is a nil *Client")
	//lint:ignore SA1012 a nil ctx is the point
	_, err = testmode.Drain(nil, c, testmode.DrainOpts{})
	require.ErrorContains(t, err, "testmode: Drain: ctx is nil")
	_, err = testmode.Drain(context.Background(), c, testmode.DrainOpts{Limit: -1})
	require.ErrorContains(t, err, "testmode: Drain: Limit = -1: must be >= 0")

	_, err = c.Insert(context.Background(), taskArgs{N: 1}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err := testmode.Drain(ctx, c, testmode.DrainOpts{})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, results)
}

func TestPerformJob(t *testing.T) {
	ctx := context.Background()
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		if job.Attempt != 1 || job.ID != 0 || job.Queue != "q" {
			return errors.New("not built like an engine's first attempt")
		}
		if job.Args.N == 2 {
			return testmode.Snooze(-time.Second)
		}
		return nil
	}}
	res := testmode.PerformJob[taskArgs](ctx, t, w, taskArgs{N: 1}, &testmode.InsertOpts{Queue: "q"})
	require.Equal(t, testmode.OutcomeCompleted, res.Outcome)
	require.Equal(t, testmode.StateCompleted, res.Job.State)
	require.NoError(t, res.Err)

	f := &fakeTB{}
	res = testmode.PerformJob[taskArgs](ctx, f, w, taskArgs{N: 2}, &testmode.InsertOpts{Queue: "q"})
	require.True(t, f.failed)
	require.Contains(t, f.message(), "testmode: PerformJob: the worker returned an invalid outcome: testmode: Snooze duration must be >= 0: Snooze(-1s)")
	require.Equal(t, testmode.OutcomeRetry, res.Outcome)

	for _, bad := range []func(testmode.TB){
		func(tb testmode.TB) { testmode.PerformJob[taskArgs](ctx, tb, nil, taskArgs{}, nil) },
		func(tb testmode.TB) {
			testmode.PerformJob[taskArgs](ctx, tb, w, taskArgs{}, &testmode.InsertOpts{Priority: 99})
		},
		func(tb testmode.TB) {
			testmode.PerformJob[*ptrArgs](ctx, tb, testmode.WorkerFunc[*ptrArgs](nil2[*ptrArgs]), nil, nil)
		},
		func(tb testmode.TB) {
			testmode.PerformJob[anyArgs](ctx, tb, testmode.WorkerFunc[anyArgs](nil2[anyArgs]), anyArgs{V: 1}, nil)
		},
		func(tb testmode.TB) {
			testmode.PerformJob[kindByValue](ctx, tb, testmode.WorkerFunc[kindByValue](nil2[kindByValue]), kindByValue{K: "b"}, nil)
		},
	} {
		f := &fakeTB{}
		bad(f)
		require.True(t, f.failed)
		require.Contains(t, f.message(), "testmode: PerformJob: ")
	}
}

// kindByValue's kind depends on its value: a worker registered for its
// zero value would never see the others.
type kindByValue struct{ K string }

func (k kindByValue) Kind() string {
	if k.K == "" {
		return "a"
	}
	return k.K
}

// TestJobTelemetry checks the job span: names, metadata, measurements and
// outcomes, in Inline mode and for Drain.
func TestJobTelemetry(t *testing.T) {
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.testmode")
	w := &taskWorker{fn: func(_ context.Context, job *testmode.Job[taskArgs]) error {
		if job.Attempt == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	}}
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers, cfg.Telemetry = testmode.Inline, newWorkers(t, w), reg
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	ctx := rec.Context(context.Background())
	_, err = c.Insert(ctx, taskArgs{N: 1}, &testmode.InsertOpts{Queue: "q"})
	require.NoError(t, err)

	exc := rec.Require(t, testmode.JobSpan.Exception, slog.String(testmode.KeyOutcome, "retry"))
	require.EqualError(t, exc.Error(), "first attempt fails")
	for key, want := range map[string]string{
		testmode.KeyJobKind: "task", testmode.KeyQueue: "q", testmode.KeyMode: "inline", telemetry.KeyKind: "error",
	} {
		v, ok := exc.Attr(key)
		require.True(t, ok, key)
		require.Equal(t, want, v.String(), key)
	}
	v, _ := exc.Attr(testmode.KeyAttempt)
	require.Equal(t, int64(1), v.Int64())
	stop := rec.Require(t, testmode.JobSpan.Stop, slog.String(testmode.KeyOutcome, "completed"), slog.Int(testmode.KeyAttempt, 2))
	_, ok := stop.Measurement(testmode.MeasureQueueTime)
	require.True(t, ok)
	require.Len(t, rec.Matching(testmode.JobSpan.Start), 2)
}

// copyArgs have a slice, a map and a field that notes its decoding.
type copyArgs struct {
	Tags  []string          `json:"tags"`
	Attrs map[string]string `json:"attrs"`
	Mark  decodedMark       `json:"mark"`
}

func (copyArgs) Kind() string { return "copy" }

// decodedMark encodes as a constant and, when decoded, notes that it was.
type decodedMark struct{ decoded bool }

func (decodedMark) MarshalJSON() ([]byte, error) { return []byte(`"mark"`), nil }

func (m *decodedMark) UnmarshalJSON(b []byte) error {
	m.decoded = string(b) == `"mark"`
	return nil
}

// TestPerformJobRoundTrip: the worker gets the args decoded from their
// JSON encoding, a copy that shares nothing with the caller's value.
func TestPerformJobRoundTrip(t *testing.T) {
	args := copyArgs{Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}}
	var seen copyArgs
	w := testmode.WorkerFunc[copyArgs](func(_ context.Context, job *testmode.Job[copyArgs]) error {
		seen = job.Args
		job.Args.Tags[0] = "changed"
		job.Args.Attrs["k"] = "changed"
		job.Args.Attrs["added"] = "x"
		return nil
	})
	res := testmode.PerformJob(context.Background(), t, w, args, nil)
	require.Equal(t, testmode.OutcomeCompleted, res.Outcome)
	require.True(t, seen.Mark.decoded, "the worker's args were decoded")
	require.False(t, args.Mark.decoded)
	require.Equal(t, copyArgs{Tags: []string{"a", "b"}, Attrs: map[string]string{"k": "v"}}, args, "the caller's args are untouched")
	require.JSONEq(t, `{"tags":["a","b"],"attrs":{"k":"v"},"mark":"mark"}`, string(res.Job.EncodedArgs))
}
