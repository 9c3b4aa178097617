package testmode

import (
	"context"
	"fmt"
	"time"
)

// TB is the part of testing.TB the helpers use, so that this package does
// not import testing. *testing.T, *testing.B and *testing.F satisfy it. A
// helper that fails calls Errorf once, with the whole message, then FailNow.
type TB interface {
	// Helper marks the calling function as a test helper, so that failures
	// are reported at the helper's caller. It may do nothing.
	Helper()
	// Errorf records a failure with a message formatted as by fmt.Sprintf,
	// and lets the test go on.
	Errorf(format string, args ...any)
	// FailNow marks the test failed and stops it. testing's FailNow does
	// not return (it calls runtime.Goexit); an implementation that returns,
	// such as a recorder of failures, is allowed: the helper then returns
	// at once, doing nothing more.
	FailNow()
}

// closestShown is how many near misses a failed assertion prints.
const closestShown = 3

// AssertEnqueued fails the test (Errorf, then FailNow) unless an enqueued
// job of src (a job in m.State, when set) matches m, and returns the
// oldest such job. The failure names
// the match and prints the closest enqueued jobs with each field that
// differs. Lookups by Kind use the store's index by kind.
func AssertEnqueued(t TB, src Recorded, m Match) *JobRow {
	t.Helper()
	mt, st := prepareAssert(t, "AssertEnqueued", src, m)
	if mt == nil {
		return nil
	}
	st.mu.Lock()
	found := st.find(mt, 1)
	var why string
	if len(found) == 0 {
		why = st.closest(mt, closestShown)
	}
	st.mu.Unlock()
	if len(found) == 0 {
		t.Errorf("testmode: no %s job matches %v\n%s", mt.scope(), m, why)
		t.FailNow()
		return nil
	}
	return found[0]
}

// RefuteEnqueued fails the test (Errorf, then FailNow) when an enqueued job
// of src (a job in m.State, when set) matches m, naming the jobs that do.
func RefuteEnqueued(t TB, src Recorded, m Match) {
	t.Helper()
	mt, st := prepareAssert(t, "RefuteEnqueued", src, m)
	if mt == nil {
		return
	}
	st.mu.Lock()
	found := st.find(mt, 0)
	st.mu.Unlock()
	if len(found) > 0 {
		refuteFailed(t, m, found)
	}
}

// scopeOf is matcher.scope for a Match.
func scopeOf(m Match) string { return (&matcher{m: m}).scope() }

func refuteFailed(t TB, m Match, found []*JobRow) {
	t.Helper()
	t.Errorf("testmode: want no %s job matching %v, found %d:%s", scopeOf(m), m, len(found), listJobs(found))
	t.FailNow()
}

// AssertEnqueuedArgs fails the test (Errorf, then FailNow) unless an
// enqueued job of src has args of type T (of T's kind) for which match
// returns true, and returns the oldest such job with its args decoded. A
// nil match accepts any args of the kind.
func AssertEnqueuedArgs[T Args](t TB, src Recorded, match func(args T) bool) *Job[T] {
	t.Helper()
	kind, st := prepareArgs[T](t, src, "AssertEnqueuedArgs")
	if st == nil {
		return nil
	}
	rows := st.enqueued(kind)
	job, err := firstArgs(rows, match)
	if job == nil {
		argsFailed(t, kind, rows, err, "")
	}
	return job
}

// AssertEnqueuedArgsWithin is AssertEnqueuedArgs that waits until a job with
// args accepted by match is enqueued (it may already be), up to w's
// duration, or until ctx ends. The failure says which ended the wait. It
// is a function, not a method of Waiter, because Go methods take no type
// parameters.
func AssertEnqueuedArgsWithin[T Args](ctx context.Context, t TB, w Waiter, src Recorded, match func(args T) bool) *Job[T] {
	t.Helper()
	kind, st := prepareArgs[T](t, src, "AssertEnqueuedArgsWithin")
	if st == nil {
		return nil
	}
	var rows []*JobRow
	var job *Job[T]
	var err error
	ended := w.await(ctx, st, func() bool {
		rows = st.enqueued(kind)
		job, err = firstArgs(rows, match) // outside the lock: match is the caller's code
		return job != nil || err != nil
	})
	if job == nil {
		argsFailed(t, kind, rows, err, ended)
	}
	return job
}

// prepareArgs returns T's kind and src's store for an assertion named
// name, or fails the test and returns a nil store.
func prepareArgs[T Args](t TB, src Recorded, name string) (string, *Store) {
	t.Helper()
	kind, err := zeroKind[T]()
	if err != nil {
		t.Errorf("testmode: %s: %v", name, err)
		t.FailNow()
		return "", nil
	}
	return kind, storeOf(t, name, src)
}

// enqueued returns the enqueued rows of kind, oldest first.
func (s *Store) enqueued(kind string) []*JobRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []*JobRow
	for _, rec := range s.byKind[kind] {
		if rec.enq {
			rows = append(rows, rec.row)
		}
	}
	return rows
}

// firstArgs returns the first of rows whose args, decoded as T, match
// accepts (any, when match is nil), or an error when args do not decode.
func firstArgs[T Args](rows []*JobRow, match func(args T) bool) (*Job[T], error) {
	for _, row := range rows {
		job := new(Job[T])
		if err := decodeJob(row, job); err != nil {
			return nil, err
		}
		if match == nil || match(job.Args) {
			return job, nil
		}
	}
	return nil, nil
}

