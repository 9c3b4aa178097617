package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is an io.Writer that the service's goroutines share with the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
	// cancel, when not nil, is called once the output contains until:
	// it ends a run at an event rather than after some time.
	until  string
	cancel context.CancelFunc
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.b.Write(p)
	if s.cancel != nil && strings.Contains(s.b.String(), s.until) {
		s.cancel()
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// inProcess is a transport that answers with a handler in the goroutine
// that sends the request, for the host demoHost only. An answer is there
// when RoundTrip returns, however long that goroutine waited for a CPU, so
// that a probe's timeout can never overtake it: a target that answers
// gives its answer, and only one that never answers (/slow) times out. A
// handler that returns without answering, because the request's context
// ended, gets that context's error, as a client that gave up does.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Hostname() != demoHost {
		return nil, fmt.Errorf("no route to host %s in the test", r.URL.Host)
	}
	w := &answerRecorder{ResponseRecorder: httptest.NewRecorder()}
	p.h.ServeHTTP(w, r)
	if !w.answered && r.Context().Err() != nil {
		return nil, r.Context().Err()
	}
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// answerRecorder records whether a handler answered at all.
type answerRecorder struct {
	*httptest.ResponseRecorder
	answered bool
}

func (w *answerRecorder) WriteHeader(code int) {
	w.answered = true
	w.ResponseRecorder.WriteHeader(code)
}

func (w *answerRecorder) Write(p []byte) (int, error) {
	w.answered = true
	return w.ResponseRecorder.Write(p)
}

// testEnv is the environment of a test's service: its output, its mode,
// and the demo handler in process.
func testEnv(out io.Writer, mode testmode.Mode) environment {
	return environment{out: out, mode: mode, transport: inProcess{demoHandler()}}
}

// runUntil runs the program with args, in process (testEnv), until its
// output contains event, as SIGINT would end it then, and returns the
// output.
func runUntil(t *testing.T, event string, args ...string) (string, error) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{until: event, cancel: cancel}
	err := run(ctx, args, testEnv(out, ""))
	return out.String(), err
}

// testOptions are the defaults with a state directory of the test's own,
// short times, and a stop deadline long enough that no stop misses it on
// a busy machine.
func testOptions(t *testing.T) Options {
	opts := DefaultOptions()
	opts.StateDir = t.TempDir()
	opts.Timeout = 250 * time.Millisecond
	opts.Interval = time.Second
	opts.StopTimeout = time.Minute
	return opts
}

// The whole program as `go run` runs it, on the MemoryEngine, until the
// first round has finished: the demo targets from both sources are probed,
// every way of failing shows with its code, and the summary adds up.
func TestRunDisabledMode(t *testing.T) {
	dir := t.TempDir()
	s, err := runUntil(t, "msg=prober.round.finished",
		"-duration=1h", "-interval=500ms", "-timeout=250ms", "-stop-timeout=1m", "-state-dir="+dir)
	require.NoError(t, err)
	require.Contains(t, s, `msg=starting "non-default options.StateDir"=`+dir+` "non-default options.Duration"=1h0m0s "non-default options.Interval"=500ms "non-default options.Timeout"=250ms "non-default options.StopTimeout"=1m0s`)
	require.Contains(t, s, "msg=prober.targets.changed targets=6")
	// How many rounds fit depends on the machine's speed; what each came
	// to does not.
	require.Regexp(t, `summary: 6 targets, \d+ rounds \(\d+ finished\), \d+ probes, \d+ retries, \d+ jobs pending at stop, stopped in \d+`, s)
	require.Regexp(t, `  http://demo/healthy: ok=\d+\n`, s)
	require.Regexp(t, `  http://demo/gone: target_gone=\d+\n`, s)
	require.Regexp(t, `  http://demo/slow: probe_timeout=\d+\n`, s)
	// Every round has a failure that needs a person: the gone target
	// outranks the retryable ones.
	require.Regexp(t, `msg=prober.round.finished probes=6 failed=\d .*round=\d+ worst="target_gone \(PRB04\): http://demo/gone: 404 Not Found; hint: remove it from the targets, or fix its path"`, s)
	require.NotContains(t, s, "ecopatterns.testmode.job", "package events only with -v")

	st := readState(t, dir)
	require.Len(t, st.Targets, 6)
	require.Equal(t, "ok", st.Targets["http://demo/healthy"].Outcome)
	require.Equal(t, targetResult{Outcome: "target_gone", Code: "PRB04", Error: "http://demo/gone: 404 Not Found",
		Hint: "remove it from the targets, or fix its path", Attempts: 1, Round: st.Targets["http://demo/gone"].Round,
		At: st.Targets["http://demo/gone"].At}, st.Targets["http://demo/gone"])
}

