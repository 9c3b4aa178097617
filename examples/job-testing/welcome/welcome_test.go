package welcome_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/examples/job-testing/welcome"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeMailer answers the sends to an address with its scripted errors, one
// per send, then with nil, and records every email it accepted.
type fakeMailer struct {
	mu      sync.Mutex
	answers map[string][]error
	calls   int
	sent    []string
}

func (m *fakeMailer) Send(_ context.Context, to, subject, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if errs := m.answers[to]; len(errs) > 0 {
		m.answers[to] = errs[1:]
		return errs[0]
	}
	m.sent = append(m.sent, to+": "+subject)
	return nil
}

func (m *fakeMailer) Sent() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sent)
}

// newClient returns a client in mode whose workers send through mailer,
// and the workers for an engine.
func newClient(t *testing.T, mode testmode.Mode, mailer welcome.Mailer, engine testmode.Engine) *testmode.Client {
	t.Helper()
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Engine = mode, engine
	require.NoError(t, testmode.AddWorker(cfg.Workers, welcome.Worker{Mailer: mailer}))
	client, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return client
}

// retryDelays returns how long the job waited after each failed attempt.
// On Inline mode's fake clock an attempt takes no time.
func retryDelays(row *testmode.JobRow) []time.Duration {
	var out []time.Duration
	for i, e := range row.Errors {
		next := row.AttemptedAt
		if i+1 < len(row.Errors) {
			next = row.Errors[i+1].At
		}
		out = append(out, next.Sub(e.At))
	}
	return out
}

// Unit tests, in Inline mode: the job runs during Enqueue, retries included,
// on a fake clock, so the returned row holds the whole history.

