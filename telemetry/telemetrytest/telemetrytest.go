package telemetrytest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Recorder holds the events emitted with its token, in emit order. It is
// safe for concurrent use.
type Recorder struct {
	id  string
	key *token // unique per recorder; the context key

	mu      sync.Mutex
	events  []telemetry.Event
	changed chan struct{} // closed and replaced at every recorded event
}

type token struct{ _ byte }

// Capture attaches a recorder to reg for the given event names and prefixes
// and detaches it when the test ends. It fails the test at once when reg is
// nil or the patterns are invalid.
func Capture(t testing.TB, reg *telemetry.Registry, patterns ...string) *Recorder {
	t.Helper()
	if reg == nil {
		t.Fatalf("telemetrytest: Capture: registry is nil")
		return nil
	}
	r := &Recorder{key: &token{}, changed: make(chan struct{})}
	r.id = fmt.Sprintf("telemetrytest:%s:%p", t.Name(), r.key)
	if err := reg.Attach(r.id, patterns, telemetry.HandlerFunc(r.handle)); err != nil {
		t.Fatalf("telemetrytest: Capture: %v", err)
		return nil
	}
	t.Cleanup(func() {
		if err := reg.Detach(r.id); err != nil {
			t.Errorf("telemetrytest: recorder was detached by someone else: %v", err)
		}
	})
	return r
}

// Context returns a context derived from ctx that carries the recorder's
// token. Pass it to the code under test.
func (r *Recorder) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, r.key, r)
}

func (r *Recorder) handle(ctx context.Context, e *telemetry.Event) {
	if ctx == nil || ctx.Value(r.key) == nil {
		return
	}
	c := e.Clone()
	r.mu.Lock()
	r.events = append(r.events, c)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Events returns the recorded events in emit order.
func (r *Recorder) Events() []telemetry.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]telemetry.Event(nil), r.events...)
}

// Matching returns the recorded events named name whose metadata holds every
// attribute of attrs with an equal value (the last attribute with a key
// counts, as in [telemetry.Event.Attr]).
func (r *Recorder) Matching(name telemetry.Name, attrs ...slog.Attr) []telemetry.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return match(r.events, name, attrs)
}

func match(events []telemetry.Event, name telemetry.Name, attrs []slog.Attr) []telemetry.Event {
	var out []telemetry.Event
	for i := range events {
		if matches(&events[i], name, attrs) {
			out = append(out, events[i])
		}
	}
	return out
}

func matches(e *telemetry.Event, name telemetry.Name, attrs []slog.Attr) bool {
	if e.Name.String() != name.String() {
		return false
	}
	for _, want := range attrs {
		got, ok := e.Attr(want.Key)
		if !ok || !got.Resolve().Equal(want.Value.Resolve()) {
			return false
		}
	}
	return true
}

// Require fails the test unless exactly one recorded event matches name and
// attrs, and returns it. The failure lists every recorded event.
func (r *Recorder) Require(t testing.TB, name telemetry.Name, attrs ...slog.Attr) telemetry.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	got := match(r.events, name, attrs)
	if len(got) != 1 {
		t.Fatalf("telemetrytest: want exactly 1 event %s%s, found %d\n%s", name, describeAttrs(attrs), len(got), describe(r.events))
		return telemetry.Event{}
	}
	return got[0]
}

// Refute fails the test if any recorded event matches name and attrs.
func (r *Recorder) Refute(t testing.TB, name telemetry.Name, attrs ...slog.Attr) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := match(r.events, name, attrs); len(got) > 0 {
		t.Fatalf("telemetrytest: want no event %s%s, found %d\n%s", name, describeAttrs(attrs), len(got), describe(r.events))
	}
}

// Wait blocks until an event matching name and attrs has been recorded (it
// may already have been) and returns the first one, or returns ctx's error
// when ctx ends first. It is woken by each recorded event; it never polls.
func (r *Recorder) Wait(ctx context.Context, name telemetry.Name, attrs ...slog.Attr) (telemetry.Event, error) {
	for {
		r.mu.Lock()
		got := match(r.events, name, attrs)
		changed := r.changed
		r.mu.Unlock()
		if len(got) > 0 {
			return got[0], nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return telemetry.Event{}, fmt.Errorf("telemetrytest: waiting for %s%s: %w", name, describeAttrs(attrs), context.Cause(ctx))
		}
	}
}

func describeAttrs(attrs []slog.Attr) string {
	if len(attrs) == 0 {
		return ""
	}
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = a.String()
	}
	return " with " + strings.Join(parts, " ")
}

func describe(events []telemetry.Event) string {
	if len(events) == 0 {
		return "recorded events: none"
	}
	var b strings.Builder
	b.WriteString("recorded events:")
	for _, e := range events {
		b.WriteString("\n  ")
		b.WriteString(e.Name.String())
		for _, a := range e.Metadata {
			if a.Key == telemetry.KeyStack {
				continue
			}
			b.WriteString(" ")
			b.WriteString(a.String())
		}
	}
	return b.String()
}