// With -duration=0 the prober runs until its context ends, as SIGINT or
// SIGTERM end it in main, and still stops cleanly with a summary.
//
// This run is the program's own: the demo server on 127.0.0.1, in real
// time. It probes only targets that answer at once, and a probe may wait
// a minute for them, so the outcome does not depend on how busy the
// machine is; the test ends it once the first round has finished.
func TestRunUntilInterrupted(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, targetsFile), []byte(`[]`), 0o644))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &syncBuffer{until: "msg=prober.round.finished", cancel: cancel}
	err := run(ctx, []string{"-duration=0", "-interval=2m", "-timeout=1m", "-stop-timeout=1m", "-state-dir=" + dir,
		"-targets=http://demo/healthy,http://demo/gone", "-demo"}, environment{out: out})
	require.NoError(t, err)
	s := out.String()
	require.Contains(t, s, "summary: 2 targets, 1 rounds (1 finished), 2 probes, 0 retries, 0 jobs pending at stop")
	require.Contains(t, s, "  http://demo/healthy: ok=1\n")
	require.Contains(t, s, "  http://demo/gone: target_gone=1\n")
}

// Duration ends the run by itself, after one round when the next is an
// hour away.
func TestRunEndsAfterDuration(t *testing.T) {
	var out syncBuffer
	err := run(t.Context(), []string{"-duration=1ms", "-interval=1h", "-stop-timeout=1m"}, testEnv(&out, ""))
	require.NoError(t, err)
	require.Regexp(t, `summary: 6 targets, 1 rounds \(\d+ finished\)`, out.String())
}

func TestRunVerboseLogsEveryPackage(t *testing.T) {
	s, err := runUntil(t, "msg=ecopatterns.testmode.job.stop",
		"-duration=0", "-interval=150ms", "-timeout=100ms", "-stop-timeout=1m", "-v", "-targets=http://demo/healthy")
	require.NoError(t, err)
	for _, event := range []string{
		"ecopatterns.testmode.job.stop", "ecopatterns.stopper.task.start", "ecopatterns.discovery.",
		"ecopatterns.fileops.write.stop", "ecopatterns.stopper.quiesce.stop",
	} {
		require.Contains(t, s, "msg="+event, "-v logs %s", event)
	}
}

// Every log record is one line: an error is logged as its code, message
// and hints, never as the multi-line dump of its chain that %+v prints.
func TestRunLogsErrorsOnOneLine(t *testing.T) {
	out, err := runUntil(t, "msg=prober.round.finished", "-duration=0", "-interval=150ms", "-timeout=100ms", "-stop-timeout=1m", "-v",
		"-targets=http://demo/flaky,http://demo/unavailable,http://demo/slow,http://demo/gone")
	require.NoError(t, err)
	logged := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, "error") {
			continue
		}
		require.NotContains(t, line, `\n`, "a log record holds no line breaks, escaped or not")
		require.NotContains(t, line, "Wraps:")
		require.NotContains(t, line, "Error types:")
		if strings.Contains(line, "error.code=") {
			logged++
			require.Regexp(t, `error\.code=[0-9A-Z]{5} error\.msg=`, line)
		}
	}
	require.NotZero(t, logged, "the failing targets log their errors:\n%s", out)
}

