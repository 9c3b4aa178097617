package testmode

import (
	"strconv"
	"time"
)

// uniqueKey identifies the duplicates of a job: same kind, queue and
// encoded args. Encoded args are canonical: struct fields encode in
// declaration order and map keys sorted, so equal args encode equally.
func uniqueKey(kind, queue string, enc []byte) string {
	return strconv.Itoa(len(kind)) + ":" + kind + strconv.Itoa(len(queue)) + ":" + queue + string(enc)
}

// uniqueIndex finds the job that blocks duplicates of a unique key. A job
// blocks for its own UniquePeriod after its insert, unless it ended
// cancelled or discarded. Not safe for concurrent use; its owner locks.
type uniqueIndex[J comparable] struct {
	m       map[string]*uniqueEntry[J]
	sweepAt int
}

type uniqueEntry[J comparable] struct {
	job      J
	expires  time.Time
	released bool // the job was cancelled or discarded
}

// find returns the job blocking key at now.
func (u *uniqueIndex[J]) find(key string, now time.Time) (J, bool) {
	var zero J
	e, ok := u.m[key]
	if !ok || e.released || !now.Before(e.expires) {
		return zero, false
	}
	return e.job, true
}

// add makes job the blocker of key until expires.
func (u *uniqueIndex[J]) add(key string, job J, expires, now time.Time) {
	if u.m == nil {
		u.m = map[string]*uniqueEntry[J]{}
		u.sweepAt = 64
	}
	if len(u.m) >= u.sweepAt {
		// Expired entries are dropped when the map has doubled since the
		// last sweep, so the index stays proportional to the live entries
		// at an amortized constant cost per insert.
		for k, e := range u.m {
			if e.released || !now.Before(e.expires) {
				delete(u.m, k)
			}
		}
		u.sweepAt = max(64, 2*len(u.m))
	}
	u.m[key] = &uniqueEntry[J]{job: job, expires: expires}
}

// release stops job from blocking key (it was cancelled or discarded).
func (u *uniqueIndex[J]) release(key string, job J) {
	if e, ok := u.m[key]; ok && e.job == job {
		e.released = true
	}
}
