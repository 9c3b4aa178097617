package stopper

import (
	"context"
	"errors"
	"fmt"
)

// Limiter bounds how many tasks that share it run at once. Pass it in
// TaskOpts.Limiter; one limiter may be shared by tasks of several stoppers.
// A wait for a slot ends when the task's ctx is cancelled or its stopper
// quiesces, with nothing to wire up.
//
// Work that is not a task takes and returns slots with Acquire (or
// TryAcquire) and Release, as CockroachDB's quota pool allows; a test can
// fill a limiter that way without parking tasks.
type Limiter struct {
	slots chan struct{}
}

// ErrNoSlotHeld is returned by Limiter.Release when no slot is taken.
var ErrNoSlotHeld = errors.New("stopper: Limiter.Release: no slot is taken")

// NewLimiter returns a limiter with n slots. n must be > 0.
func NewLimiter(n int) (*Limiter, error) {
	if n <= 0 {
		return nil, fmt.Errorf("stopper: NewLimiter: n = %d: must be > 0", n)
	}
	return &Limiter{slots: make(chan struct{}, n)}, nil
}

// Cap returns the number of slots.
func (l *Limiter) Cap() int { return cap(l.slots) }

// InUse returns the number of slots taken now, by tasks and by Acquire.
func (l *Limiter) InUse() int { return len(l.slots) }

// Acquire takes a slot, waiting until one is free. The wait ends with ctx's
// error when ctx ends first, and, when s is not nil, with ErrUnavailable
// when s quiesces first; s nil means no stopper ends the wait. Acquire takes
// no slot when it returns an error: when ctx has already ended or s is
// already quiescing it returns at once, even if a slot is free. Each slot
// taken must be given back with Release.
func (l *Limiter) Acquire(ctx context.Context, s *Stopper) error {
	if ctx == nil {
		return errors.New("stopper: Limiter.Acquire: ctx is nil")
	}
	if s != nil && s.quiescing.Load() {
		return ErrUnavailable
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.acquire(ctx, s, true)
}

// TryAcquire takes a free slot without waiting and reports whether it did.
// A slot taken must be given back with Release.
func (l *Limiter) TryAcquire() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release gives back a slot taken with Acquire or TryAcquire, waking one
// waiter. It returns ErrNoSlotHeld, and changes nothing, when no slot is
// taken. It cannot tell slots apart: releasing more than one acquired frees
// a slot a task holds, and the limiter then admits one task too many.
func (l *Limiter) Release() error {
	select {
	case <-l.slots:
		return nil
	default:
		return ErrNoSlotHeld
	}
}

// acquire takes a slot, or, when wait is set, waits for one until ctx ends
// or s (when not nil) quiesces.
func (l *Limiter) acquire(ctx context.Context, s *Stopper, wait bool) error {
	if l.TryAcquire() {
		return nil
	}
	if !wait {
		return ErrThrottled
	}
	var quiesce <-chan struct{} // nil: never ready
	if s != nil {
		quiesce = s.qctx.Done()
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-quiesce:
		return ErrUnavailable
	}
}

func (l *Limiter) release() { <-l.slots }