func TestRunRejectsBadInput(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), []string{"-interval=0s", "-timeout=-1s", "-targets=ftp://x,http://", "-max-attempts=0", "-duration=-1s"}, environment{out: &out})
	require.EqualError(t, err, strings.Join([]string{
		`options: Targets[0] = "ftp://x": must be an http:// or https:// URL`,
		`options: Targets[1] = "http://": has no host`,
		`options: Duration = -1s: must be >= 0`,
		`options: Interval = 0s: must be > 0`,
		`options: Timeout = -1s: must be > 0`,
		`options: MaxAttempts = 0: must be > 0`,
	}, "\n"))

	err = run(t.Context(), []string{"-timeout=2s", "-interval=1s"}, environment{out: &out})
	require.EqualError(t, err, "options: Timeout = 2s: must be shorter than Interval (1s)")

	err = run(t.Context(), []string{"-discovery.update-interval=0s"}, environment{out: &out})
	require.EqualError(t, err, "options: Discovery.UpdateInterval = 0s: must be > 0")

	err = run(t.Context(), []string{"-interval=soon"}, environment{out: &out})
	require.ErrorContains(t, err, `invalid value "soon" for flag -interval`)

	err = run(t.Context(), []string{"extra"}, environment{out: &out})
	require.EqualError(t, err, `service: unexpected argument "extra" (options are flags)`)

	t.Setenv("PROBER_INTERVALL", "1s")
	err = run(t.Context(), nil, environment{out: &out})
	require.ErrorContains(t, err, "PROBER_INTERVALL")
	require.ErrorContains(t, err, "PROBER_INTERVAL")
}

// The environment overrides the defaults and the flags override the
// environment, nested options included; every override is logged.
func TestEnvironmentThenFlags(t *testing.T) {
	t.Setenv("PROBER_INTERVAL", "2s")
	t.Setenv("PROBER_TIMEOUT", "500ms")
	t.Setenv("PROBER_DISCOVERY_UPDATE_INTERVAL", "3s")
	var out strings.Builder
	opts, err := parseOptions([]string{"-timeout=400ms"}, &out)
	require.NoError(t, err)
	want := DefaultOptions()
	want.Interval = 2 * time.Second
	want.Timeout = 400 * time.Millisecond
	want.Discovery.UpdateInterval = 3 * time.Second
	require.Equal(t, want, opts)

	// A value the environment sets must still pass validation.
	t.Setenv("PROBER_INTERVAL", "250ms")
	_, err = parseOptions(nil, &out)
	require.EqualError(t, err, "options: Timeout = 500ms: must be shorter than Interval (250ms)")
}

// When the stop misses its deadline, the error names the stuck task and the
// summary still says what ran.
func TestStopPastItsDeadlineStillSummarises(t *testing.T) {
	opts := testOptions(t)
	opts.StopTimeout = 100 * time.Millisecond
	var out syncBuffer
	svc, err := start(t.Context(), opts, testEnv(&out, testmode.Inline))
	require.NoError(t, err)
	require.NoError(t, svc.probeRound(t.Context()))
	release := make(chan struct{})
	defer close(release)
	require.NoError(t, svc.stopper.RunAsyncTask(t.Context(), "ignores-quiesce", func(context.Context) { <-release }))

	sum, err := svc.stop(t.Context())
	var stuck *stopper.StuckTasksError
	require.ErrorAs(t, err, &stuck)
	require.ErrorContains(t, err, "ignores-quiesce")
	require.Equal(t, 6, sum.targets)
	require.Equal(t, 1, sum.completed)
	require.Equal(t, 6, sum.probes)
}

// In Inline mode every insert runs its job at once, retries included, so a
// round is final when probeRound returns.
func TestInlineModeRunsRoundsAtInsert(t *testing.T) {
	opts := testOptions(t)
	var out syncBuffer
	svc, err := start(t.Context(), opts, testEnv(&out, testmode.Inline))
	require.NoError(t, err)
	require.Nil(t, svc.engine, "no engine in Inline mode")
	require.NoError(t, svc.probeRound(t.Context()))
	require.NoError(t, svc.probeRound(t.Context()))

	sum, err := svc.stop(t.Context())
	require.NoError(t, err)
	require.Equal(t, 6, sum.targets)
	require.Equal(t, 2, sum.rounds)
	require.Equal(t, 2, sum.completed)
	require.Equal(t, map[string]map[string]int{
		"http://demo/healthy":     {"ok": 2},
		"http://demo/ready":       {"ok": 2},
		"http://demo/slow":        {"probe_timeout": 2},
		"http://demo/flaky":       {"ok": 2}, // 429 at once retried inline: the second try answers
		"http://demo/unavailable": {"cannot_connect_now": 2},
		"http://demo/gone":        {"target_gone": 2},
	}, sum.byTarget)
	// Retried: slow, flaky and unavailable once per round each.
	require.Equal(t, 6, sum.retries)
	require.Contains(t, out.String(), `msg=prober.round.finished probes=6 failed=3 retries=3`)

	st := readState(t, opts.StateDir)
	require.Equal(t, 2, st.Round)
	require.Equal(t, 2, st.Targets["http://demo/unavailable"].Attempts)
	require.Equal(t, "57P03", st.Targets["http://demo/unavailable"].Code)
}

