package testmode

import (
	"fmt"
	"strings"
)

// shownJobs is how many jobs a failure lists at most.
const shownJobs = 10

// AssertEnqueuedOnce fails the test (Errorf, then FailNow) unless exactly
// one job of src matches m, and returns that job with its args decoded as
// T, as River's RequireInserted does. m.Kind may be empty (it is then T's
// kind) and must otherwise be T's kind. Like AssertEnqueued, it looks at
// enqueued jobs unless m.State names another state. The failure lists the
// closest jobs when none matches, and the matching ones when several do.
func AssertEnqueuedOnce[T Args](t TB, src Recorded, m Match) *Job[T] {
	t.Helper()
	const name = "AssertEnqueuedOnce"
	kind, st := prepareArgs[T](t, src, name)
	if st == nil {
		return nil
	}
	if m.Kind != "" && m.Kind != kind {
		t.Errorf("testmode: %s: Match.Kind is %q, but %T has kind %q", name, m.Kind, *new(T), kind)
		t.FailNow()
		return nil
	}
	m.Kind = kind
	mt, st := prepareAssert(t, name, st, m)
	if mt == nil {
		return nil
	}
	st.mu.Lock()
	found := st.find(mt, 0)
	var why string
	if len(found) == 0 {
		why = st.closest(mt, closestShown)
	}
	st.mu.Unlock()
	switch {
	case len(found) == 0:
		t.Errorf("testmode: %s: no %s job matches %v\n%s", name, mt.scope(), m, why)
		t.FailNow()
		return nil
	case len(found) > 1:
		t.Errorf("testmode: %s: want exactly one %s job matching %v, found %d (AssertEnqueuedInOrder asserts on several):%s",
			name, mt.scope(), m, len(found), listJobs(found))
		t.FailNow()
		return nil
	}
	job := new(Job[T])
	if err := decodeJob(found[0], job); err != nil {
		t.Errorf("testmode: %s: %v", name, err)
		t.FailNow()
		return nil
	}
	return job
}

// listJobs describes up to shownJobs rows, one per line, for a failure.
func listJobs(rows []*JobRow) string {
	var b strings.Builder
	for _, row := range rows[:min(len(rows), shownJobs)] {
		fmt.Fprintf(&b, "\n  job %d (kind %q, queue %q, args %s, state %s)", row.ID, row.Kind, row.Queue, row.EncodedArgs, row.State)
	}
	if len(rows) > shownJobs {
		fmt.Fprintf(&b, "\n  and %d more", len(rows)-shownJobs)
	}
	return b.String()
}

// AssertEnqueuedInOrder fails the test (Errorf, then FailNow) unless the
// jobs of src that it looks at are exactly len(want) jobs, the i-th
// inserted matching want[i], as River's RequireManyInserted; it returns
// them in insertion order. It looks at the jobs of the kinds that want
// names (every kind when a Match has no Kind), as River does, that are
// enqueued or in a State that one of want names. A kind expected twice
// must be listed twice; with no Match at all, it asserts that no job is
// enqueued. The failure lists the jobs found next to what was
// wanted at each position.
func AssertEnqueuedInOrder(t TB, src Recorded, want ...Match) []*JobRow {
	t.Helper()
	const name = "AssertEnqueuedInOrder"
	st := storeOf(t, name, src)
	if st == nil {
		return nil
	}
	mts := make([]*matcher, len(want))
	for i, m := range want {
		mt, err := compile(m)
		if err != nil {
			t.Errorf("testmode: %s: want[%d]: %v", name, i, err)
			t.FailNow()
			return nil
		}
		mts[i] = mt
	}
	st.mu.Lock()
	recs := st.ordered(mts)
	var diffs [][]string
	ok := len(recs) == len(mts)
	for i, rec := range recs {
		var d []string
		if i < len(mts) && !(mts[i].inScope(rec) && mts[i].matches(rec)) {
			if !mts[i].inScope(rec) && mts[i].m.State == "" {
				d = append(d, fmt.Sprintf("State: got %s, want enqueued", rec.state()))
			}
			d = append(d, mts[i].diff(rec)...)
			ok = false
		}
		diffs = append(diffs, d)
	}
	rows := make([]*JobRow, len(recs))
	for i, rec := range recs {
		rows[i] = rec.row
	}
	st.mu.Unlock()
	if ok {
		return rows
	}
	var b strings.Builder
	fmt.Fprintf(&b, "testmode: %s: want %d job(s) in this order, found %d:", name, len(want), len(rows))
	for i := range max(len(rows), len(want)) {
		switch {
		case i >= len(rows):
			fmt.Fprintf(&b, "\n  [%d] missing, want %v", i, want[i])
		case i >= len(want):
			fmt.Fprintf(&b, "\n  [%d] job %d (kind %q, args %s): not wanted", i, rows[i].ID, rows[i].Kind, rows[i].EncodedArgs)
		default:
			fmt.Fprintf(&b, "\n  [%d] job %d (kind %q, args %s)", i, rows[i].ID, rows[i].Kind, rows[i].EncodedArgs)
			if len(diffs[i]) == 0 {
				b.WriteString(": matches")
			}
			for _, d := range diffs[i] {
				b.WriteString("\n      " + d)
			}
		}
	}
	t.Errorf("%s", b.String())
	t.FailNow()
	return nil
}

// ordered returns, in insertion order, the records AssertEnqueuedInOrder
// looks at for mts. The caller holds s.mu.
func (s *Store) ordered(mts []*matcher) []*record {
	var kinds map[string]bool
	states := map[State]bool{}
	allKinds := len(mts) == 0
	for _, mt := range mts {
		if mt.m.Kind == "" {
			allKinds = true
		} else {
			if kinds == nil {
				kinds = map[string]bool{}
			}
			kinds[mt.m.Kind] = true
		}
		if mt.m.State != "" {
			states[mt.m.State] = true
		}
	}
	var out []*record
	for _, rec := range s.recs {
		if (allKinds || kinds[rec.row.Kind]) && (rec.enq || states[rec.state()]) {
			out = append(out, rec)
		}
	}
	return out
}
