package testmode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// orderArgs has nested data, to exercise deep-subset matching.
type orderArgs struct {
	ID       int               `json:"id"`
	Customer customer          `json:"customer"`
	Items    []string          `json:"items"`
	Labels   map[string]string `json:"labels,omitempty"`
}

type customer struct {
	Email string `json:"email"`
	VIP   bool   `json:"vip"`
}

func (orderArgs) Kind() string { return "order" }

func newOrderClient(t *testing.T) (*testmode.Client, time.Time) {
	t.Helper()
	ws := newWorkers(t, &taskWorker{})
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[orderArgs](nil2[orderArgs])))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	now := time.Now()
	_, err = c.Insert(ctx, orderArgs{ID: 1, Customer: customer{Email: "ada@example.com", VIP: true}, Items: []string{"tea", "cake"}},
		&testmode.InsertOpts{Queue: "orders", Priority: 1, Tags: []string{"web", "eu"}, Meta: map[string]any{"trace": "abc", "retry": 0}})
	require.NoError(t, err)
	_, err = c.Insert(ctx, orderArgs{ID: 2, Customer: customer{Email: "bob@example.com"}, Items: []string{"coffee"}},
		&testmode.InsertOpts{Queue: "orders", ScheduledAt: now.Add(10 * time.Minute)})
	require.NoError(t, err)
	_, err = c.Insert(ctx, emailArgs{To: "ada@example.com", Subject: "Thanks"}, &testmode.InsertOpts{Queue: "mail"})
	require.NoError(t, err)
	return c, now
}

func TestAssertEnqueuedMatches(t *testing.T) {
	c, now := newOrderClient(t)
	one, two := 1, 0
	cases := []struct {
		name string
		m    testmode.Match
		want int64 // 0: no match
	}{
		{"kind", testmode.Match{Kind: "order"}, 1},
		{"nothing set matches the oldest", testmode.Match{}, 1},
		{"args subset", testmode.Match{Args: map[string]any{"id": 2}}, 2},
		{"nested subset", testmode.Match{Kind: "order", Args: map[string]any{"customer": map[string]any{"vip": true}}}, 1},
		{"wildcard", testmode.Match{Kind: "email", Args: map[string]any{"to": testmode.Any, "subject": "Thanks"}}, 3},
		{"wildcard needs the key", testmode.Match{Kind: "order", Args: map[string]any{"labels": testmode.Any}}, 0},
		{"list is compared whole", testmode.Match{Args: map[string]any{"items": []any{"tea", "cake"}}}, 1},
		{"list prefix is not enough", testmode.Match{Args: map[string]any{"items": []any{"tea"}}}, 0},
		{"list with wildcard", testmode.Match{Args: map[string]any{"items": []any{testmode.Any, "cake"}}}, 1},
		{"args struct", testmode.Match{Args: emailArgs{To: "ada@example.com", Subject: "Thanks"}}, 3},
		{"args struct, omitempty field left out", testmode.Match{Args: emailArgs{To: "ada@example.com"}}, 3},
		{"args any", testmode.Match{Kind: "email", Args: testmode.Any}, 3},
		{"queue", testmode.Match{Queue: "mail"}, 3},
		{"priority", testmode.Match{Priority: &one}, 1},
		{"priority zero", testmode.Match{Kind: "order", Priority: &two}, 2},
		{"scheduled at within delta", testmode.Match{ScheduledAt: now.Add(10*time.Minute + 500*time.Millisecond)}, 2},
		{"scheduled at outside delta", testmode.Match{ScheduledAt: now.Add(11 * time.Minute)}, 0},
		{"scheduled at custom delta", testmode.Match{ScheduledAt: now.Add(11 * time.Minute), Delta: 2 * time.Minute}, 2},
		{"scheduled in", testmode.Match{ScheduledIn: 10 * time.Minute}, 2},
		{"tags subset", testmode.Match{Tags: []string{"eu"}}, 1},
		{"tags missing", testmode.Match{Tags: []string{"us"}}, 0},
		{"meta subset", testmode.Match{Meta: map[string]any{"trace": "abc", "retry": 0}}, 1},
		{"meta number type does not matter", testmode.Match{Meta: map[string]any{"retry": 0.0}}, 1},
		{"meta mismatch", testmode.Match{Meta: map[string]any{"trace": "xyz"}}, 0},
	}
	for _, tc := range cases {
		f := &fakeTB{}
		row := testmode.AssertEnqueued(f, c, tc.m)
		if tc.want == 0 {
			require.True(t, f.failed, tc.name)
			require.Nil(t, row, tc.name)
			continue
		}
		require.False(t, f.failed, "%s: %s", tc.name, f.message())
		require.Equal(t, tc.want, row.ID, tc.name)
		all, err := testmode.AllEnqueued(c, tc.m)
		require.NoError(t, err)
		require.Equal(t, tc.want, all[0].ID, tc.name)
	}
}

