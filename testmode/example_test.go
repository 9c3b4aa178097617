package testmode_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// SyncArgs asks for one account to be synchronized with a remote API.
type SyncArgs struct {
	Account string `json:"account"`
}

func (SyncArgs) Kind() string { return "sync_account" }

// RateLimitError is what the remote API answers when called too often.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string { return "rate limited" }

// SyncWorker is rate limited twice, then succeeds.
type SyncWorker struct{}

func (SyncWorker) Perform(ctx context.Context, job *testmode.Job[SyncArgs]) error {
	if job.Attempt < 3 {
		return &RateLimitError{RetryAfter: time.Duration(job.Attempt) * 30 * time.Second}
	}
	return nil
}

// Backoff sees the error: a rate limit is retried when the API says so,
// anything else after the default backoff.
func (SyncWorker) Backoff(job *testmode.Job[SyncArgs], err error) time.Duration {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	return testmode.DefaultBackoff(job.Attempt, rand.Float64())
}

// A worker whose backoff depends on the error. Inline mode runs the retries
// at once on a fake clock, so the whole history is there after Insert.
func Example_contextualBackoff() {
	cfg := testmode.DefaultConfig()
	cfg.Mode = testmode.Inline
	if err := testmode.AddWorker(cfg.Workers, SyncWorker{}); err != nil {
		fmt.Println(err)
		return
	}
	client, err := testmode.NewClient(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	row, err := client.Insert(context.Background(), SyncArgs{Account: "acme"}, nil)
	fmt.Println("state:", row.State, "after", row.Attempt, "attempts, error:", err)
	for i, e := range row.Errors {
		// On the fake clock an attempt takes no time, so the next attempt
		// started when it ended.
		next := row.AttemptedAt
		if i+1 < len(row.Errors) {
			next = row.Errors[i+1].At
		}
		fmt.Printf("attempt %d: %s, retried %s later\n", e.Attempt, e.Message, next.Sub(e.At))
	}
	// Output:
	// state: completed after 3 attempts, error: <nil>
	// attempt 1: rate limited, retried 30s later
	// attempt 2: rate limited, retried 1m0s later
}

// WelcomeArgs asks for a welcome email.
type WelcomeArgs struct {
	Email string `json:"email"`
}

func (WelcomeArgs) Kind() string { return "welcome_email" }

// Outbox stands for a mail server.
type Outbox struct {
	mu     sync.Mutex
	sent   []string
	notify chan string // if not nil, receives each address sent to
}

func (o *Outbox) Send(to, body string) {
	o.mu.Lock()
	o.sent = append(o.sent, to+": "+body)
	o.mu.Unlock()
	if o.notify != nil {
		o.notify <- to
	}
}

// WelcomeWorker sends welcome emails.
type WelcomeWorker struct{ Outbox *Outbox }

func (w WelcomeWorker) Perform(ctx context.Context, job *testmode.Job[WelcomeArgs]) error {
	if !strings.Contains(job.Args.Email, "@") {
		return testmode.Cancel(fmt.Errorf("invalid address %q", job.Args.Email))
	}
	w.Outbox.Send(job.Args.Email, "welcome!")
	return nil
}

// Signup is the code under test: it enqueues a welcome email.
func Signup(ctx context.Context, jobs *testmode.Client, email string) error {
	_, err := jobs.Insert(ctx, WelcomeArgs{Email: email}, &testmode.InsertOpts{Queue: "mail"})
	return err
}

// A unit test in Inline mode: the job runs during Insert, so the test
// checks its effect right away, and a job that fails fails the call. (An
// example cannot be a test: exampleT stands in for *testing.T.)
func Example_inlineUnitTest() {
	t := &exampleT{}            // in a real test: t *testing.T
	ctx := context.Background() // in a real test: t.Context()

	outbox := &Outbox{}
	cfg := testmode.DefaultConfig()
	cfg.Mode = testmode.Inline
	if err := testmode.AddWorker(cfg.Workers, WelcomeWorker{outbox}); err != nil {
		t.Fatal(err)
	}
	client, err := testmode.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Signup(ctx, client, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("sent:", outbox.sent)

	err = Signup(ctx, client, "not-an-address")
	var cancelled *testmode.CancelError
	fmt.Println("cancelled:", errors.As(err, &cancelled), "-", cancelled.Err)
	// Output:
	// sent: [ada@example.com: welcome!]
	// cancelled: true - invalid address "not-an-address"
}

// An integration test in Manual mode: the jobs wait, the test asserts on
// them (the args as a subset, with a wildcard), then drains them. The
// client is shared by the whole program and runs in Disabled mode; the
// test's context switches it to Manual, with a store of the test's own.
func Example_manualIntegrationTest() {
	t := &exampleT{}            // in a real test: t *testing.T
	ctx := context.Background() // in a real test: t.Context()

	outbox := &Outbox{}
	engine, client := newProductionClient(outbox)
	defer func() { _ = engine.Stop(context.Background()) }()

	ctx = testmode.WithMode(ctx, testmode.Manual)
	if err := Signup(ctx, client, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	store := testmode.StoreFrom(ctx)
	row := testmode.AssertEnqueued(t, store, testmode.Match{
		Kind:  "welcome_email",
		Queue: "mail",
		Args:  map[string]any{"email": testmode.Any},
	})
	fmt.Println("enqueued:", row.Kind, string(row.EncodedArgs), row.State)
	fmt.Println("sent before the drain:", len(outbox.sent))

	results, err := testmode.Drain(ctx, client, testmode.DrainOpts{Queue: "mail"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		fmt.Println("drained: job", r.Job.ID, r.Outcome)
	}
	fmt.Println("sent:", outbox.sent)
	testmode.RefuteEnqueued(t, store, testmode.Match{Kind: "welcome_email"})
	// Output:
	// enqueued: welcome_email {"email":"ada@example.com"} available
	// sent before the drain: 0
	// drained: job 1 completed
	// sent: [ada@example.com: welcome!]
}

// newProductionClient builds what a program builds at startup: a
// MemoryEngine with a mail queue and a client in Disabled mode.
func newProductionClient(outbox *Outbox) (*testmode.MemoryEngine, *testmode.Client) {
	workers := testmode.NewWorkers()
	if err := testmode.AddWorker(workers, WelcomeWorker{outbox}); err != nil {
		panic(err)
	}
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = workers
	opts.Queues = map[string]testmode.QueueOptions{"mail": {Limit: 5}}
	engine, err := testmode.NewMemoryEngine(opts)
	if err != nil {
		panic(err)
	}
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = workers, engine
	client, err := testmode.NewClient(cfg)
	if err != nil {
		panic(err)
	}
	return engine, client
}

// The production engine: jobs run in the background, and Stop lets the
// running ones finish.
func ExampleMemoryEngine() {
	outbox := &Outbox{notify: make(chan string, 2)}
	engine, client := newProductionClient(outbox)
	ctx := context.Background()
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		if _, err := client.Insert(ctx, WelcomeArgs{Email: email}, &testmode.InsertOpts{Queue: "mail"}); err != nil {
			fmt.Println(err)
		}
	}
	// Scheduled for tomorrow: still waiting when the engine stops.
	tomorrow := time.Now().Add(24 * time.Hour)
	if _, err := client.Insert(ctx, WelcomeArgs{Email: "eve@example.com"}, &testmode.InsertOpts{Queue: "mail", ScheduledAt: tomorrow}); err != nil {
		fmt.Println(err)
	}
	<-outbox.notify
	<-outbox.notify
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fmt.Println("stop:", engine.Stop(stopCtx))
	for _, row := range engine.Pending() {
		fmt.Println("pending:", string(row.EncodedArgs), row.State)
	}
	_, err := client.Insert(ctx, WelcomeArgs{Email: "late@example.com"}, &testmode.InsertOpts{Queue: "mail"})
	fmt.Println(errors.Is(err, testmode.ErrEngineStopped))
	// Output:
	// stop: <nil>
	// pending: {"email":"eve@example.com"} scheduled
	// true
}

func ExampleDefaultBackoff() {
	for _, attempt := range []int{1, 2, 3, 10, 20} {
		fmt.Printf("attempt %2d: %v to %v\n", attempt, testmode.DefaultBackoff(attempt, 0), testmode.DefaultBackoff(attempt, 0.999999).Round(time.Second))
	}
	// Output:
	// attempt  1: 17s to 19s
	// attempt  2: 19s to 21s
	// attempt  3: 23s to 25s
	// attempt 10: 17m19s to 19m3s
	// attempt 20: 18h12m31s to 20h1m46s
}

// PerformJob runs one attempt of a worker without any client, as a unit
// test of the worker alone.
func ExamplePerformJob() {
	t := &exampleT{} // in a real test: t *testing.T
	outbox := &Outbox{}
	res := testmode.PerformJob(context.Background(), t, WelcomeWorker{outbox}, WelcomeArgs{Email: "x"}, nil)
	fmt.Println(res.Outcome, res.Err)
	// Output:
	// cancelled testmode: job cancelled: invalid address "x"
}

// exampleT stands in for the *testing.T that an example cannot have: it
// implements testmode.TB, printing failures instead of reporting them.
type exampleT struct{}

func (*exampleT) Helper() {}

func (*exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }

func (*exampleT) FailNow() {}

func (t *exampleT) Fatal(err error) { t.Errorf("%v", err) }