// In Manual mode a round only records its jobs: the test asserts what was
// enqueued, then drains them and reads every attempt's outcome.
func TestManualModeRecordsAndDrains(t *testing.T) {
	opts := testOptions(t)
	var out syncBuffer
	svc, err := start(t.Context(), opts, testEnv(&out, testmode.Manual))
	require.NoError(t, err)
	require.NoError(t, svc.probeRound(t.Context()))

	for _, target := range svc.currentTargets() {
		testmode.AssertEnqueued(t, svc.jobs, testmode.Match{
			Kind: "probe", Queue: probeQueue, Args: map[string]any{"target": target, "round": 1},
		})
	}
	testmode.RefuteEnqueued(t, svc.jobs, testmode.Match{Kind: "probe", Args: map[string]any{"round": 2}})

	before := time.Now()
	res, err := testmode.Drain(t.Context(), svc.jobs, testmode.DrainOpts{})
	require.NoError(t, err)
	got := map[string]testmode.Result{}
	for _, r := range res {
		var args ProbeArgs
		require.NoError(t, json.Unmarshal(r.Job.EncodedArgs, &args))
		got[args.Target] = r
	}
	require.Len(t, got, 6)
	require.Equal(t, testmode.OutcomeCompleted, got["http://demo/healthy"].Outcome)
	require.Equal(t, testmode.OutcomeCancelled, got["http://demo/gone"].Outcome)
	require.Equal(t, errprio.Code("PRB04"), errprio.CodeOf(got["http://demo/gone"].Err))
	require.Equal(t, testmode.OutcomeRetry, got["http://demo/slow"].Outcome)
	require.Equal(t, errprio.Code("PRB01"), errprio.CodeOf(got["http://demo/slow"].Err))
	// Retry-After: 1 is honoured; without it the backoff is a quarter
	// interval per attempt.
	unavailable := got["http://demo/unavailable"]
	require.Equal(t, testmode.OutcomeRetry, unavailable.Outcome)
	require.WithinRange(t, unavailable.NextRun, before.Add(time.Second), time.Now().Add(time.Second))
	require.WithinRange(t, got["http://demo/slow"].NextRun, before.Add(opts.Interval/4), time.Now().Add(opts.Interval/4))

	// The retries are scheduled; draining with WithScheduled runs them,
	// and the round is final.
	res, err = testmode.Drain(t.Context(), svc.jobs, testmode.DrainOpts{WithScheduled: true})
	require.NoError(t, err)
	require.Len(t, res, 3) // slow, flaky and unavailable, second and last attempt
	sum, err := svc.stop(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, sum.completed)
	require.Equal(t, map[string]int{"ok": 3, "probe_timeout": 1, "cannot_connect_now": 1, "target_gone": 1}, sum.outcomes)
}

// Editing targets.json while the service runs changes its targets; a
// target that is not a URL is skipped with a warning, not a failure.
func TestEditingTheTargetsFileChangesTargets(t *testing.T) {
	opts := testOptions(t)
	opts.Targets = nil
	var out syncBuffer
	svc, err := start(t.Context(), opts, testEnv(&out, testmode.Manual))
	require.NoError(t, err)
	defer func() {
		_, err := svc.stop(context.WithoutCancel(t.Context()))
		require.NoError(t, err)
	}()
	require.Equal(t, []string{"http://demo/flaky", "http://demo/gone", "http://demo/slow", "http://demo/unavailable"}, svc.currentTargets())

	changed := svc.watch()
	edited := `[{"targets": ["http://demo/healthy", "ftp://files.example", "http://demo/slow"]}]`
	require.NoError(t, fileops.WriteFile(filepath.Join(opts.StateDir, targetsFile), []byte(edited), 0o644))
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no change of targets within 10s of editing the targets file")
	}
	require.Equal(t, []string{"http://demo/healthy", "http://demo/slow"}, svc.currentTargets())
	s := out.String()
	require.Contains(t, s, `msg="skipping target" target=ftp://files.example source=`)
	require.Contains(t, s, `msg=prober.targets.changed targets=2 added=[http://demo/healthy] removed="[http://demo/flaky http://demo/gone http://demo/unavailable]"`)

	require.NoError(t, svc.probeRound(t.Context()))
	testmode.AssertEnqueued(t, svc.jobs, testmode.Match{Kind: "probe", Args: map[string]any{"target": "http://demo/healthy", "round": 1}})
	testmode.RefuteEnqueued(t, svc.jobs, testmode.Match{Kind: "probe", Args: map[string]any{"target": "http://demo/gone"}})
}