// argsFailed fails the test of a typed assertion: with err when args did
// not decode, otherwise listing the jobs of kind that match refused; ended
// says what ended a wait.
func argsFailed(t TB, kind string, rows []*JobRow, err error, ended string) {
	t.Helper()
	if err != nil {
		t.Errorf("testmode: AssertEnqueuedArgs: %v", err)
		t.FailNow()
		return
	}
	if ended != "" {
		ended = " " + ended
	}
	msg := fmt.Sprintf("testmode: no enqueued job of kind %q has args accepted by the function%s; %d job(s) of the kind enqueued", kind, ended, len(rows))
	for _, row := range rows[:min(len(rows), 10)] {
		msg += fmt.Sprintf("\n  job %d (queue %q): args %s", row.ID, row.Queue, row.EncodedArgs)
	}
	t.Errorf("%s", msg)
	t.FailNow()
}

// AllEnqueued returns the enqueued jobs of src (the jobs in m.State, when
// set) that match m, oldest first. It returns an error for a nil source
// (see Recorded) and for an invalid Match (a negative Delta or
// MaxAttempts, an unknown State, Args or Meta that do not encode as JSON).
func AllEnqueued(src Recorded, m Match) ([]*JobRow, error) {
	st, err := sourceStore("AllEnqueued", src)
	if err != nil {
		return nil, err
	}
	mt, err := compile(m)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.find(mt, 0), nil
}

// sourceStore returns the store src stands for, or an error for the
// helper name that says what was nil and how to get a real source.
func sourceStore(name string, src Recorded) (*Store, error) {
	switch s := src.(type) {
	case nil:
		return nil, fmt.Errorf("testmode: %s: src is nil: pass the *Store of a context from WithMode "+
			"(testmode.StoreFrom(ctx)), or the *Client whose own store records the jobs", name)
	case *Store:
		if s == nil {
			return nil, fmt.Errorf("testmode: %s: src is a nil *Store: StoreFrom returns nil for a context "+
				"that did not go through WithMode; derive the context of the inserts with "+
				"ctx = testmode.WithMode(ctx, testmode.Manual) and pass testmode.StoreFrom(ctx), or pass the *Client", name)
		}
		return s, nil
	case *Client:
		if s == nil {
			return nil, fmt.Errorf("testmode: %s: src is a nil *Client: build the client with testmode.NewClient, "+
				"or pass the *Store of a context from WithMode", name)
		}
		return &s.store, nil
	}
	return src.recorded(), nil
}

// storeOf returns the store src stands for, or fails the test of the
// helper name and returns nil.
func storeOf(t TB, name string, src Recorded) *Store {
	t.Helper()
	st, err := sourceStore(name, src)
	if err != nil {
		t.Errorf("%v", err)
		t.FailNow()
		return nil
	}
	return st
}

func prepareAssert(t TB, name string, src Recorded, m Match) (*matcher, *Store) {
	t.Helper()
	st := storeOf(t, name, src)
	if st == nil {
		return nil, nil
	}
	mt, err := compile(m)
	if err != nil {
		t.Errorf("testmode: %s: %v", name, err)
		t.FailNow()
		return nil, nil
	}
	return mt, st
}

// Waiter is the waiting form of the assertions, returned by Within.
type Waiter struct {
	d time.Duration
}

// Within returns the assertions that wait up to d for the store to reach
// the asserted state. They wait on the store's change notifications, never
// by polling, so in a testing/synctest bubble they cost no real time.
func Within(d time.Duration) Waiter { return Waiter{d: d} }

// AssertEnqueued is AssertEnqueued that waits until a matching job is
// enqueued (it may already be), up to the Waiter's duration, or until ctx
// ends. The failure says which ended the wait.
func (w Waiter) AssertEnqueued(ctx context.Context, t TB, src Recorded, m Match) *JobRow {
	t.Helper()
	mt, st := prepareAssert(t, "Within.AssertEnqueued", src, m)
	if mt == nil {
		return nil
	}
	var found []*JobRow
	ended := w.await(ctx, st, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		found = st.find(mt, 1)
		return len(found) > 0
	})
	if ended == "" {
		return found[0]
	}
	st.mu.Lock()
	why := st.closest(mt, closestShown)
	st.mu.Unlock()
	t.Errorf("testmode: no %s job matches %v %s\n%s", mt.scope(), m, ended, why)
	t.FailNow()
	return nil
}

// RefuteEnqueued is RefuteEnqueued held for the Waiter's whole duration:
// it fails as soon as a matching job is enqueued, and passes when the
// duration ends (or ctx does) without one.
func (w Waiter) RefuteEnqueued(ctx context.Context, t TB, src Recorded, m Match) {
	t.Helper()
	mt, st := prepareAssert(t, "Within.RefuteEnqueued", src, m)
	if mt == nil {
		return
	}
	var found []*JobRow
	if w.await(ctx, st, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		found = st.find(mt, 0)
		return len(found) > 0
	}) == "" {
		refuteFailed(t, m, found)
	}
}

// await calls done until it returns true, waking at each change of st, for
// up to w's duration or until ctx ends. It returns "" when done returned
// true, otherwise what ended the wait, for a failure message. done takes
// st's lock itself; a change made while it runs wakes the next call, as the
// change notification is taken before.
func (w Waiter) await(ctx context.Context, st *Store, done func() bool) (ended string) {
	timer := time.NewTimer(w.d)
	defer timer.Stop()
	for {
		st.mu.Lock()
		changed := st.watch()
		st.mu.Unlock()
		if done() {
			return ""
		}
		select {
		case <-changed:
		case <-timer.C:
			return "after waiting " + w.d.String()
		case <-ctx.Done():
			return "when the context ended (" + context.Cause(ctx).Error() + ")"
		}
	}
}
