package testmode_test

// The behaviours of Oban's test/oban/testing_test.exs and River's
// rivertest/rivertest_test.go, ported as cases and expected outcomes.
// Where testmode deliberately differs, the test says so and the package
// doc's table names it.

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// pingArgs and pongArgs stand for Oban's Ping and Pong workers and River's
// Job1Args and Job2Args.
type pingArgs struct {
	ID      int    `json:"id,omitempty"`
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message,omitempty"`
	Dest    string `json:"dest,omitempty"`
}

func (pingArgs) Kind() string { return "ping" }

type pongArgs pingArgs

func (pongArgs) Kind() string { return "pong" }

func newPeerClient(t *testing.T) *testmode.Client {
	t.Helper()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[pingArgs](nil2[pingArgs])))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[pongArgs](nil2[pongArgs])))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

func insert(t *testing.T, c *testmode.Client, args testmode.Args, opts *testmode.InsertOpts) *testmode.JobRow {
	t.Helper()
	row, err := c.Insert(context.Background(), args, opts)
	require.NoError(t, err)
	return row
}

// finish drains the jobs of kind with the given args until final, so they
// leave the enqueued states (Oban's insert!(..., state: "completed")).
func finish(t *testing.T, c *testmode.Client) {
	t.Helper()
	_, err := testmode.Drain(context.Background(), c, testmode.DrainOpts{})
	require.NoError(t, err)
}

// all_enqueued/1 "retrieving a filtered list of enqueued jobs". Deliberate
// difference: Oban lists newest first; AllEnqueued lists oldest first, the
// order the jobs were inserted in.
func TestObanAllEnqueued(t *testing.T) {
	c := newPeerClient(t)
	insert(t, c, pingArgs{ID: 1, Ref: "a"}, &testmode.InsertOpts{Queue: "alpha"})
	insert(t, c, pingArgs{ID: 2, Ref: "b"}, &testmode.InsertOpts{Queue: "alpha"})
	insert(t, c, pongArgs{ID: 3, Ref: "c"}, &testmode.InsertOpts{Queue: "gamma"})
	rows, err := testmode.AllEnqueued(c, testmode.Match{Kind: "ping"})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.JSONEq(t, `{"id":1,"ref":"a"}`, string(rows[0].EncodedArgs), "oldest first (Oban: newest first)")
	rows, err = testmode.AllEnqueued(c, testmode.Match{Kind: "pong", Queue: "gamma"})
	require.NoError(t, err)
	require.Len(t, rows, 1)
}

// assert_enqueued/1 "checking for jobs with matching properties".
func TestObanAssertEnqueuedProperties(t *testing.T) {
	c := newPeerClient(t)
	insert(t, c, pingArgs{ID: 1}, &testmode.InsertOpts{Queue: "alpha"})
	insert(t, c, pongArgs{ID: 2}, &testmode.InsertOpts{Queue: "gamma"})
	insert(t, c, pongArgs{Message: "hello"}, &testmode.InsertOpts{Queue: "gamma"})
	for _, m := range []testmode.Match{
		{Kind: "ping"},
		{Kind: "ping", Queue: "alpha"},
		{Kind: "ping", Queue: "alpha", Args: map[string]any{"id": 1}},
		{Kind: "pong"},
		{Kind: "pong", Queue: "gamma", Args: map[string]any{"message": "hello"}},
		{Args: map[string]any{"id": 1}},
		{Args: map[string]any{"message": "hello"}},
	} {
		testmode.AssertEnqueued(t, c, m)
	}
}

// assert_enqueued/1 "matching timestamps with delta" and "allows to
// configure timestamp delta": 1 s by default, as Oban. On synctest's
// clock, so that the job is inserted exactly a minute before it is due,
// however long the insert takes on a busy machine.
func TestObanAssertEnqueuedScheduledAtDelta(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPeerClient(t)
		now := time.Now()
		insert(t, c, pingArgs{}, &testmode.InsertOpts{ScheduledAt: now.Add(60 * time.Second)})
		testmode.AssertEnqueued(t, c, testmode.Match{Kind: "ping", ScheduledAt: now.Add(60 * time.Second)})
		testmode.AssertEnqueued(t, c, testmode.Match{Kind: "ping", ScheduledAt: now.Add(69 * time.Second), Delta: 10 * time.Second})
		testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "ping", ScheduledAt: now.Add(69 * time.Second)})
		testmode.AssertEnqueued(t, c, testmode.Match{Kind: "ping", ScheduledIn: time.Minute})
		testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "ping", ScheduledIn: time.Minute + 2*time.Second})
	})
}