func TestAssertEnqueuedFailureShowsClosest(t *testing.T) {
	c, _ := newOrderClient(t)
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{
		Kind:  "order",
		Queue: "orders",
		Args:  map[string]any{"customer": map[string]any{"email": "ada@example.com", "vip": false}, "items": testmode.Any},
	})
	require.True(t, f.failed)
	require.Equal(t, `testmode: no enqueued job matches Match{Kind: "order", Args: {"customer":{"email":"ada@example.com","vip":false},"items":<any>}, Queue: "orders"}
3 job(s) enqueued; closest:
  job 1 (kind "order", queue "orders", args {"id":1,"customer":{"email":"ada@example.com","vip":true},"items":["tea","cake"]}):
    Args.customer.vip: got true, want false
  job 2 (kind "order", queue "orders", args {"id":2,"customer":{"email":"bob@example.com","vip":false},"items":["coffee"]}):
    Args.customer.email: got "bob@example.com", want "ada@example.com"
  job 3 (kind "email", queue "mail", args {"to":"ada@example.com","subject":"Thanks"}):
    Kind: got "email", want "order"
    Queue: got "mail", want "orders"
    Args.customer: missing, want {"email":"ada@example.com","vip":false}
    Args.items: missing, want <any>`, f.message())
}

func TestAssertEnqueuedOnlyEnqueued(t *testing.T) {
	c := newClient(t, testmode.Inline, &taskWorker{})
	_, err := c.Insert(context.Background(), taskArgs{N: 1}, nil)
	require.NoError(t, err)
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Kind: "task"})
	require.True(t, f.failed)
	require.Contains(t, f.message(), "no job is enqueued (recorded: 1 completed)")
	testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "task"})
}

func TestRefuteEnqueued(t *testing.T) {
	c, _ := newOrderClient(t)
	testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "order", Args: map[string]any{"id": 3}})
	f := &fakeTB{}
	testmode.RefuteEnqueued(f, c, testmode.Match{Kind: "order"})
	require.True(t, f.failed)
	require.Contains(t, f.message(), `testmode: want no enqueued job matching Match{Kind: "order"}, found 2:`)
	require.Contains(t, f.message(), `job 2 (kind "order", queue "orders", args {"id":2,`)
}

func TestAssertEnqueuedArgs(t *testing.T) {
	c, _ := newOrderClient(t)
	job := testmode.AssertEnqueuedArgs(t, c, func(a orderArgs) bool { return len(a.Items) == 1 })
	require.Equal(t, int64(2), job.ID)
	require.Equal(t, "bob@example.com", job.Args.Customer.Email)
	require.Equal(t, "orders", job.Queue)
	require.Equal(t, int64(1), testmode.AssertEnqueuedArgs[orderArgs](t, c, nil).ID)

	f := &fakeTB{}
	testmode.AssertEnqueuedArgs(f, c, func(a orderArgs) bool { return a.ID == 42 })
	require.True(t, f.failed)
	require.Contains(t, f.message(), `no enqueued job of kind "order" has args accepted by the function; 2 job(s) of the kind enqueued`)
}

