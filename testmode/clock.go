package testmode

import (
	"sync/atomic"
	"time"
)

// clock reads the wall clock with one monotonic clock read. time.Now reads
// two clocks, wall and monotonic, which on virtual machines with a
// paravirtual clock costs several times a monotonic read, and the engine's
// hot path reads the time several times per job. The clock keeps an
// anchor, a time.Now reading, and returns anchor + time since the anchor:
// a time with a monotonic reading (so that it compares exactly with other
// times of the process) whose wall part follows wall-clock corrections
// within clockAnchorTTL, when the anchor is renewed.
//
// Inside a testing/synctest bubble times carry no monotonic reading, and
// time.Since reads the bubble's fake clock, so the result is exactly
// time.Now. The zero value is ready to use and safe for concurrent use.
type clock struct {
	anchor atomic.Pointer[time.Time]
}

// clockAnchorTTL is how long an anchor serves.
const clockAnchorTTL = time.Second

// now returns the current time.
func (c *clock) now() time.Time {
	if a := c.anchor.Load(); a != nil {
		if d := time.Since(*a); d >= 0 && d < clockAnchorTTL {
			return a.Add(d)
		}
	}
	t := time.Now()
	c.anchor.Store(&t)
	return t
}