// assert_enqueued/2 and refute_enqueued/2 "now or will eventually be
// enqueued", on fake time: Within waits on the store's changes.
func TestObanEventuallyEnqueued(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newPeerClient(t)
		insert(t, c, pingArgs{ID: 1}, &testmode.InsertOpts{Queue: "alpha"})
		go func() {
			time.Sleep(50 * time.Millisecond)
			insert(t, c, pongArgs{ID: 2}, &testmode.InsertOpts{Queue: "alpha"})
		}()
		ctx := context.Background()
		testmode.Within(100*time.Millisecond).AssertEnqueued(ctx, t, c, testmode.Match{Kind: "pong", Args: map[string]any{"id": 2}})
		testmode.Within(100*time.Millisecond).AssertEnqueued(ctx, t, c, testmode.Match{Kind: "ping", Args: map[string]any{"id": 1}})

		go func() {
			time.Sleep(50 * time.Millisecond)
			insert(t, c, pingArgs{ID: 3}, nil)
		}()
		testmode.Within(20*time.Millisecond).RefuteEnqueued(ctx, t, c, testmode.Match{Kind: "ping", Args: map[string]any{"id": 3}})
		time.Sleep(time.Second) // the late insert happens, after the refutation held
		synctest.Wait()
		testmode.AssertEnqueued(t, c, testmode.Match{Kind: "ping", Args: map[string]any{"id": 3}})
	})
}

// assert_enqueued/1 "printing a helpful error message": the failure shows
// what was wanted and what is enqueued.
func TestObanAssertEnqueuedMessage(t *testing.T) {
	c := newPeerClient(t)
	insert(t, c, pingArgs{Dest: "some_node"}, nil)
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Kind: "ping", Args: map[string]any{"dest": "other_node"}})
	require.Equal(t, `testmode: no enqueued job matches Match{Kind: "ping", Args: {"dest":"other_node"}}
1 job(s) enqueued; closest:
  job 1 (kind "ping", queue "default", args {"dest":"some_node"}):
    Args.dest: got "some_node", want "other_node"`, f.message())
}

// refute_enqueued/1 "refuting jobs with specific properties": finished
// jobs are not enqueued.
func TestObanRefuteEnqueued(t *testing.T) {
	c := newPeerClient(t)
	insert(t, c, pongArgs{ID: 3}, &testmode.InsertOpts{Queue: "gamma"})
	insert(t, c, pongArgs{ID: 4}, &testmode.InsertOpts{Queue: "gamma"})
	finish(t, c) // completed, as Oban's state: "completed" and "discarded"
	insert(t, c, pingArgs{ID: 1}, &testmode.InsertOpts{Queue: "alpha"})
	insert(t, c, pongArgs{ID: 2}, &testmode.InsertOpts{Queue: "gamma"})
	insert(t, c, pongArgs{Message: "hello"}, &testmode.InsertOpts{Queue: "gamma"})
	for _, m := range []testmode.Match{
		{Kind: "pongo"},
		{Kind: "ping", Args: map[string]any{"id": 2}},
		{Kind: "pong", Args: map[string]any{"id": 3}},
		{Kind: "pong", Args: map[string]any{"id": 4}},
		{Kind: "ping", Queue: "gamma"},
		{Kind: "pong", Queue: "gamma", Args: map[string]any{"message": "helo"}},
	} {
		testmode.RefuteEnqueued(t, c, m)
	}
	// Asked for explicitly, the finished jobs are there.
	testmode.AssertEnqueued(t, c, testmode.Match{Kind: "pong", State: testmode.StateCompleted, Args: map[string]any{"id": 3}})
}

// RequireInserted: VerifiesInsert, FailsWithoutInsert,
// FailsWithTooManyInserts, FailsOnWrongJobInsert.
func TestRiverRequireInserted(t *testing.T) {
	c := newPeerClient(t)
	f := &fakeTB{}
	require.Nil(t, testmode.AssertEnqueuedOnce[pingArgs](f, c, testmode.Match{}))
	require.Contains(t, f.message(), `no enqueued job matches Match{Kind: "ping"}`, "FailsWithoutInsert")

	insert(t, c, pongArgs{Message: "x"}, nil)
	f = &fakeTB{}
	testmode.AssertEnqueuedOnce[pingArgs](f, c, testmode.Match{})
	require.True(t, f.failed, "FailsOnWrongJobInsert")

	insert(t, c, pingArgs{Message: "hello"}, nil)
	job := testmode.AssertEnqueuedOnce[pingArgs](t, c, testmode.Match{})
	require.Equal(t, "hello", job.Args.Message, "VerifiesInsert returns the typed job")

	insert(t, c, pingArgs{Message: "again"}, nil)
	f = &fakeTB{}
	testmode.AssertEnqueuedOnce[pingArgs](f, c, testmode.Match{})
	require.Contains(t, f.message(), "found 2", "FailsWithTooManyInserts")
}