func TestInvalidMatch(t *testing.T) {
	c, _ := newOrderClient(t)
	_, err := testmode.AllEnqueued(c, testmode.Match{Delta: -time.Second, Args: map[string]any{"f": func() {}}})
	require.ErrorContains(t, err, "testmode: invalid Match: field Delta = -1s: must be >= 0\nfield Args: json: unsupported type: func()")
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Delta: -1})
	require.True(t, f.failed)
	f = &fakeTB{}
	testmode.AssertEnqueued(f, nil, testmode.Match{})
	require.Contains(t, f.message(), "testmode: AssertEnqueued: src is nil")
	_, err = testmode.AllEnqueued(nil, testmode.Match{})
	require.Error(t, err)
}

// TestWithinWaits checks the waiting forms with fake time: no polling, no
// real sleeping.
func TestWithinWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, testmode.Manual, &taskWorker{})
		ctx := testmode.WithMode(context.Background(), testmode.Manual)
		st := testmode.StoreFrom(ctx)
		go func() {
			time.Sleep(3 * time.Second)
			_, _ = c.Insert(ctx, taskArgs{N: 5}, nil)
		}()
		start := time.Now()
		row := testmode.Within(10*time.Second).AssertEnqueued(ctx, t, st, testmode.Match{Args: map[string]any{"n": 5}})
		require.Equal(t, 3*time.Second, time.Since(start), "woken by the insert itself")
		require.Equal(t, int64(1), row.ID)

		// A wait that never matches fails at the deadline with the closest jobs.
		f := &fakeTB{}
		start = time.Now()
		require.Nil(t, testmode.Within(time.Minute).AssertEnqueued(ctx, f, st, testmode.Match{Args: map[string]any{"n": 6}}))
		require.Equal(t, time.Minute, time.Since(start))
		require.Contains(t, f.message(), `no enqueued job matches Match{Args: {"n":6}} after waiting 1m0s`)
		require.Contains(t, f.message(), `Args.n: got 5, want 6`)

		// Context cancellation ends the wait too.
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		f = &fakeTB{}
		testmode.Within(time.Hour).AssertEnqueued(cctx, f, st, testmode.Match{Kind: "email"})
		cancel()
		require.Contains(t, f.message(), "when the context ended (context deadline exceeded)")

		// Refute holds for the whole period...
		start = time.Now()
		testmode.Within(time.Minute).RefuteEnqueued(ctx, t, st, testmode.Match{Kind: "email"})
		require.Equal(t, time.Minute, time.Since(start))
		// ...and fails as soon as a matching job appears.
		go func() {
			time.Sleep(2 * time.Second)
			_, _ = c.Insert(ctx, emailArgs{To: "x@example.com"}, nil)
		}()
		f = &fakeTB{}
		start = time.Now()
		testmode.Within(time.Minute).RefuteEnqueued(ctx, f, st, testmode.Match{Kind: "email"})
		require.Equal(t, 2*time.Second, time.Since(start))
		require.True(t, f.failed)
	})
}

// rawArgs carry JSON as given: its strings keep the escapes they were
// written with.
type rawArgs struct {
	Raw json.RawMessage `json:"raw"`
}

func (rawArgs) Kind() string { return "raw" }

// escapedArgs encode their string with every character escaped, as some
// encoders do.
type escapedArgs struct{ S string }

func (escapedArgs) Kind() string { return "escaped" }

