package testmode_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// newManualClient returns a client in Manual mode with no engine, as a
// test builds it, whose WelcomeWorker sends to outbox.
func newManualClient(outbox *Outbox) (*testmode.Client, error) {
	cfg := testmode.DefaultConfig()
	cfg.Mode = testmode.Manual // no Engine needed: no insert can reach one
	if err := testmode.AddWorker(cfg.Workers, WelcomeWorker{outbox}); err != nil {
		return nil, err
	}
	return testmode.NewClient(cfg)
}

// A test client needs no engine when every insert is recorded or run in
// place; an insert that would need one says so.
func ExampleNewClient_withoutEngine() {
	client, err := newManualClient(&Outbox{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_, err = client.Insert(ctx, WelcomeArgs{Email: "ada@example.com"}, nil)
	fmt.Println("manual insert:", err)
	_, err = client.Insert(testmode.WithMode(ctx, testmode.Disabled), WelcomeArgs{Email: "bob@example.com"}, nil)
	fmt.Println("needs an engine:", errors.Is(err, testmode.ErrNoEngine))
	// Output:
	// manual insert: <nil>
	// needs an engine: true
}

// River's RequireInserted: exactly one job, returned with its args typed.
func ExampleAssertEnqueuedOnce() {
	t := &exampleT{}
	client, err := newManualClient(&Outbox{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Signup(context.Background(), client, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	job := testmode.AssertEnqueuedOnce[WelcomeArgs](t, client, testmode.Match{Queue: "mail"})
	fmt.Println(job.Args.Email, job.Queue, job.Attempt)

	// A second signup makes the assertion ambiguous: it fails, listing
	// both jobs.
	if err := Signup(context.Background(), client, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	testmode.AssertEnqueuedOnce[WelcomeArgs](t, client, testmode.Match{Queue: "mail"})
	// Output:
	// ada@example.com mail 0
	// FAIL: testmode: AssertEnqueuedOnce: want exactly one enqueued job matching Match{Kind: "welcome_email", Queue: "mail"}, found 2 (AssertEnqueuedInOrder asserts on several):
	//   job 1 (kind "welcome_email", queue "mail", args {"email":"ada@example.com"}, state available)
	//   job 2 (kind "welcome_email", queue "mail", args {"email":"bob@example.com"}, state available)
}

// River's RequireManyInserted: these jobs, in this order, nothing else.
func ExampleAssertEnqueuedInOrder() {
	t := &exampleT{}
	client, err := newManualClient(&Outbox{})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		if err := Signup(context.Background(), client, email); err != nil {
			t.Fatal(err)
		}
	}
	rows := testmode.AssertEnqueuedInOrder(t, client,
		testmode.Match{Kind: "welcome_email", Args: map[string]any{"email": "ada@example.com"}},
		testmode.Match{Kind: "welcome_email", Args: map[string]any{"email": "bob@example.com"}},
	)
	fmt.Println(len(rows), "jobs in order")
	testmode.AssertEnqueuedInOrder(t, client,
		testmode.Match{Kind: "welcome_email", Args: map[string]any{"email": "bob@example.com"}},
	)
	// Output:
	// 2 jobs in order
	// FAIL: testmode: AssertEnqueuedInOrder: want 1 job(s) in this order, found 2:
	//   [0] job 1 (kind "welcome_email", args {"email":"ada@example.com"})
	//       Args.email: got "ada@example.com", want "bob@example.com"
	//   [1] job 2 (kind "welcome_email", args {"email":"bob@example.com"}): not wanted
}

// Match.State asks for jobs that are no longer enqueued: here, the one a
// drain completed.
func ExampleMatch_state() {
	t := &exampleT{}
	outbox := &Outbox{}
	client, err := newManualClient(outbox)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := Signup(ctx, client, "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := testmode.Drain(ctx, client, testmode.DrainOpts{}); err != nil {
		t.Fatal(err)
	}
	testmode.RefuteEnqueued(t, client, testmode.Match{Kind: "welcome_email"})
	one := 1
	row := testmode.AssertEnqueued(t, client, testmode.Match{Kind: "welcome_email", State: testmode.StateCompleted, Attempt: &one})
	fmt.Println(row.State, "after", row.Attempt, "attempt")
	// Output:
	// completed after 1 attempt
}

// Integers in Match.Args compare exactly, at any size: a 64-bit ID never
// matches its neighbour, as it would through float64.
func ExampleMatch_largeIntegers() {
	t := &exampleT{}
	cfg := testmode.DefaultConfig()
	cfg.Mode = testmode.Manual
	if err := testmode.AddWorker(cfg.Workers, testmode.WorkerFunc[AccountArgs](func(context.Context, *testmode.Job[AccountArgs]) error { return nil })); err != nil {
		t.Fatal(err)
	}
	client, err := testmode.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Insert(context.Background(), AccountArgs{ID: math.MaxInt64}, nil); err != nil {
		t.Fatal(err)
	}
	testmode.RefuteEnqueued(t, client, testmode.Match{Args: AccountArgs{ID: math.MaxInt64 - 1}})
	row := testmode.AssertEnqueued(t, client, testmode.Match{Args: map[string]any{"id": int64(math.MaxInt64)}})
	fmt.Println(string(row.EncodedArgs))
	// Output:
	// {"id":9223372036854775807}
}

// AccountArgs carries a 64-bit ID.
type AccountArgs struct {
	ID int64 `json:"id"`
}

func (AccountArgs) Kind() string { return "close_account" }

// ReportWorker gives up quietly on its last attempt, and backs off by the
// attempt number in minutes before.
type ReportWorker struct{}

func (ReportWorker) Perform(_ context.Context, job *testmode.Job[AccountArgs]) error {
	if job.Attempt == job.MaxAttempts {
		return nil // the report is skipped, not retried forever
	}
	return errors.New("report service unavailable")
}

func (ReportWorker) Backoff(job *testmode.Job[AccountArgs], _ error) time.Duration {
	return time.Duration(job.Attempt) * time.Minute
}

// PerformJobWith runs attempt N at a given time, as Oban's perform_job
// with attempt: and attempted_at:, so the last-attempt branch and the
// backoff at attempt N are tested without running N attempts.
func ExamplePerformJobWith() {
	t := &exampleT{}
	ctx := context.Background()
	at := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	opts := testmode.PerformOpts{Insert: &testmode.InsertOpts{MaxAttempts: 5}, Attempt: 3, AttemptedAt: at}
	res := testmode.PerformJobWith(ctx, t, testmode.Worker[AccountArgs](ReportWorker{}), AccountArgs{ID: 7}, opts)
	fmt.Println(res.Outcome, "next run", res.NextRun.Format(time.Kitchen))
	opts.Attempt = 5
	res = testmode.PerformJobWith(ctx, t, testmode.Worker[AccountArgs](ReportWorker{}), AccountArgs{ID: 7}, opts)
	fmt.Println(res.Outcome, "on the last attempt")
	// Output:
	// retry next run 12:03PM
	// completed on the last attempt
}

// Summarize counts a drain's attempts by outcome, as Oban's drain_queue
// returns counts; DueBy runs what will be due by a given time.
func ExampleSummarize() {
	t := &exampleT{}
	client, err := newManualClient(&Outbox{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for _, p := range []struct {
		email string
		in    time.Duration
	}{{"ada@example.com", 0}, {"not an address", 0}, {"bob@example.com", time.Hour}, {"cy@example.com", 48 * time.Hour}} {
		if _, err := client.Insert(ctx, WelcomeArgs{Email: p.email}, &testmode.InsertOpts{ScheduledAt: now.Add(p.in)}); err != nil {
			t.Fatal(err)
		}
	}
	results, err := testmode.Drain(ctx, client, testmode.DrainOpts{DueBy: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(testmode.Summarize(results))
	// Output:
	// completed 2, retried 0, snoozed 0, cancelled 1, discarded 0, returned 0, panicked 0
}

// Match.Tags is a subset, as Oban's tags; ExactTags makes it River's exact,
// ordered comparison.
func ExampleMatch_tags() {
	client, err := newManualClient(&Outbox{})
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := &testmode.InsertOpts{Tags: []string{"signup", "eu"}}
	if _, err := client.Insert(context.Background(), WelcomeArgs{Email: "ada@example.com"}, opts); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range []testmode.Match{
		{Tags: []string{"eu"}},
		{Tags: []string{"eu"}, ExactTags: true},
		{Tags: []string{"signup", "eu"}, ExactTags: true},
	} {
		rows, err := testmode.AllEnqueued(client, m)
		fmt.Println(m, len(rows), err)
	}
	// Output:
	// Match{Tags: to contain ["eu"]} 1 <nil>
	// Match{Tags: exactly ["eu"]} 0 <nil>
	// Match{Tags: exactly ["signup" "eu"]} 1 <nil>
}
