package testmode

import (
	"sync"
	"time"
)

// memQueue is one queue: due jobs by priority, the others by due time.
// Due jobs are split in two: fifo holds those that arrived in queue order
// (each sorting after the one queued before it, as jobs inserted one
// after another to be run now do), avail the others; the next job is the
// lesser of their heads. A job due now thus costs no heap work in the
// common case, and the order is exactly the one a single heap gives.
type memQueue struct {
	name    string
	task    string // the task name of its workers
	mu      sync.Mutex
	fifo    itemRing
	avail   jobHeap
	sched   jobHeap
	running int
	// ready holds wake-up tokens for idle workers. It has one slot per
	// worker: when it is full, every worker will look at the heaps again.
	ready chan struct{}
}

// push queues it, a job due now when due is set, scheduled for later
// otherwise. The caller holds q.mu.
func (q *memQueue) push(it heapItem, due bool) {
	if due {
		q.pushDue(it)
	} else {
		q.sched.push(it)
	}
}

// pushDue queues it, a due job, at the tail of fifo when it sorts after
// fifo's last job, in avail otherwise. The caller holds q.mu.
func (q *memQueue) pushDue(it heapItem) {
	if q.fifo.n == 0 || !q.avail.less(&it, q.fifo.last()) {
		q.fifo.push(it)
	} else {
		q.avail.push(it)
	}
}

// popDue takes the first due job, the lesser of the heads of fifo and
// avail, or returns false when there is none. The caller holds q.mu.
func (q *memQueue) popDue() (heapItem, bool) {
	switch {
	case q.fifo.n > 0 && (len(q.avail.items) == 0 || q.avail.less(q.fifo.first(), &q.avail.items[0])):
		return q.fifo.pop(), true
	case len(q.avail.items) > 0:
		return q.avail.pop(), true
	}
	return heapItem{}, false
}

// wake gives an idle worker a token, unless every worker has one already.
func (q *memQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// step files the job whose attempt just ended, if done.row is not nil,
// and, when take is set, takes the next due job off the queue. stored is
// done's new snapshot when the job goes on (requeued) or blocks duplicates;
// the worker clones it before calling, outside the lock. Without a due
// job, step returns how long until the next scheduled one is due, or 0
// when none is scheduled. One lock covers both halves, so a busy worker
// locks its queue once per job.
func (q *memQueue) step(done heapItem, stored *JobRow, requeued bool, now time.Time, take bool) (next heapItem, wait time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if done.row != nil {
		q.running--
		if requeued {
			q.push(heapItem{prio: stored.Priority, at: dueNanos(stored.ScheduledAt), id: stored.ID, row: stored, uj: done.uj, args: done.args},
				!stored.ScheduledAt.After(now))
		}
	}
	if !take {
		return heapItem{}, 0
	}
	nowNanos := dueNanos(now)
	for len(q.sched.items) > 0 && q.sched.items[0].at <= nowNanos {
		q.pushDue(q.sched.pop())
	}
	next, ok := q.popDue()
	if !ok {
		if len(q.sched.items) > 0 {
			wait = time.Duration(q.sched.items[0].at - nowNanos)
		}
		return heapItem{}, wait
	}
	q.running++
	return next, 0
}