// A second run over the same state directory reads the first run's state,
// and recovery removes what a crash mid-write left.
func TestRestartRecoversTheStateDirectory(t *testing.T) {
	opts := testOptions(t)
	var out syncBuffer
	svc, err := start(t.Context(), opts, testEnv(&out, testmode.Inline))
	require.NoError(t, err)
	require.NoError(t, svc.probeRound(t.Context()))
	_, err = svc.stop(t.Context())
	require.NoError(t, err)

	// What a process killed while writing state.json leaves behind.
	torn := filepath.Join(opts.StateDir, ".state.json.tmp-for-write-00000000000000aa")
	require.NoError(t, os.WriteFile(torn, []byte(`{"round": 9`), 0o644))

	out = syncBuffer{}
	svc, err = start(t.Context(), opts, testEnv(&out, testmode.Inline))
	require.NoError(t, err)
	_, err = svc.stop(t.Context())
	require.NoError(t, err)
	s := out.String()
	require.Contains(t, s, "recovery.actions=1")
	require.Contains(t, s, `msg="fileops: recovered" dir=`+opts.StateDir+` path=.state.json.tmp-for-write-00000000000000aa kind=tmp-for-write did=removed`)
	require.Regexp(t, `msg="previous run" round=1 targets=6 updated_at=`, s)
	require.NotContains(t, s, "wrote the targets file", "the targets file of the first run is kept")
	require.NoFileExists(t, torn)
}

// A second service on the same state directory is refused by its lock.
func TestStateDirectoryIsLocked(t *testing.T) {
	opts := testOptions(t)
	svc, err := start(t.Context(), opts, testEnv(io.Discard, testmode.Manual))
	require.NoError(t, err)
	_, err = start(t.Context(), opts, testEnv(io.Discard, testmode.Manual))
	require.ErrorIs(t, err, fileops.ErrLocked)
	_, err = svc.stop(t.Context())
	require.NoError(t, err)
}

// The backoff honours Retry-After on the engine's clock: under synctest the
// second attempt runs exactly when the target asked.
func TestRetryAfterIsHonouredOnTheEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var calls []time.Time
		transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, time.Now())
			if len(calls) == 1 {
				return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{"Retry-After": {"7"}},
					Body: http.NoBody, Request: r}, nil
			}
			return &http.Response{StatusCode: 200, Status: "200 OK", Body: http.NoBody, Request: r}, nil
		})
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		res := newResults(reg, nil)
		workers := testmode.NewWorkers()
		p := &prober{client: &http.Client{Transport: transport}, timeout: time.Second, interval: 10 * time.Second, results: res}
		require.NoError(t, testmode.AddWorker(workers, p))
		eopts := testmode.DefaultMemoryOptions()
		eopts.Queues = map[string]testmode.QueueOptions{probeQueue: {Limit: 1}}
		eopts.Workers = workers
		eopts.Telemetry = reg
		engine, err := testmode.NewMemoryEngine(eopts)
		require.NoError(t, err)
		cfg := testmode.DefaultConfig()
		cfg.Workers, cfg.Engine, cfg.Telemetry = workers, engine, reg
		client, err := testmode.NewClient(cfg)
		require.NoError(t, err)

		start := time.Now()
		require.Equal(t, 1, res.start(1, start))
		_, err = client.Insert(t.Context(), ProbeArgs{Target: "http://example.test/", Round: 1}, &testmode.InsertOpts{Queue: probeQueue})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		synctest.Wait()
		require.NoError(t, engine.Stop(t.Context()))

		require.Equal(t, []time.Time{start, start.Add(7 * time.Second)}, calls)
		sum := res.summary()
		require.Equal(t, map[string]int{"ok": 1}, sum.outcomes)
		require.Equal(t, 1, sum.retries)
		require.Equal(t, 1, sum.completed)
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"9227000000", time.Hour}, // would overflow a Duration
		{"3601", time.Hour},
		{now.AddDate(30, 0, 0).Format(http.TimeFormat), time.Hour},
	} {
		require.Equal(t, tc.want, retryAfter(tc.in, now), "Retry-After: %q", tc.in)
	}
}

