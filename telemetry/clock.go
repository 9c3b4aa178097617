package telemetry

import (
	"sync/atomic"
	"time"
)

// processStart is the zero of Event.Monotonic.
var processStart = time.Now()

// clock gives events their times with one monotonic clock read. Reading the
// wall clock costs about three times as much on common virtual machines, so
// the clock keeps an anchor, a wall-clock reading and the monotonic reading
// taken with it, and derives wall time as anchor + elapsed. The anchor is
// renewed once it is older than anchorTTL, so derived times follow wall-clock
// corrections within that long.
type clock struct {
	anchor atomic.Pointer[clockAnchor]
}

type clockAnchor struct {
	wall time.Time     // time.Now() when the anchor was taken
	mono time.Duration // its offset from processStart
}

const anchorTTL = time.Second

// now returns the wall time and the monotonic offset from processStart.
func (c *clock) now() (time.Time, time.Duration) {
	mono := time.Since(processStart)
	a := c.anchor.Load()
	if a == nil || mono-a.mono > anchorTTL || mono < a.mono {
		wall := time.Now()
		fresh := &clockAnchor{wall: wall, mono: wall.Sub(processStart)}
		c.anchor.CompareAndSwap(a, fresh) // losing the race is fine: another goroutine renewed it
		return wall, fresh.mono
	}
	return a.wall.Add(mono - a.mono), mono
}
