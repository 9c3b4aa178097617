package stopper

import (
	"cmp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The leak tracker: every Stopper is recorded from New until its Stop
// finishes, with the stack that created it. It is the one piece of
// package-level mutable state here, read only by LiveStoppers (used by the
// stoppertest package to find stoppers a test forgot to stop).
var tracker struct {
	mu   sync.Mutex
	live map[*Stopper]LiveStopper
}

// LiveStopper describes a Stopper that has not finished stopping.
type LiveStopper struct {
	// ID is unique per stopper and grows with creation order.
	ID uint64
	// Name is the stopper's name.
	Name string
	// Created is when New ran.
	Created time.Time
	// Stack is the creating goroutine's stack, innermost frame first, one
	// "function\n\tfile:line" entry per frame.
	Stack string
}

func track(s *Stopper) {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/ecopatterns/ecopatterns/stopper.") || strings.Contains(f.Function, "_test.") {
			b.WriteString(f.Function)
			b.WriteString("\n\t")
			b.WriteString(f.File)
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(f.Line))
			b.WriteByte('\n')
		}
		if !more {
			break
		}
	}
	tracker.mu.Lock()
	if tracker.live == nil {
		tracker.live = map[*Stopper]LiveStopper{}
	}
	tracker.live[s] = LiveStopper{ID: s.id, Name: s.opts.Name, Created: s.epoch, Stack: b.String()}
	tracker.mu.Unlock()
}

func untrack(s *Stopper) {
	tracker.mu.Lock()
	delete(tracker.live, s)
	tracker.mu.Unlock()
}

// LiveStoppers returns every Stopper created by New (or NewChild) whose Stop
// has not finished, in creation order. Tests use it, through the
// stoppertest package, to find stoppers they forgot to stop.
func LiveStoppers() []LiveStopper {
	tracker.mu.Lock()
	out := make([]LiveStopper, 0, len(tracker.live))
	for _, l := range tracker.live {
		out = append(out, l)
	}
	tracker.mu.Unlock()
	slices.SortFunc(out, func(a, b LiveStopper) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
