package testmode

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// Store holds the jobs that Manual and Inline modes record, indexed by
// kind, for the assertion helpers and Drain. Every Client has one
// (Client.Store), used for inserts whose context carries no store, and
// WithMode gives a context a store of its own. The zero value is an empty
// store ready to use. A Store is safe for concurrent use.
//
// A Store keeps its jobs, final ones included, until it is dropped: it is
// meant to live as long as one test.
type Store struct {
	mu      sync.Mutex
	recs    []*record // in insertion order: recs[i] has ID i+1
	byKind  map[string][]*record
	uniq    uniqueIndex[*record]
	changed chan struct{} // closed at the next change; nil while nobody waits
}

// record is one job of a Store.
type record struct {
	row *JobRow // the current snapshot; replaced, never modified
	// enq says whether the job is enqueued (not running, not final), and
	// enc mirrors row.EncodedArgs, so that a scan of many records reads
	// them without following row.
	enq bool
	enc []byte
	// literal says that enc holds no escape sequence (no backslash): each
	// of its strings is written as the very characters it decodes to, so
	// the matcher's needles may reject it unread (see matcher.matches).
	literal bool
	// doc is the args decoded as generic JSON for matching, built on first
	// use and kept: the args of a job never change.
	doc    any
	docErr error
	docSet bool
}

// state is the job's state: its snapshot's, or StateRunning during an
// attempt (the snapshot is then from before the attempt).
func (rec *record) state() State {
	if !rec.enq && rec.row.State.enqueued() {
		return StateRunning
	}
	return rec.row.State
}

// Recorded is where the assertion helpers look for jobs: a *Store, or a
// *Client, which stands for its own store (the jobs inserted with a
// context that carries no store from WithMode). A nil Recorded, a nil
// *Store (what StoreFrom returns for a context that did not go through
// WithMode) and a nil *Client make every helper fail the test, saying
// which was nil.
type Recorded interface {
	// recorded returns the store to search; only this package's types
	// implement it.
	recorded() *Store
}

func (s *Store) recorded() *Store { return s }

// Jobs returns every job recorded, whatever its state, in insertion order.
// A job running at the time appears as it was before the attempt. It
// panics on a nil *Store, saying where a real one comes from: an empty
// answer would let a test pass that looks at the wrong store.
func (s *Store) Jobs() []*JobRow {
	if s == nil {
		panic("testmode: Jobs called on a nil *Store: StoreFrom returns nil for a context that did not go through WithMode")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*JobRow, len(s.recs))
	for i, r := range s.recs {
		out[i] = r.row
	}
	return out
}

// insert records rows (built by the client and owned by the store from now
// on) and returns, for each, its snapshot and record; a duplicate of a
// unique job returns the blocking job's snapshot marked Duplicate, and a
// nil record.
func (s *Store) insert(rows []*JobRow, now time.Time) ([]*JobRow, []*record) {
	out := make([]*JobRow, len(rows))
	recs := make([]*record, len(rows))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, row := range rows {
		out[i], recs[i] = s.add(row, now)
	}
	s.notify()
	return out, recs
}

// insertOne is insert for one row.
func (s *Store) insertOne(row *JobRow, now time.Time) (*JobRow, *record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out, rec := s.add(row, now)
	s.notify()
	return out, rec
}

// add records one row. The caller holds s.mu.
func (s *Store) add(row *JobRow, now time.Time) (*JobRow, *record) {
	if row.UniqueKey != "" {
		if blocker, ok := s.uniq.find(row.UniqueKey, now); ok {
			dup := blocker.row.clone()
			dup.Duplicate = true
			return dup, nil
		}
	}
	if s.byKind == nil {
		s.byKind = map[string][]*record{}
	}
	row.ID = int64(len(s.recs) + 1)
	row.InsertedAt = now
	row.State = StateAvailable
	if row.ScheduledAt.After(now) {
		row.State = StateScheduled
	}
	rec := &record{row: row, enq: true, enc: row.EncodedArgs, literal: bytes.IndexByte(row.EncodedArgs, '\\') < 0}
	s.recs = append(s.recs, rec)
	s.byKind[row.Kind] = append(s.byKind[row.Kind], rec)
	if row.UniqueKey != "" {
		s.uniq.add(row.UniqueKey, rec, now.Add(row.UniquePeriod), now)
	}
	return row, rec
}

// begin starts an attempt of rec at now: it marks the job running, so no
// other drain takes it, and returns a private copy of its row for the
// attempt; or it returns nil when the job is not enqueued (another drain
// took it, or it ended). Until commit, the job's snapshot is the one from
// before the attempt.
func (s *Store) begin(rec *record, now time.Time) *JobRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !rec.enq {
		return nil
	}
	running := rec.row.clone()
	startAttempt(running, now)
	rec.enq = false
	s.notify()
	return running
}

// commit publishes row, the job after an attempt. The caller must not
// modify row afterwards.
func (s *Store) commit(rec *record, row *JobRow) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.row, rec.enq = row, row.State.enqueued()
	if row.UniqueKey != "" && (row.State == StateCancelled || row.State == StateDiscarded) {
		s.uniq.release(row.UniqueKey, rec)
	}
	s.notify()
}

// notify wakes the waiters. The caller holds s.mu.
func (s *Store) notify() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// watch returns a channel closed at the store's next change. The caller
// holds s.mu.
func (s *Store) watch() <-chan struct{} {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// modeKey is the context key of WithMode.
type modeKey struct{}

type modeValue struct {
	mode  Mode
	store *Store
}

// WithMode returns a context derived from ctx under which every Client
// inserts in mode, whatever its Config.Mode, and records Manual and Inline
// jobs in the context's own Store (see StoreFrom) rather than the
// client's. The mode and the store travel with the context into every
// goroutine it is passed to, so jobs inserted by goroutines a test starts
// are seen by the test, and parallel tests that each call WithMode on
// their own context never see each other's jobs.
//
// When ctx already carries a store, the returned context keeps it and only
// the mode changes. An invalid mode makes inserts under the context fail.
func WithMode(ctx context.Context, mode Mode) context.Context {
	st := StoreFrom(ctx)
	if st == nil {
		st = &Store{}
	}
	return context.WithValue(ctx, modeKey{}, &modeValue{mode: mode, store: st})
}

// StoreFrom returns the store WithMode attached to ctx, or nil.
func StoreFrom(ctx context.Context) *Store {
	if ctx == nil {
		return nil
	}
	if mv, ok := ctx.Value(modeKey{}).(*modeValue); ok {
		return mv.store
	}
	return nil
}