func (a escapedArgs) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{"s":"`)
	for _, r := range a.S {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteString(`"}`)
	return []byte(b.String()), nil
}

func (a *escapedArgs) UnmarshalJSON(b []byte) error {
	var v struct {
		S string `json:"s"`
	}
	err := json.Unmarshal(b, &v)
	a.S = v.S
	return err
}

// TestAssertEnqueuedEscapedStrings: args whose strings are spelled with
// escapes match by what they decode to, in every assertion.
func TestAssertEnqueuedEscapedStrings(t *testing.T) {
	ws := newWorkers(t, nil)
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[rawArgs](nil2[rawArgs])))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[escapedArgs](nil2[escapedArgs])))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	raw, err := c.Insert(ctx, rawArgs{Raw: json.RawMessage(`{"x":"\u0061b","k\u0065y":"<b>"}`)}, nil)
	require.NoError(t, err)
	require.Contains(t, string(raw.EncodedArgs), `"\u0061b"`, "the escape is kept")
	esc, err := c.Insert(ctx, escapedArgs{S: "ada@example.com"}, nil)
	require.NoError(t, err)
	require.NotContains(t, string(esc.EncodedArgs), "ada")
	_, err = c.Insert(ctx, emailArgs{To: "ada@example.com"}, nil) // a literal twin of esc
	require.NoError(t, err)

	for _, tc := range []struct {
		m    testmode.Match
		want []int64
	}{
		{testmode.Match{Args: map[string]any{"raw": map[string]any{"x": "ab"}}}, []int64{raw.ID}},
		{testmode.Match{Kind: "raw", Args: map[string]any{"raw": map[string]any{"key": "<b>", "x": testmode.Any}}}, []int64{raw.ID}},
		{testmode.Match{Args: map[string]any{"s": "ada@example.com"}}, []int64{esc.ID}},
		{testmode.Match{Args: escapedArgs{S: "ada@example.com"}}, []int64{esc.ID}},
		{testmode.Match{Args: map[string]any{"raw": map[string]any{"x": "ac"}}}, nil},
		{testmode.Match{Args: map[string]any{"s": "bob@example.com"}}, nil},
	} {
		all, err := testmode.AllEnqueued(c, tc.m)
		require.NoError(t, err)
		var ids []int64
		for _, row := range all {
			ids = append(ids, row.ID)
		}
		require.Equal(t, tc.want, ids, "%v", tc.m)

		f := &fakeTB{}
		row := testmode.AssertEnqueued(f, c, tc.m)
		require.Equal(t, tc.want == nil, f.failed, "%v: %s", tc.m, f.message())
		if tc.want != nil {
			require.Equal(t, tc.want[0], row.ID, "%v", tc.m)
		}
		f = &fakeTB{}
		testmode.RefuteEnqueued(f, c, tc.m)
		require.Equal(t, tc.want != nil, f.failed, "%v", tc.m)
	}
}

// TestAssertEnqueuedFailureShowsEveryField: the closest jobs list each
// field that differs, for every field of Match.
func TestAssertEnqueuedFailureShowsEveryField(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { // fake time: exact times in the message
		c, now := newOrderClient(t)
		two := 2
		f := &fakeTB{}
		testmode.AssertEnqueued(f, c, testmode.Match{
			Kind:        "order",
			Priority:    &two,
			ScheduledAt: now.Add(time.Hour),
			ScheduledIn: 5 * time.Minute,
			Delta:       time.Minute,
			Tags:        []string{"web", "us"},
			Meta:        map[string]any{"trace": "xyz", "retry": 0, "user": testmode.Any},
		})
		require.True(t, f.failed)
		at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
		require.Equal(t, `testmode: no enqueued job matches Match{Kind: "order", Priority: 2, ScheduledAt: `+at(time.Hour)+` ± 1m0s, ScheduledIn: 5m0s ± 1m0s, Tags: to contain ["web" "us"], Meta: {"retry":0,"trace":"xyz","user":<any>}}
3 job(s) enqueued; closest:
  job 1 (kind "order", queue "orders", args {"id":1,"customer":{"email":"ada@example.com","vip":true},"items":["tea","cake"]}):
    Priority: got 1, want 2
    ScheduledAt: got `+at(0)+`, want `+at(time.Hour)+` ± 1m0s
    ScheduledIn: got 0s, want 5m0s ± 1m0s
    Tags: got ["web" "eu"], want to contain ["web" "us"]
    Meta.trace: got "abc", want "xyz"
    Meta.user: missing, want <any>
  job 2 (kind "order", queue "orders", args {"id":2,"customer":{"email":"bob@example.com","vip":false},"items":["coffee"]}):
    Priority: got 0, want 2
    ScheduledAt: got `+at(10*time.Minute)+`, want `+at(time.Hour)+` ± 1m0s
    ScheduledIn: got 10m0s, want 5m0s ± 1m0s
    Tags: got [], want to contain ["web" "us"]
    Meta.retry: missing, want 0
    Meta.trace: missing, want "xyz"
    Meta.user: missing, want <any>
  job 3 (kind "email", queue "mail", args {"to":"ada@example.com","subject":"Thanks"}):
    Kind: got "email", want "order"
    Priority: got 0, want 2
    ScheduledAt: got `+at(0)+`, want `+at(time.Hour)+` ± 1m0s
    ScheduledIn: got 0s, want 5m0s ± 1m0s
    Tags: got [], want to contain ["web" "us"]
    Meta.retry: missing, want 0
    Meta.trace: missing, want "xyz"
    Meta.user: missing, want <any>`, f.message())
	})
}

