package telemetry

import (
	"sync/atomic"
	"time"
)

// processStart is the zero of Event.Monotonic.
var processStart = time.Now()

// clock gives events their times with one monotonic clock read. Reading the
// wall clock costs about twice as much on common virtual machines, so the
// clock keeps an anchor, a wall-clock reading and the monotonic reading
// taken with it, and derives wall time as anchor + elapsed. The anchor is
// renewed once it is older than anchorTTL, so derived times follow wall-clock
// corrections within that long.
type clock struct {
	anchor atomic.Pointer[clockAnchor]
}

type clockAnchor struct {
	wall int64         // time.Now() when the anchor was taken, in Unix nanoseconds
	mono time.Duration // its offset from processStart
}

const anchorTTL = time.Second

// now returns the wall time in Unix nanoseconds (turned into a time.Time by
// wallTime, only when an event is built) and the monotonic offset from
// processStart.
func (c *clock) now() (int64, time.Duration) {
	mono := time.Since(processStart)
	a := c.anchor.Load()
	if a == nil || mono-a.mono > anchorTTL || mono < a.mono {
		wall := time.Now()
		fresh := &clockAnchor{wall: wall.UnixNano(), mono: wall.Sub(processStart)}
		c.anchor.CompareAndSwap(a, fresh) // losing the race is fine: another goroutine renewed it
		return fresh.wall, fresh.mono
	}
	return a.wall + int64(mono-a.mono), mono
}

// wallTime returns the time of a wall-clock reading in Unix nanoseconds, in
// the local time zone as time.Now gives it. It carries no monotonic clock
// reading (Event.Monotonic is that), and costs a fraction of time.Time.Add.
func wallTime(ns int64) time.Time {
	return time.Unix(ns/1e9, ns%1e9)
}
