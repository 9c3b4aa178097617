// Command job-testing runs the welcome email worker of package welcome the
// way production runs it: a testmode.Client in Disabled mode hands the jobs
// to an in-process testmode.MemoryEngine, which runs them in the background
// with retries. The worker's tests, in welcome/welcome_test.go, run the same
// code in the three modes: Inline (unit tests), Manual (an integration test
// with AssertEnqueued and Drain) and Disabled on a MemoryEngine.
//
// It sends four emails through a demo mail provider in memory: one is
// accepted, one is throttled twice with a retry-after of 200ms, one is
// rejected for good, and one has no valid address. It prints every job's
// attempts and exits 0 in about half a second, with no network:
//
//	go run ./examples/job-testing
//	go test ./examples/job-testing/...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ecopatterns/ecopatterns/examples/job-testing/welcome"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// waitTimeout bounds the wait for the jobs and for the engine's stop.
const waitTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it enqueues the demo's emails, waits
// until every job is final or ctx is cancelled, stops the engine and
// writes what happened to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("job-testing", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	// Every attempt is a JobSpan; the log keeps the final one per job.
	reg, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		return err
	}
	log := &attemptLog{final: make(chan struct{}, 16), attempts: map[int64][]string{}}
	if err := reg.Attach("attempts", []string{testmode.JobSpan.Stop.String(), testmode.JobSpan.Exception.String()}, log); err != nil {
		return err
	}

	mailer := &demoMailer{busy: map[string]int{"bob@example.com": 2}, rejectDomain: "bounce.example"}
	workers := testmode.NewWorkers()
	if err := testmode.AddWorker(workers, welcome.Worker{Mailer: mailer}); err != nil {
		return err
	}
	opts := testmode.DefaultMemoryOptions()
	opts.Name = "job-testing"
	opts.Workers = workers
	opts.Queues = map[string]testmode.QueueOptions{welcome.Queue: {Limit: 2}}
	opts.ShutdownGrace = time.Second
	opts.Telemetry = reg
	engine, err := testmode.NewMemoryEngine(opts)
	if err != nil {
		return err
	}
	// However run ends, the engine stops once: running jobs finish, waiting
	// ones stay pending. The stop gets a deadline of its own, so that it
	// runs even when ctx was cancelled.
	stopEngine := sync.OnceValue(func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), waitTimeout)
		defer cancel()
		return engine.Stop(ctx)
	})
	defer stopEngine()

	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = workers, engine
	client, err := testmode.NewClient(cfg)
	if err != nil {
		return err
	}

	emails := map[int64]string{}
	for i, email := range []string{"ada@example.com", "bob@example.com", "carol@bounce.example", "dave"} {
		row, err := welcome.Enqueue(ctx, client, int64(i+1), email)
		if err != nil {
			return err
		}
		emails[row.ID] = email
	}
	fmt.Fprintf(out, "enqueued %d welcome emails on queue %q\n", len(emails), welcome.Queue)

	timeout := time.After(waitTimeout)
	for range emails {
		select {
		case <-log.final:
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return fmt.Errorf("jobs not final within %s", waitTimeout)
		}
	}
	if err := stopEngine(); err != nil {
		return err
	}

	attempts := log.snapshot()
	for _, id := range slices.Sorted(maps.Keys(emails)) {
		fmt.Fprintf(out, "job %d %s\n", id, emails[id])
		for _, a := range attempts[id] {
			fmt.Fprintf(out, "  %s\n", a)
		}
	}
	fmt.Fprintf(out, "sent: %s\n", strings.Join(mailer.Sent(), ", "))
	fmt.Fprintf(out, "engine stopped, %d jobs pending\n", len(engine.Pending()))
	return nil
}

// attemptLog is a telemetry handler that keeps the attempts of every job,
// by job ID, and signals final on each final outcome.
type attemptLog struct {
	final    chan struct{}
	mu       sync.Mutex
	attempts map[int64][]string
}

// Handle records one JobSpan stop or exception event. It runs in the
// engine's worker, so it only records and never blocks.
func (l *attemptLog) Handle(_ context.Context, e *telemetry.Event) {
	id, _ := e.Attr(testmode.KeyJobID)
	attempt, _ := e.Attr(testmode.KeyAttempt)
	outcome, _ := e.Attr(testmode.KeyOutcome)
	line := fmt.Sprintf("attempt %d: %s", attempt.Int64(), outcome.String())
	if err := e.Error(); err != nil {
		line += ": " + err.Error()
	}
	l.mu.Lock()
	l.attempts[id.Int64()] = append(l.attempts[id.Int64()], line)
	l.mu.Unlock()
	switch testmode.Outcome(outcome.String()) {
	case testmode.OutcomeCompleted, testmode.OutcomeCancelled, testmode.OutcomeDiscarded:
		select {
		case l.final <- struct{}{}:
		default:
		}
	}
}

func (l *attemptLog) snapshot() map[int64][]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.attempts)
}

// demoMailer stands in for a mail provider's API. It is busy for the first
// busy[address] sends to an address, asking to be called again after
// 200ms, and rejects every address of rejectDomain.
type demoMailer struct {
	mu           sync.Mutex
	busy         map[string]int
	rejectDomain string
	sent         []string
}

// Send accepts, throttles or rejects one email.
func (m *demoMailer) Send(ctx context.Context, to, _, _ string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if strings.HasSuffix(to, "@"+m.rejectDomain) {
		return fmt.Errorf("smtp 550 %s: no such user: %w", to, welcome.ErrRejected)
	}
	if m.busy[to] > 0 {
		m.busy[to]--
		return &welcome.RetryAfterError{After: 200 * time.Millisecond}
	}
	m.sent = append(m.sent, to)
	return nil
}

// Sent returns the addresses of the emails accepted, in order.
func (m *demoMailer) Sent() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sent)
}

var (
	_ telemetry.Handler = (*attemptLog)(nil)
	_ welcome.Mailer    = (*demoMailer)(nil)
)
