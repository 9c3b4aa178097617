package telemetry

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"
)

// Event is what a handler receives. Measurements are the numbers you would
// plot or aggregate; Metadata is what you would filter or group by.
//
// An Event and the slices it holds are valid only during the handler call:
// the registry reuses their memory. A handler that keeps an event must keep
// [Event.Clone].
type Event struct {
	// Name is the event's name.
	Name Name
	// Time is the wall-clock time of the emit, in the local time zone. It
	// carries no monotonic clock reading: for intervals, subtract
	// Monotonic readings (or use Duration).
	Time time.Time
	// Monotonic is the time of the emit on a monotonic clock whose zero is
	// the start of the process: subtract two readings for an interval that
	// wall-clock changes cannot distort.
	Monotonic time.Duration
	// SpanID ties a span's start event to its stop or exception event. It is
	// zero for point events.
	SpanID SpanID
	// ParentID is the SpanID of the span whose function emitted this event,
	// found in the emit's context, or zero.
	ParentID SpanID
	// Duration is the span's duration on stop and exception events, zero
	// otherwise.
	Duration time.Duration
	// Measurements are the event's extra numbers, such as counts.
	Measurements []Measurement
	// Metadata describes the event. On stop and exception events it starts
	// with the start event's metadata.
	Metadata []slog.Attr
}

// Clone returns a copy of e that owns its slices and stays valid after the
// handler returns.
func (e *Event) Clone() Event {
	c := *e
	c.Measurements = slices.Clone(e.Measurements)
	c.Metadata = slices.Clone(e.Metadata)
	return c
}

// Attr returns the value of the last metadata attribute with the given key.
// The last one wins so that stop metadata can refine start metadata.
func (e *Event) Attr(key string) (slog.Value, bool) {
	for i := len(e.Metadata) - 1; i >= 0; i-- {
		if e.Metadata[i].Key == key {
			return e.Metadata[i].Value, true
		}
	}
	return slog.Value{}, false
}

// Measurement returns the measurement with the given key.
func (e *Event) Measurement(key string) (Measurement, bool) {
	for i := len(e.Measurements) - 1; i >= 0; i-- {
		if e.Measurements[i].Key == key {
			return e.Measurements[i], true
		}
	}
	return Measurement{}, false
}

// Error returns the error of an exception event (the KeyError metadata), or
// nil. An error that is also a slog.LogValuer, as coded errors that log
// themselves as a group are, is returned as the error it is, unresolved.
func (e *Event) Error() error {
	if v, ok := e.Attr(KeyError); ok && (v.Kind() == slog.KindAny || v.Kind() == slog.KindLogValuer) {
		if err, ok := v.Any().(error); ok {
			return err
		}
	}
	return nil
}

// Metadata keys of exception events and of HandlerFailed.
const (
	// KeyKind is "error" when the span's function returned an error,
	// "panic" when it panicked and "exit" when it called runtime.Goexit (as
	// t.FailNow does).
	KeyKind = "kind"
	// KeyError holds the error; for a panic, an error wrapping the panic
	// value.
	KeyError = "error"
	// KeyStack holds the stack of the panicking goroutine, as a string.
	KeyStack = "stack"
	// KeyHandler holds the id of a failed handler.
	KeyHandler = "handler"
	// KeyEvent holds the name of the event a failed handler was handling.
	KeyEvent = "event"
)

// Kinds of exception, the values of KeyKind.
const (
	KindError = "error"
	KindPanic = "panic"
	KindExit  = "exit"
)

// SpanID identifies one execution of a span. IDs are random, so they do not
// reveal ordering and need no shared counter.
type SpanID uint64

// String formats the id as 16 hex digits.
func (id SpanID) String() string { return fmt.Sprintf("%016x", uint64(id)) }

// MeasurementKind says how a Measurement's number is stored.
type MeasurementKind uint8

// The kinds of measurement.
const (
	KindInt MeasurementKind = iota + 1
	KindFloat
	KindDuration
)

// Measurement is a named number. Build one with [Int], [Float] or [Dur]; like
// slog.Attr it is a small value that costs nothing to copy.
type Measurement struct {
	Key  string
	kind MeasurementKind
	bits uint64
}

// Int returns a count or other integer measurement.
func Int(key string, v int64) Measurement {
	return Measurement{Key: key, kind: KindInt, bits: uint64(v)}
}

// Float returns a floating-point measurement.
func Float(key string, v float64) Measurement {
	return Measurement{Key: key, kind: KindFloat, bits: math.Float64bits(v)}
}

// Dur returns a duration measurement.
func Dur(key string, v time.Duration) Measurement {
	return Measurement{Key: key, kind: KindDuration, bits: uint64(v)}
}

// Kind returns how the number is stored; 0 for the zero Measurement.
func (m Measurement) Kind() MeasurementKind { return m.kind }

// Int64 returns the value of an integer or duration measurement (in
// nanoseconds), and a float measurement truncated.
func (m Measurement) Int64() int64 {
	if m.kind == KindFloat {
		return int64(math.Float64frombits(m.bits))
	}
	return int64(m.bits)
}

// Float64 returns the value as a float64; durations are in seconds, the
// unit metric systems expect.
func (m Measurement) Float64() float64 {
	switch m.kind {
	case KindFloat:
		return math.Float64frombits(m.bits)
	case KindDuration:
		return time.Duration(m.bits).Seconds()
	default:
		return float64(int64(m.bits))
	}
}

// Duration returns the value of a duration measurement, or the integer value
// read as nanoseconds.
func (m Measurement) Duration() time.Duration { return time.Duration(m.Int64()) }

// Attr renders the measurement as a slog attribute: durations as
// time.Duration, integers as int64, floats as float64.
func (m Measurement) Attr() slog.Attr {
	switch m.kind {
	case KindFloat:
		return slog.Float64(m.Key, m.Float64())
	case KindDuration:
		return slog.Duration(m.Key, m.Duration())
	default:
		return slog.Int64(m.Key, m.Int64())
	}
}

// String renders the measurement as key=value.
func (m Measurement) String() string { return m.Attr().String() }