// RequireInserted/InsertOpts and RequireNotInserted/InsertOpts: each
// property alone, all together, and one of several differing. A
// RequireNotInserted fails only when every set property matches, which is
// what RefuteEnqueued with a Match does.
func TestRiverRequireInsertedOpts(t *testing.T) {
	c := newPeerClient(t)
	at := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	insert(t, c, pingArgs{}, &testmode.InsertOpts{MaxAttempts: 45, Priority: 2, Queue: "another", ScheduledAt: at, Tags: []string{"tag1"}})
	two, three := 2, 3
	for name, tc := range map[string]struct {
		same, other testmode.Match
	}{
		"MaxAttempts": {testmode.Match{MaxAttempts: 45}, testmode.Match{MaxAttempts: 44}},
		"Priority":    {testmode.Match{Priority: &two}, testmode.Match{Priority: &three}},
		"Queue":       {testmode.Match{Queue: "another"}, testmode.Match{Queue: "wrong"}},
		"ScheduledAt": {testmode.Match{ScheduledAt: at}, testmode.Match{ScheduledAt: at.Add(time.Minute)}},
		"State":       {testmode.Match{State: testmode.StateScheduled}, testmode.Match{State: testmode.StateAvailable}},
		"Tags":        {testmode.Match{Tags: []string{"tag1"}, ExactTags: true}, testmode.Match{Tags: []string{"tag2"}, ExactTags: true}},
		"MultipleProperties": {
			testmode.Match{MaxAttempts: 45, Priority: &two, Queue: "another", ScheduledAt: at, Tags: []string{"tag1"}},
			testmode.Match{MaxAttempts: 45, Priority: &two, Queue: "wrong", ScheduledAt: at, Tags: []string{"tag1"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			testmode.AssertEnqueuedOnce[pingArgs](t, c, tc.same)
			f := &fakeTB{}
			testmode.AssertEnqueuedOnce[pingArgs](f, c, tc.other)
			require.True(t, f.failed)
			field := name
			if name == "MultipleProperties" {
				field = "Queue" // the one that differs
			}
			require.Contains(t, f.message(), field+": got", "the failure names the field")
			testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "ping", MaxAttempts: tc.other.MaxAttempts, Priority: tc.other.Priority,
				Queue: tc.other.Queue, ScheduledAt: tc.other.ScheduledAt, State: tc.other.State, Tags: tc.other.Tags, ExactTags: tc.other.ExactTags})
			f = &fakeTB{}
			m := tc.same
			m.Kind = "ping"
			testmode.RefuteEnqueued(f, c, m)
			require.True(t, f.failed, "AllSameFails")
		})
	}
}

// RequireNotInserted: SucceedsWithoutInsert, SucceedsOnWrongJobInsert,
// FailsWithTooManyInserts.
func TestRiverRequireNotInserted(t *testing.T) {
	c := newPeerClient(t)
	testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "ping"})
	insert(t, c, pongArgs{}, nil)
	testmode.RefuteEnqueued(t, c, testmode.Match{Kind: "ping"})
	insert(t, c, pingArgs{ID: 1}, nil)
	insert(t, c, pingArgs{ID: 2}, nil)
	f := &fakeTB{}
	testmode.RefuteEnqueued(f, c, testmode.Match{Kind: "ping"})
	require.Contains(t, f.message(), "found 2")
}

// RequireManyInserted: VerifiesMultipleDifferentKind, SameKind, Multitude,
// InsertOpts; FailsWithoutInsert, TooManyInserts, WrongInsertOrder,
// FailsOnInsertOpts.
func TestRiverRequireManyInserted(t *testing.T) {
	c := newPeerClient(t)
	f := &fakeTB{}
	testmode.AssertEnqueuedInOrder(f, c, testmode.Match{Kind: "ping"})
	require.Contains(t, f.message(), "found 0", "FailsWithoutInsert")

	insert(t, c, pingArgs{}, &testmode.InsertOpts{Queue: "q1"})
	insert(t, c, pongArgs{}, nil)
	insert(t, c, pingArgs{}, &testmode.InsertOpts{Queue: "q2"})
	testmode.AssertEnqueuedInOrder(t, c, testmode.Match{Kind: "ping"}, testmode.Match{Kind: "pong"}, testmode.Match{Kind: "ping"})
	testmode.AssertEnqueuedInOrder(t, c, testmode.Match{Kind: "ping", Queue: "q1"}, testmode.Match{Kind: "ping", Queue: "q2"})

	for name, want := range map[string][]testmode.Match{
		"TooManyInserts":    {{Kind: "ping"}},
		"WrongInsertOrder":  {{Kind: "pong"}, {Kind: "ping"}, {Kind: "ping"}},
		"FailsOnInsertOpts": {{Kind: "ping", Queue: "q2"}, {Kind: "ping", Queue: "q1"}},
	} {
		f := &fakeTB{}
		testmode.AssertEnqueuedInOrder(f, c, want...)
		require.True(t, f.failed, name)
	}
}
