package testmode

import (
	"math"
	"time"
)

// heapItem is a queued job with its ordering keys copied, so ordering reads
// no shared memory.
type heapItem struct {
	prio int
	at   int64 // due time, Unix nanoseconds (see dueNanos)
	id   int64
	row  *JobRow    // the job's snapshot
	uj   *uniqueJob // the job's entry in the uniqueness index; nil when not unique
	// args is nil or the args the job was inserted with, which its worker
	// takes as they are (see runner.takes).
	args Args
}

// dueNanos turns a due time into heap order: Unix nanoseconds, which
// compare faster than time.Time. Times past 2262 all map to the largest
// value and are ordered among themselves by ID.
func dueNanos(t time.Time) int64 {
	if t.After(maxNanosTime) {
		return math.MaxInt64
	}
	return t.UnixNano()
}

var maxNanosTime = time.Unix(0, math.MaxInt64)

// jobHeap is a binary min-heap of queued jobs: by priority, then due time,
// then ID when byPriority is set; by due time, then ID otherwise.
type jobHeap struct {
	byPriority bool
	items      []heapItem
}

func (h *jobHeap) less(a, b *heapItem) bool {
	if h.byPriority && a.prio != b.prio {
		return a.prio < b.prio
	}
	if a.at != b.at {
		return a.at < b.at
	}
	return a.id < b.id
}

func (h *jobHeap) push(it heapItem) {
	h.items = append(h.items, it)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(&h.items[i], &h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *jobHeap) pop() heapItem {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items[last] = heapItem{}
	h.items = h.items[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(&h.items[l], &h.items[m]) {
			m = l
		}
		if r < last && h.less(&h.items[r], &h.items[m]) {
			m = r
		}
		if m == i {
			return top
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}