// Each way a probe fails maps to one code, with its priority deciding
// which failure of a round is surfaced.
func TestProbeFailuresCarryCodes(t *testing.T) {
	errs := []error{
		failure(errprio.CodeCannotConnectNow, "a", "503", "", time.Second, nil),
		failure(codeProbeTimeout, "b", "slow", "", 0, nil),
		failure(codeGone, "c", "404 Not Found", "remove it", 0, nil),
		failure(codeUnreachable, "d", "cannot connect", "", 0, errors.New("connection refused")),
	}
	require.Same(t, errs[2], errprio.Highest(errs...))
	require.Same(t, errs[3], errprio.Highest(errs[0], errs[1], errs[3]))
	require.Equal(t, "target_gone (PRB04): c: 404 Not Found; hint: remove it", consumerLine(errs[2]))
	require.Equal(t, "target_unreachable (PRB02): d: cannot connect [retryable]", consumerLine(errs[3]))
	for _, e := range errs {
		require.Equal(t, errprio.CodeOf(e) != codeGone, errprio.Retryable(e), fmt.Sprint(e))
	}
}

func readState(t *testing.T, dir string) state {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	require.NoError(t, err)
	var st state
	require.NoError(t, json.Unmarshal(data, &st))
	return st
}

// Retry-After comes from the target: any header value gives a wait that
// is not negative, and never a panic.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, seed := range []string{"", "0", "3", "-1", "99999999999999999999", "Wed, 25 Nov 2026 12:01:30 GMT", "soon", "1.5"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := retryAfter(v, now)
		if d < 0 || d > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %s, want 0 to %s", v, d, maxRetryAfter)
		}
	})
}

// Targets come from flags and from a file anyone may edit: checkTarget
// accepts only URLs the HTTP client can request.
func FuzzCheckTarget(f *testing.F) {
	for _, seed := range []string{"http://demo/healthy", "https://example.com:8443/x?y=1", "ftp://x", "http://", "://", "http://[::1", "demo:80"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkTarget(s) != nil {
			return
		}
		if _, err := http.NewRequest(http.MethodGet, s, nil); err != nil {
			t.Fatalf("checkTarget accepted %q, which http.NewRequest refuses: %v", s, err)
		}
	})
}

// -h lists every flag with its type and, after the flags, the environment
// variable of every option; each listed variable is one LoadEnv reads:
// setting every one of them to its flag's default changes nothing.
func TestUsageListsEnvironment(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), []string{"-h"}, environment{out: &out})
	require.ErrorIs(t, err, flag.ErrHelp)
	usage := out.String()

	fs := flag.NewFlagSet("options", flag.ContinueOnError)
	defaults := DefaultOptions()
	require.NoError(t, options.BindFlags(fs, "", &defaults))
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		env := envName(f.Name)
		require.Regexp(t, `(?m)^  `+regexp.QuoteMeta(env)+` +-`+regexp.QuoteMeta(f.Name)+`$`, usage)
		t.Setenv(env, f.DefValue)
	})
	require.Greater(t, n, 10, "the options' flags")
	// Each flag shows its type as the standard flags do.
	require.Regexp(t, `(?m)^  -concurrency int$`, usage)
	require.Regexp(t, `(?m)^  -interval duration$`, usage)
	require.Regexp(t, `(?m)^  -state-dir string$`, usage)
	require.Regexp(t, `(?m)^  -demo$`, usage, "a bool flag takes no value")
	require.Contains(t, usage, "PROBER_INTERVAL ", "the variable the README tells users to set")
	require.NotContains(t, usage, "PROBER_V ", "the -v shorthand is no option")

	opts, err := parseOptions(nil, io.Discard)
	require.NoError(t, err, "every listed variable is one LoadEnv reads")
	require.Equal(t, DefaultOptions(), opts)
}
