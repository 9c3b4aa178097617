package stopper

import (
	"context"
	"fmt"
)

// Limiter bounds how many tasks that share it run at once. Pass it in
// TaskOpts.Limiter; one limiter may be shared by tasks of several stoppers.
// A wait for a slot ends when the task's ctx is cancelled or its stopper
// quiesces, with nothing to wire up.
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a limiter with n slots. n must be > 0.
func NewLimiter(n int) (*Limiter, error) {
	if n <= 0 {
		return nil, fmt.Errorf("stopper: NewLimiter: n = %d: must be > 0", n)
	}
	return &Limiter{slots: make(chan struct{}, n)}, nil
}

// Cap returns the number of slots.
func (l *Limiter) Cap() int { return cap(l.slots) }

// InUse returns the number of slots taken now.
func (l *Limiter) InUse() int { return len(l.slots) }

func (l *Limiter) acquire(ctx context.Context, s *Stopper, wait bool) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if !wait {
		return ErrThrottled
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.qctx.Done():
		return ErrUnavailable
	}
}

func (l *Limiter) release() { <-l.slots }