func TestInlineRetriesWhenTheProviderAsks(t *testing.T) {
	mailer := &fakeMailer{answers: map[string][]error{
		"ada@example.com": {&welcome.RetryAfterError{After: 30 * time.Second}, &welcome.RetryAfterError{After: 2 * time.Minute}},
	}}
	client := newClient(t, testmode.Inline, mailer, nil)

	row, err := welcome.Enqueue(t.Context(), client, 1, "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, testmode.StateCompleted, row.State)
	require.Equal(t, 3, row.Attempt)
	require.Equal(t, []time.Duration{30 * time.Second, 2 * time.Minute}, retryDelays(row))
	require.Equal(t, "welcome: provider busy, retry after 30s", row.Errors[0].Message)
	require.Equal(t, []string{"ada@example.com: Welcome!"}, mailer.Sent())
}

func TestInlineCancelsARejectedAddress(t *testing.T) {
	mailer := &fakeMailer{answers: map[string][]error{
		"bob@example.com": {fmt.Errorf("smtp 550 no such user: %w", welcome.ErrRejected)},
	}}
	client := newClient(t, testmode.Inline, mailer, nil)

	row, err := welcome.Enqueue(t.Context(), client, 2, "bob@example.com")
	var cancelled *testmode.CancelError
	require.ErrorAs(t, err, &cancelled)
	require.ErrorIs(t, err, welcome.ErrRejected)
	require.Equal(t, testmode.StateCancelled, row.State)
	require.Equal(t, 1, row.Attempt, "a permanent failure is not retried")
	require.Equal(t, 1, mailer.calls)
}

func TestInlineCancelsAnInvalidAddressWithoutSending(t *testing.T) {
	mailer := &fakeMailer{}
	client := newClient(t, testmode.Inline, mailer, nil)

	row, err := welcome.Enqueue(t.Context(), client, 3, "carol")
	require.EqualError(t, err, `testmode: job 1 (kind "welcome_email") cancelled after 1 attempt(s): testmode: job cancelled: welcome: user 3: invalid address "carol"`)
	require.Equal(t, testmode.StateCancelled, row.State)
	require.Zero(t, mailer.calls)
}

func TestInlineDiscardsAfterMaxAttempts(t *testing.T) {
	down := errors.New("dial tcp: connection refused")
	mailer := &fakeMailer{answers: map[string][]error{"dan@example.com": slices.Repeat([]error{down}, welcome.MaxAttempts)}}
	client := newClient(t, testmode.Inline, mailer, nil)

	row, err := welcome.Enqueue(t.Context(), client, 4, "dan@example.com")
	require.ErrorIs(t, err, down)
	require.Equal(t, testmode.StateDiscarded, row.State)
	require.Equal(t, welcome.MaxAttempts, row.Attempt)
	// Other errors follow the default schedule, jitter included.
	for i, d := range retryDelays(row)[:welcome.MaxAttempts-1] {
		require.GreaterOrEqual(t, d, testmode.DefaultBackoff(i+1, 0), "retry %d", i+1)
		require.Less(t, d, testmode.DefaultBackoff(i+1, 1), "retry %d", i+1)
	}
}

// An integration test, in Manual mode: the program's client (Disabled, on
// an engine) records the jobs of this test's context instead; the test
// asserts on them, then drains them.
func TestManualEnqueueThenDrain(t *testing.T) {
	mailer := &fakeMailer{answers: map[string][]error{
		"bob@example.com": {&welcome.RetryAfterError{After: time.Minute}},
	}}
	engine := testmodetest.NewMemoryEngine(t, engineOptions(mailer, nil))
	client := newClient(t, testmode.Disabled, mailer, engine)

	ctx := testmode.WithMode(t.Context(), testmode.Manual)
	for id, email := range map[int64]string{1: "ada@example.com", 2: "bob@example.com"} {
		_, err := welcome.Enqueue(ctx, client, id, email)
		require.NoError(t, err)
	}
	store := testmode.StoreFrom(ctx)
	row := testmode.AssertEnqueued(t, store, testmode.Match{
		Kind:  "welcome_email",
		Queue: welcome.Queue,
		Args:  map[string]any{"email": "bob@example.com", "user_id": testmode.Any},
	})
	require.Equal(t, testmode.StateAvailable, row.State)
	require.Equal(t, welcome.MaxAttempts, row.MaxAttempts)
	require.Empty(t, mailer.Sent(), "Manual mode runs nothing")
	require.Empty(t, engine.Pending(), "the engine never saw the test's jobs")

	// WithScheduled runs bob's retry at once instead of a minute later.
	results, err := testmode.Drain(ctx, client, testmode.DrainOpts{Queue: welcome.Queue, WithScheduled: true, WithRecursion: true})
	require.NoError(t, err)
	var got []string
	for _, r := range results {
		var args welcome.Args
		require.NoError(t, json.Unmarshal(r.Job.EncodedArgs, &args))
		got = append(got, fmt.Sprintf("%s attempt %d: %s", args.Email, r.Job.Attempt, r.Outcome))
	}
	require.ElementsMatch(t, []string{
		"ada@example.com attempt 1: completed",
		"bob@example.com attempt 1: retry",
		"bob@example.com attempt 2: completed",
	}, got)
	require.ElementsMatch(t, []string{"ada@example.com: Welcome!", "bob@example.com: Welcome!"}, mailer.Sent())
	testmode.RefuteEnqueued(t, store, testmode.Match{Kind: "welcome_email"})
}

// engineOptions returns the options of an engine serving the mail queue
// with a worker that sends through mailer, reporting to reg.
func engineOptions(mailer welcome.Mailer, reg *telemetry.Registry) testmode.MemoryOptions {
	opts := testmode.DefaultMemoryOptions()
	opts.Queues = map[string]testmode.QueueOptions{welcome.Queue: {Limit: 2}}
	opts.Telemetry = reg
	if err := testmode.AddWorker(opts.Workers, welcome.Worker{Mailer: mailer}); err != nil {
		panic(err)
	}
	return opts
}

// Production-like, in Disabled mode: the engine runs the jobs in the
// background with real retries. The bubble's fake clock makes the
// provider's Retry-After of an hour pass at once.
func TestDisabledOnMemoryEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mailer := &fakeMailer{answers: map[string][]error{
			"bob@example.com":   {&welcome.RetryAfterError{After: time.Hour}},
			"carol@example.com": {fmt.Errorf("smtp 550: %w", welcome.ErrRejected)},
		}}
		// Attempts are reported as JobSpan events; the test waits for
		// every job to reach a final outcome.
		reg, err := telemetry.New(telemetry.DefaultOptions())
		require.NoError(t, err)
		attempts := make(chan string, 10)
		require.NoError(t, reg.Attach("test", []string{testmode.JobSpan.Stop.String(), testmode.JobSpan.Exception.String()},
			telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
				id, _ := e.Attr(testmode.KeyJobID)
				attempt, _ := e.Attr(testmode.KeyAttempt)
				outcome, _ := e.Attr(testmode.KeyOutcome)
				attempts <- fmt.Sprintf("job %v attempt %v: %v", id, attempt, outcome)
			})))
		engine := testmodetest.NewMemoryEngine(t, engineOptions(mailer, reg))
		client := newClient(t, testmode.Disabled, mailer, engine)

		start := time.Now()
		for id, email := range []string{"ada@example.com", "bob@example.com", "carol@example.com"} {
			row, err := welcome.Enqueue(t.Context(), client, int64(id+1), email)
			require.NoError(t, err)
			require.Equal(t, testmode.StateAvailable, row.State)
		}
		var got []string
		for range 4 {
			got = append(got, <-attempts)
		}
		require.ElementsMatch(t, []string{
			"job 1 attempt 1: completed",
			"job 2 attempt 1: retry",
			"job 2 attempt 2: completed",
			"job 3 attempt 1: cancelled",
		}, got)
		require.Equal(t, time.Hour, time.Since(start), "bob's retry waited for the Retry-After")
		require.ElementsMatch(t, []string{"ada@example.com: Welcome!", "bob@example.com: Welcome!"}, mailer.Sent())
		require.NoError(t, engine.Stop(t.Context()))
		require.Empty(t, engine.Pending())
	})
}