// TestWithinRefuteEndsWithContext: the waiting refute passes when its
// context ends first, without waiting out its duration, also after
// changes that did not match.
// The typed assertion has a waiting form too: woken by the insert that
// matches, not by one that does not, and failing at its deadline or when
// its context ends with the jobs of the kind it saw.
func TestAssertEnqueuedArgsWithin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, testmode.Manual, &taskWorker{})
		ctx := testmode.WithMode(context.Background(), testmode.Manual)
		st := testmode.StoreFrom(ctx)
		go func() {
			time.Sleep(time.Second)
			_, _ = c.Insert(ctx, taskArgs{N: 4}, nil) // of the kind, refused by the function
			time.Sleep(2 * time.Second)
			_, _ = c.Insert(ctx, taskArgs{N: 5}, nil)
		}()
		start := time.Now()
		job := testmode.AssertEnqueuedArgsWithin(ctx, t, testmode.Within(10*time.Second), st, func(a taskArgs) bool { return a.N == 5 })
		require.Equal(t, 3*time.Second, time.Since(start), "woken by the matching insert")
		require.Equal(t, 5, job.Args.N)
		require.Equal(t, int64(2), job.ID)

		// Already enqueued: returns at once.
		start = time.Now()
		job = testmode.AssertEnqueuedArgsWithin[taskArgs](ctx, t, testmode.Within(time.Minute), st, nil)
		require.Zero(t, time.Since(start))
		require.Equal(t, 4, job.Args.N, "the oldest job of the kind")

		f := &fakeTB{}
		start = time.Now()
		require.Nil(t, testmode.AssertEnqueuedArgsWithin(ctx, f, testmode.Within(time.Minute), st, func(a taskArgs) bool { return a.N == 6 }))
		require.Equal(t, time.Minute, time.Since(start))
		require.True(t, f.failed)
		require.Contains(t, f.message(), `no enqueued job of kind "task" has args accepted by the function after waiting 1m0s; 2 job(s) of the kind enqueued`)
		require.Contains(t, f.message(), `args {"n":5}`)

		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		f = &fakeTB{}
		require.Nil(t, testmode.AssertEnqueuedArgsWithin[emailArgs](cctx, f, testmode.Within(time.Hour), st, nil))
		require.Contains(t, f.message(), `no enqueued job of kind "email" has args accepted by the function when the context ended (context deadline exceeded); 0 job(s)`)

		f = &fakeTB{}
		require.Nil(t, testmode.AssertEnqueuedArgsWithin[taskArgs](ctx, f, testmode.Within(time.Minute), nil, nil))
		require.Contains(t, f.message(), "AssertEnqueuedArgsWithin: src is nil")
	})
}

func TestWithinRefuteEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient(t, testmode.Manual, &taskWorker{})
		ctx, cancel := context.WithTimeout(testmode.WithMode(context.Background(), testmode.Manual), 5*time.Second)
		defer cancel()
		go func() {
			time.Sleep(2 * time.Second)
			_, _ = c.Insert(ctx, taskArgs{N: 1}, nil) // a change that does not match
		}()
		f := &fakeTB{}
		start := time.Now()
		testmode.Within(time.Hour).RefuteEnqueued(ctx, f, testmode.StoreFrom(ctx), testmode.Match{Kind: "email"})
		require.Equal(t, 5*time.Second, time.Since(start), "returned when the context ended")
		require.False(t, f.failed, f.message())
		require.Len(t, testmode.StoreFrom(ctx).Jobs(), 1)

		// A context that has ended already returns at once.
		start = time.Now()
		testmode.Within(time.Hour).RefuteEnqueued(ctx, f, testmode.StoreFrom(ctx), testmode.Match{Kind: "email"})
		require.Zero(t, time.Since(start))
		require.False(t, f.failed, f.message())
	})
}
