package telemetrytest

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"
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
// counts, as in [telemetry.Event.Attr]). Values are compared deeply, and
// never panic: LogValuers are resolved on both sides, groups are compared
// attribute by attribute in order, and values of any other type (slices,
// maps, structs) with reflect.DeepEqual. Require, Refute and Wait match the
// same way.
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
		if !ok || !equal(got, want.Value) {
			return false
		}
	}
	return true
}

// equal compares two metadata values the way a test means "equal", for
// every value and without panicking, where slog.Value.Equal panics on
// values Go cannot compare with ==:
//
//   - LogValuers are resolved first, on either side, at every depth;
//   - groups are equal when they hold equal attributes in the same order;
//   - values of kind Any are compared with reflect.DeepEqual (slices,
//     maps, structs, pointers by what they point to; a non-nil func equals
//     nothing);
//   - times are equal when they are the same instant; NaN equals NaN;
//   - the kinds must be the same: an int64 1 is not a uint64 1.
func equal(a, b slog.Value) bool {
	a, b = a.Resolve(), b.Resolve()
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case slog.KindGroup:
		ga, gb := a.Group(), b.Group()
		return slices.EqualFunc(ga, gb, func(x, y slog.Attr) bool {
			return x.Key == y.Key && equal(x.Value, y.Value)
		})
	case slog.KindAny:
		return reflect.DeepEqual(a.Any(), b.Any())
	case slog.KindTime:
		return a.Time().Equal(b.Time())
	case slog.KindFloat64:
		x, y := a.Float64(), b.Float64()
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	default:
		// The remaining kinds hold comparable scalars.
		return a.Equal(b)
	}
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
