package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/telemetry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	taskSpan   = telemetry.MustSpanName("ecopatterns.test.task")
	itemAdded  = telemetry.MustName("ecopatterns.test.item.added")
	otherEvent = telemetry.MustName("ecopatterns.testx.thing.happened")
)

func newRegistry(t *testing.T) *telemetry.Registry {
	t.Helper()
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	return reg
}

// collector records clones of the events it receives.
type collector struct {
	mu     sync.Mutex
	events []telemetry.Event
}

func (c *collector) Handle(_ context.Context, e *telemetry.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e.Clone())
}

func (c *collector) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.events))
	for i, e := range c.events {
		out[i] = e.Name.String()
	}
	return out
}

func (c *collector) all() []telemetry.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]telemetry.Event(nil), c.events...)
}

func attrKeys(attrs []slog.Attr) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = a.Key
	}
	return out
}

func TestNewName(t *testing.T) {
	for _, good := range []string{"a", "ecopatterns.stopper.task.start", "A_b-c.0"} {
		n, err := telemetry.NewName(good)
		require.NoError(t, err)
		require.Equal(t, good, n.String())
		require.False(t, n.IsZero())
	}
	bad := map[string]string{
		"":       `telemetry: invalid event name "": empty`,
		".a":     `telemetry: invalid event name ".a": segment 1 is empty`,
		"a..b":   `telemetry: invalid event name "a..b": segment 2 is empty`,
		"a.":     `telemetry: invalid event name "a.": segment 2 is empty`,
		"a b":    `telemetry: invalid event name "a b": character ' ' at offset 1 (use letters, digits, '_' and '-' between dots)`,
		"a.b!":   `telemetry: invalid event name "a.b!": character '!' at offset 3 (use letters, digits, '_' and '-' between dots)`,
		"a\tb.c": `telemetry: invalid event name "a\tb.c": character '\t' at offset 1 (use letters, digits, '_' and '-' between dots)`,
	}
	for in, want := range bad {
		_, err := telemetry.NewName(in)
		require.EqualError(t, err, want, "input %q", in)
		_, err = telemetry.NewSpanName(in)
		require.EqualError(t, err, want, "input %q", in)
	}
	require.PanicsWithError(t, `telemetry: invalid event name "a..b": segment 2 is empty`, func() { telemetry.MustName("a..b") })
	require.Panics(t, func() { telemetry.MustSpanName("") })

	sn := telemetry.MustSpanName("ecopatterns.test.op")
	require.Equal(t, "ecopatterns.test.op", sn.Prefix.String())
	require.Equal(t, "ecopatterns.test.op.start", sn.Start.String())
	require.Equal(t, "ecopatterns.test.op.stop", sn.Stop.String())
	require.Equal(t, "ecopatterns.test.op.exception", sn.Exception.String())
	require.True(t, telemetry.Name{}.IsZero())
	require.Equal(t, "", telemetry.Name{}.String())
}

func TestOptions(t *testing.T) {
	require.NoError(t, telemetry.DefaultOptions().Validate())
	o := telemetry.DefaultOptions()
	o.OnHandlerFailure = "explode"
	o.Logger = nil
	err := o.Validate()
	require.EqualError(t, err, `options: OnHandlerFailure = "explode": must be "detach", "keep" or "detach-after"`+"\n"+
		"options: Logger = <nil>: must not be nil")
	_, err = telemetry.New(o)
	require.ErrorContains(t, err, "telemetry: invalid options: options: OnHandlerFailure")
	var fe *options.FieldError
	require.ErrorAs(t, err, &fe)

	o = telemetry.DefaultOptions()
	o.OnHandlerFailure = telemetry.DetachAfterFailures
	o.MaxHandlerFailures = 0
	require.EqualError(t, o.Validate(), "options: MaxHandlerFailures = 0: must be > 0")
	o.OnHandlerFailure = telemetry.KeepOnFailure
	require.NoError(t, o.Validate(), "MaxHandlerFailures is ignored unless the policy uses it")
}

func TestAttachBadInput(t *testing.T) {
	reg := newRegistry(t)
	h := telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {})
	require.EqualError(t, reg.Attach("", []string{"a"}, h), "telemetry: Attach: handler id is empty")
	require.EqualError(t, reg.Attach("x", []string{"a"}, nil), `telemetry: Attach "x": handler is nil`)
	require.EqualError(t, reg.Attach("x", []string{"a"}, telemetry.HandlerFunc(nil)), `telemetry: Attach "x": handler is a nil HandlerFunc`)
	require.EqualError(t, reg.Attach("x", nil, h), `telemetry: Attach "x": no event names or prefixes to attach to`)
	require.EqualError(t, reg.Attach("x", []string{"ok", "bad name"}, h),
		`telemetry: Attach "x": telemetry: invalid event name "bad name": character ' ' at offset 3 (use letters, digits, '_' and '-' between dots)`)
	require.Empty(t, reg.Handlers(), "failed attaches attach nothing")

	require.NoError(t, reg.Attach("x", []string{"a"}, h))
	err := reg.Attach("x", []string{"b"}, h)
	require.ErrorIs(t, err, telemetry.ErrHandlerExists)
	require.EqualError(t, err, `telemetry: handler id already attached: "x"`)

	err = reg.Detach("nope")
	require.ErrorIs(t, err, telemetry.ErrHandlerNotFound)
	require.NoError(t, reg.Detach("x"))
	require.ErrorIs(t, reg.Detach("x"), telemetry.ErrHandlerNotFound)

	var nilReg *telemetry.Registry
	require.EqualError(t, nilReg.Attach("x", []string{"a"}, h), "telemetry: Attach on a nil Registry")
	require.ErrorIs(t, nilReg.Detach("x"), telemetry.ErrHandlerNotFound)
}

func TestHandlersRunInAttachOrder(t *testing.T) {
	reg := newRegistry(t)
	var order []string
	for _, id := range []string{"c", "a", "b", "d"} {
		require.NoError(t, reg.Attach(id, []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
			order = append(order, id)
		})))
	}
	reg.Emit(context.Background(), itemAdded, nil)
	require.Equal(t, []string{"c", "a", "b", "d"}, order)

	require.NoError(t, reg.Detach("a"))
	require.NoError(t, reg.Attach("a", []string{"ecopatterns.test.item.added"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		order = append(order, "a2")
	})))
	order = nil
	reg.Emit(context.Background(), itemAdded, nil)
	require.Equal(t, []string{"c", "b", "d", "a2"}, order)

	infos := reg.Handlers()
	ids := make([]string, len(infos))
	for i, in := range infos {
		ids[i] = in.ID
	}
	require.Equal(t, []string{"c", "b", "d", "a"}, ids)
	require.Equal(t, []string{"ecopatterns.test.item.added"}, infos[3].Patterns)
}

func TestPrefixMatching(t *testing.T) {
	reg := newRegistry(t)
	var exact, prefix, top, other collector
	require.NoError(t, reg.Attach("exact", []string{"ecopatterns.test.item.added"}, &exact))
	require.NoError(t, reg.Attach("prefix", []string{"ecopatterns.test"}, &prefix))
	require.NoError(t, reg.Attach("top", []string{"ecopatterns"}, &top))
	require.NoError(t, reg.Attach("other", []string{"ecopatterns.testx", "unrelated"}, &other))

	ctx := context.Background()
	reg.Emit(ctx, itemAdded, nil)
	reg.Emit(ctx, otherEvent, nil)
	require.NoError(t, reg.Span(ctx, taskSpan, nil, func(context.Context, *telemetry.Scope) error { return nil }))

	require.Equal(t, []string{"ecopatterns.test.item.added"}, exact.names())
	require.Equal(t, []string{"ecopatterns.test.item.added", "ecopatterns.test.task.start", "ecopatterns.test.task.stop"}, prefix.names())
	require.Equal(t, []string{"ecopatterns.test.item.added", "ecopatterns.testx.thing.happened", "ecopatterns.test.task.start", "ecopatterns.test.task.stop"}, top.names())
	require.Equal(t, []string{"ecopatterns.testx.thing.happened"}, other.names(), `"ecopatterns.test" must not match "ecopatterns.testx"`)
}

func TestEmit(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.item"}, &c))
	ms := []telemetry.Measurement{telemetry.Int("count", 3), telemetry.Dur("wait", time.Millisecond), telemetry.Float("ratio", 0.5)}
	meta := []slog.Attr{slog.String("queue", "mail")}
	before := time.Now()
	reg.Emit(context.Background(), itemAdded, ms, meta...)
	// The registry copied both slices; changing them now changes nothing.
	ms[0] = telemetry.Int("count", 99)
	meta[0] = slog.String("queue", "changed")

	evs := c.all()
	require.Len(t, evs, 1)
	e := evs[0]
	require.Equal(t, "ecopatterns.test.item.added", e.Name.String())
	require.False(t, e.Time.Before(before))
	require.False(t, e.Time.After(time.Now()))
	require.Equal(t, e.Time.Round(0), e.Time, "a wall-clock time, with no monotonic reading")
	require.Equal(t, time.Local, e.Time.Location())
	require.Positive(t, e.Monotonic)
	require.Zero(t, e.SpanID)
	require.Zero(t, e.ParentID)
	require.Zero(t, e.Duration)
	m, ok := e.Measurement("count")
	require.True(t, ok)
	require.Equal(t, int64(3), m.Int64())
	require.Equal(t, telemetry.KindInt, m.Kind())
	m, _ = e.Measurement("wait")
	require.Equal(t, time.Millisecond, m.Duration())
	require.Equal(t, 0.001, m.Float64())
	m, _ = e.Measurement("ratio")
	require.Equal(t, 0.5, m.Float64())
	require.Equal(t, "ratio=0.5", m.String())
	_, ok = e.Measurement("missing")
	require.False(t, ok)
	v, ok := e.Attr("queue")
	require.True(t, ok)
	require.Equal(t, "mail", v.String())
	require.Nil(t, e.Error())

	// Names nobody attached to, and the zero Name, are cheap no-ops.
	reg.Emit(context.Background(), otherEvent, nil)
	reg.Emit(context.Background(), telemetry.Name{}, nil)
	require.Len(t, c.all(), 1)
}

func TestNilRegistryIsANoOp(t *testing.T) {
	var reg *telemetry.Registry
	ctx := context.Background()
	reg.Emit(ctx, itemAdded, nil, slog.Int("n", 1))
	require.False(t, reg.Enabled(itemAdded))
	require.Nil(t, reg.Handlers())
	called := false
	err := reg.Span(ctx, taskSpan, nil, func(ctx context.Context, s *telemetry.Scope) error {
		called = true
		require.Nil(t, s)
		s.AddMetadata(slog.Int("ignored", 1)) // a nil Scope accepts and drops
		s.AddMeasurements(telemetry.Int("ignored", 1))
		require.Zero(t, s.ID())
		return errors.New("fn error")
	})
	require.True(t, called)
	require.EqualError(t, err, "fn error")
}

func TestEnabled(t *testing.T) {
	reg := newRegistry(t)
	require.False(t, reg.Enabled(itemAdded))
	require.NoError(t, reg.Attach("h", []string{"ecopatterns.test.item"}, &collector{}))
	require.True(t, reg.Enabled(itemAdded))
	require.False(t, reg.Enabled(otherEvent))
	require.False(t, reg.Enabled(telemetry.Name{}))
	require.NoError(t, reg.Detach("h"))
	require.False(t, reg.Enabled(itemAdded), "the name's cache must follow the registry")
}

func TestDetachDuringEmit(t *testing.T) {
	reg := newRegistry(t)
	var calls []string
	require.NoError(t, reg.Attach("first", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls = append(calls, "first")
		// Detaching a later handler from inside an emit stops it from being
		// called for this very event and every later one.
		_ = reg.Detach("second")
		_ = reg.Detach("first")
	})))
	require.NoError(t, reg.Attach("second", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls = append(calls, "second")
	})))
	require.NoError(t, reg.Attach("third", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls = append(calls, "third")
	})))
	reg.Emit(context.Background(), itemAdded, nil)
	reg.Emit(context.Background(), itemAdded, nil)
	require.Equal(t, []string{"first", "third", "third"}, calls)
}

func TestAttachDuringEmit(t *testing.T) {
	reg := newRegistry(t)
	var calls []string
	require.NoError(t, reg.Attach("first", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls = append(calls, "first")
		_ = reg.Attach("late", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
			calls = append(calls, "late")
		}))
	})))
	reg.Emit(context.Background(), itemAdded, nil)
	reg.Emit(context.Background(), itemAdded, nil)
	// An emit delivers to the handlers attached when it began.
	require.Equal(t, []string{"first", "first", "late"}, calls)
}

func TestHandlerPanicIsDetachedAndReported(t *testing.T) {
	var logs bytes.Buffer
	opts := telemetry.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	reg, err := telemetry.New(opts)
	require.NoError(t, err)

	var failures, after collector
	require.NoError(t, reg.Attach("failures", []string{telemetry.HandlerFailed.String()}, &failures))
	require.NoError(t, reg.Attach("bad", []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		panic("handler bug")
	})))
	require.NoError(t, reg.Attach("after", []string{"ecopatterns.test"}, &after))

	require.NotPanics(t, func() { reg.Emit(context.Background(), itemAdded, nil) })
	require.Equal(t, []string{"ecopatterns.test.item.added"}, after.names(), "handlers after the failing one still run")

	evs := failures.all()
	require.Len(t, evs, 1)
	e := evs[0]
	v, _ := e.Attr(telemetry.KeyHandler)
	require.Equal(t, "bad", v.String())
	v, _ = e.Attr(telemetry.KeyEvent)
	require.Equal(t, "ecopatterns.test.item.added", v.String())
	var perr *telemetry.PanicError
	require.ErrorAs(t, e.Error(), &perr)
	require.Equal(t, "handler bug", perr.Value)
	require.EqualError(t, perr, "panic: handler bug")
	v, _ = e.Attr(telemetry.KeyStack)
	require.Contains(t, v.String(), "TestHandlerPanicIsDetachedAndReported")
	m, _ := e.Measurement("failures")
	require.Equal(t, int64(1), m.Int64())
	require.Contains(t, logs.String(), `msg="telemetry: handler panicked" handler=bad event=ecopatterns.test.item.added error="panic: handler bug" failures=1 detached=true`)

	for _, h := range reg.Handlers() {
		require.NotEqual(t, "bad", h.ID, "a panicking handler is detached by default")
	}
	reg.Emit(context.Background(), itemAdded, nil)
	require.Len(t, failures.all(), 1)
	require.Len(t, after.all(), 2)
}

func TestHandlerFailurePolicies(t *testing.T) {
	run := func(t *testing.T, policy telemetry.FailurePolicy, max int) (attachedAfter []bool, failed int) {
		opts := telemetry.DefaultOptions()
		opts.OnHandlerFailure = policy
		opts.MaxHandlerFailures = max
		reg, err := telemetry.New(opts)
		require.NoError(t, err)
		var failures collector
		require.NoError(t, reg.Attach("failures", []string{telemetry.HandlerFailed.String()}, &failures))
		require.NoError(t, reg.Attach("bad", []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
			panic(errors.New("boom"))
		})))
		for range 4 {
			reg.Emit(context.Background(), itemAdded, nil)
			attachedAfter = append(attachedAfter, len(reg.Handlers()) == 2)
		}
		return attachedAfter, len(failures.all())
	}
	attached, failed := run(t, telemetry.KeepOnFailure, 0)
	require.Equal(t, []bool{true, true, true, true}, attached)
	require.Equal(t, 4, failed)

	attached, failed = run(t, telemetry.DetachAfterFailures, 3)
	require.Equal(t, []bool{true, true, false, false}, attached)
	require.Equal(t, 3, failed)

	attached, failed = run(t, telemetry.DetachOnFailure, 0)
	require.Equal(t, []bool{false, false, false, false}, attached)
	require.Equal(t, 1, failed)
}

func TestFailureHandlerPanicIsNotReEmitted(t *testing.T) {
	reg := newRegistry(t)
	calls := 0
	require.NoError(t, reg.Attach("bad-failure-handler", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls++
		panic("always")
	})))
	opts := telemetry.DefaultOptions()
	opts.OnHandlerFailure = telemetry.KeepOnFailure
	keep, err := telemetry.New(opts)
	require.NoError(t, err)
	require.NoError(t, keep.Attach("bad", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {
		calls++
		panic("always")
	})))
	require.NotPanics(t, func() { keep.Emit(context.Background(), itemAdded, nil) })
	// The handler failed on the event and once more on HandlerFailed, and
	// that second failure was not turned into another event.
	require.Equal(t, 2, calls)
	require.NotPanics(t, func() { reg.Emit(context.Background(), itemAdded, nil) })
}

func TestSpanStop(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	meta := []slog.Attr{slog.String("task", "send"), slog.Int("attempt", 1)}
	var scopeID telemetry.SpanID
	err := reg.Span(context.Background(), taskSpan, meta, func(ctx context.Context, s *telemetry.Scope) error {
		require.NotNil(t, s)
		scopeID = s.ID()
		require.Equal(t, scopeID, telemetry.SpanIDFromContext(ctx))
		s.AddMetadata(slog.String("result", "sent"))
		s.AddMeasurements(telemetry.Int("bytes", 512))
		time.Sleep(time.Millisecond) // a real duration to measure, not a synchronisation
		return nil
	})
	require.NoError(t, err)
	evs := c.all()
	require.Len(t, evs, 2)
	start, stop := evs[0], evs[1]
	require.Equal(t, "ecopatterns.test.task.start", start.Name.String())
	require.Equal(t, "ecopatterns.test.task.stop", stop.Name.String())
	require.NotZero(t, start.SpanID)
	require.Equal(t, scopeID, start.SpanID)
	require.Equal(t, start.SpanID, stop.SpanID)
	require.Equal(t, []string{"task", "attempt"}, attrKeys(start.Metadata))
	require.Equal(t, []string{"task", "attempt", "result"}, attrKeys(stop.Metadata), "stop metadata includes start metadata")
	require.Empty(t, start.Measurements)
	m, ok := stop.Measurement("bytes")
	require.True(t, ok)
	require.Equal(t, int64(512), m.Int64())
	require.GreaterOrEqual(t, stop.Duration, time.Millisecond)
	require.Equal(t, stop.Duration, stop.Time.Sub(start.Time))
	require.Equal(t, stop.Duration, stop.Monotonic-start.Monotonic)
}

// loggedError is an error that logs itself as a group, as errprio's coded
// errors do: slog stores it as a LogValuer, not as an Any.
type loggedError struct{ code string }

func (e *loggedError) Error() string { return "coded " + e.code }

func (e *loggedError) LogValue() slog.Value {
	return slog.GroupValue(slog.String("code", e.code), slog.String("message", e.Error()))
}

// An error that is also a slog.LogValuer is still the exception event's
// error, unresolved.
func TestSpanErrorThatIsALogValuer(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	want := &loggedError{code: "22023"}
	err := reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error {
		return fmt.Errorf("send: %w", want)
	})
	require.ErrorIs(t, err, want)
	exc := c.all()[1]
	require.ErrorIs(t, exc.Error(), want)
	direct := reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error {
		return want
	})
	require.ErrorIs(t, direct, want)
	require.Same(t, want, c.all()[3].Error(), "the error itself, not its resolved group")
}

func TestSpanError(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	want := errors.New("smtp refused")
	err := reg.Span(context.Background(), taskSpan, []slog.Attr{slog.String("task", "send")}, func(context.Context, *telemetry.Scope) error {
		return want
	})
	require.ErrorIs(t, err, want)
	require.Equal(t, []string{"ecopatterns.test.task.start", "ecopatterns.test.task.exception"}, c.names())
	exc := c.all()[1]
	require.Equal(t, []string{"task", "kind", "error"}, attrKeys(exc.Metadata))
	v, _ := exc.Attr(telemetry.KeyKind)
	require.Equal(t, telemetry.KindError, v.String())
	require.ErrorIs(t, exc.Error(), want)
	_, hasStack := exc.Attr(telemetry.KeyStack)
	require.False(t, hasStack, "only panics carry a stack")
}

func TestSpanContextCancel(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	err := reg.Span(ctx, taskSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		require.Equal(t, "v", ctx.Value(key{}), "fn's context keeps the caller's values")
		cancel()
		<-ctx.Done() // fn's context is cancelled with the caller's
		return ctx.Err()
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"ecopatterns.test.task.start", "ecopatterns.test.task.exception"}, c.names())
	require.ErrorIs(t, c.all()[1].Error(), context.Canceled)
}

func TestSpanPanicIsReRaised(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error {
			panicInTask()
			return nil
		})
	}()
	require.Equal(t, "task exploded", recovered, "the original panic value is re-raised")
	require.Equal(t, []string{"ecopatterns.test.task.start", "ecopatterns.test.task.exception"}, c.names())
	exc := c.all()[1]
	v, _ := exc.Attr(telemetry.KeyKind)
	require.Equal(t, telemetry.KindPanic, v.String())
	var perr *telemetry.PanicError
	require.ErrorAs(t, exc.Error(), &perr)
	require.Equal(t, "task exploded", perr.Value)
	v, _ = exc.Attr(telemetry.KeyStack)
	require.Contains(t, v.String(), "panicInTask", "the stack is the panicking goroutine's")
}

func panicInTask() { panic("task exploded") }

func TestSpanGoexit(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns.test.task"}, &c))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error {
			runtime.Goexit()
			return nil
		})
		t.Error("Goexit must keep unwinding past Span")
	}()
	<-done
	require.Equal(t, []string{"ecopatterns.test.task.start", "ecopatterns.test.task.exception"}, c.names())
	v, _ := c.all()[1].Attr(telemetry.KeyKind)
	require.Equal(t, telemetry.KindExit, v.String())
}

func TestSpanOnlyStopAttached(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{taskSpan.Stop.String()}, &c))
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error {
		time.Sleep(time.Millisecond) // a real duration to measure
		return nil
	}))
	require.Equal(t, []string{"ecopatterns.test.task.stop"}, c.names())
	require.GreaterOrEqual(t, c.all()[0].Duration, time.Millisecond)
}

func TestSpanNilFunc(t *testing.T) {
	reg := newRegistry(t)
	require.EqualError(t, reg.Span(context.Background(), taskSpan, nil, nil), "telemetry: Span: fn is nil")
	var nilReg *telemetry.Registry
	require.EqualError(t, nilReg.Span(context.Background(), taskSpan, nil, nil), "telemetry: Span: fn is nil")
}

func TestNestedSpansAndEventsNameTheirParent(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.NoError(t, reg.Attach("c", []string{"ecopatterns"}, &c))
	inner := telemetry.MustSpanName("ecopatterns.test.inner")
	var outerID, innerID telemetry.SpanID
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(ctx context.Context, s *telemetry.Scope) error {
		outerID = s.ID()
		reg.Emit(ctx, itemAdded, nil)
		return reg.Span(ctx, inner, nil, func(ctx context.Context, s *telemetry.Scope) error {
			innerID = s.ID()
			return nil
		})
	}))
	evs := c.all()
	require.Equal(t, []string{
		"ecopatterns.test.task.start", "ecopatterns.test.item.added",
		"ecopatterns.test.inner.start", "ecopatterns.test.inner.stop", "ecopatterns.test.task.stop",
	}, c.names())
	require.NotEqual(t, outerID, innerID)
	require.Zero(t, evs[0].ParentID)
	require.Equal(t, outerID, evs[1].ParentID)
	require.Equal(t, innerID, evs[2].SpanID)
	require.Equal(t, outerID, evs[2].ParentID)
	require.Equal(t, outerID, evs[3].ParentID)
	require.Zero(t, evs[4].ParentID)
}

func TestSpanWithoutHandlersPassesNilScope(t *testing.T) {
	reg := newRegistry(t)
	require.NoError(t, reg.Attach("other", []string{"ecopatterns.other"}, &collector{}))
	var got *telemetry.Scope = &telemetry.Scope{}
	ctx := context.Background()
	require.NoError(t, reg.Span(ctx, taskSpan, nil, func(fctx context.Context, s *telemetry.Scope) error {
		got = s
		require.Equal(t, ctx, fctx, "with no handler fn gets the caller's context unchanged")
		return nil
	}))
	require.Nil(t, got)
}

func TestDefault(t *testing.T) {
	require.Nil(t, telemetry.Default(), "nothing is installed unless a program opts in")
	reg := newRegistry(t)
	telemetry.SetDefault(reg)
	t.Cleanup(func() { telemetry.SetDefault(nil) })
	require.Same(t, reg, telemetry.Default())
}

func TestSlogHandler(t *testing.T) {
	var b bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "span_id", "parent_id":
				return slog.Attr{}
			case "duration":
				return slog.String("duration", "D")
			}
			return a
		},
	}))
	reg := newRegistry(t)
	require.NoError(t, reg.Attach("log", []string{"ecopatterns"}, telemetry.SlogHandler(logger, slog.LevelInfo)))
	require.NoError(t, reg.Attach("debug-only", []string{"ecopatterns"}, telemetry.SlogHandler(logger, slog.LevelDebug)))
	require.NoError(t, reg.Attach("nil-logger", []string{"ecopatterns"}, telemetry.SlogHandler(nil, slog.LevelInfo)))
	ctx := context.Background()
	reg.Emit(ctx, itemAdded, []telemetry.Measurement{telemetry.Int("count", 2), telemetry.Dur("wait", 1500*time.Millisecond)}, slog.String("queue", "mail"))
	_ = reg.Span(ctx, taskSpan, []slog.Attr{slog.String("task", "t1")}, func(context.Context, *telemetry.Scope) error {
		return errors.New("failed")
	})
	require.Equal(t, strings.Join([]string{
		"level=INFO msg=ecopatterns.test.item.added count=2 wait=1.5s queue=mail",
		"level=INFO msg=ecopatterns.test.task.start task=t1",
		"level=INFO msg=ecopatterns.test.task.exception duration=D task=t1 kind=error error=failed",
		"",
	}, "\n"), b.String())
}

func TestEventClone(t *testing.T) {
	e := telemetry.Event{
		Measurements: []telemetry.Measurement{telemetry.Int("a", 1)},
		Metadata:     []slog.Attr{slog.String("k", "v"), slog.String("k", "v2")},
	}
	c := e.Clone()
	e.Measurements[0] = telemetry.Int("a", 2)
	e.Metadata[0] = slog.String("k", "changed")
	require.Equal(t, int64(1), c.Measurements[0].Int64())
	require.Equal(t, "v", c.Metadata[0].Value.String())
	v, _ := c.Attr("k")
	require.Equal(t, "v2", v.String(), "the last attribute with a key wins")
}

func TestMeasurementKinds(t *testing.T) {
	require.Equal(t, int64(2), telemetry.Float("f", 2.9).Int64())
	require.Equal(t, 7.0, telemetry.Int("i", 7).Float64())
	require.Equal(t, -3.0, telemetry.Int("i", -3).Float64())
	require.Equal(t, time.Duration(5), telemetry.Int("i", 5).Duration())
	require.Equal(t, "d=2s", telemetry.Dur("d", 2*time.Second).String())
	require.Equal(t, "i=7", telemetry.Int("i", 7).String())
	require.Equal(t, telemetry.MeasurementKind(0), telemetry.Measurement{}.Kind())
	require.Equal(t, "00000000000000ff", telemetry.SpanID(255).String())
}

// TestConcurrentAttachDetachEmit runs under -race: handlers come and go while
// many goroutines emit and run spans.
func TestConcurrentAttachDetachEmit(t *testing.T) {
	reg := newRegistry(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				reg.Emit(ctx, itemAdded, []telemetry.Measurement{telemetry.Int("i", int64(i))}, slog.Int("g", g))
				_ = reg.Span(ctx, taskSpan, []slog.Attr{slog.Int("g", g)}, func(_ context.Context, s *telemetry.Scope) error {
					s.AddMetadata(slog.Int("i", i))
					return nil
				})
			}
		})
	}
	var mu sync.Mutex
	seen := 0
	for i := range 200 {
		id := fmt.Sprint("h", i%7)
		_ = reg.Attach(id, []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
			_ = e.Clone()
			mu.Lock()
			seen++
			mu.Unlock()
		}))
		if i%3 == 0 {
			_ = reg.Detach(fmt.Sprint("h", (i+3)%7))
		}
		_ = reg.Handlers()
		runtime.Gosched()
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Positive(t, seen)
}

// ctxAdder is a StartHandler that adds a value to the span function's
// context and records the contexts its events arrive with.
type ctxAdder struct {
	key, val string
	panics   bool
	mu       sync.Mutex
	seen     []string // event name and the value seen in its context
}

type adderKey string

func (h *ctxAdder) HandleStart(ctx context.Context, e *telemetry.Event) context.Context {
	if h.panics {
		panic("start handler bug")
	}
	h.record(ctx, e)
	return context.WithValue(ctx, adderKey(h.key), h.val)
}

func (h *ctxAdder) Handle(ctx context.Context, e *telemetry.Event) { h.record(ctx, e) }

func (h *ctxAdder) record(ctx context.Context, e *telemetry.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, _ := ctx.Value(adderKey(h.key)).(string)
	h.seen = append(h.seen, e.Name.String()+":"+v)
}

func TestStartHandlerShapesTheFunctionContext(t *testing.T) {
	reg := newRegistry(t)
	a := &ctxAdder{key: "a", val: "1"}
	b := &ctxAdder{key: "a", val: "2"} // sees a's value, then overrides it
	bad := &ctxAdder{key: "bad", val: "x", panics: true}
	require.NoError(t, reg.Attach("a", []string{"ecopatterns.test"}, a))
	require.NoError(t, reg.Attach("bad", []string{"ecopatterns.test"}, bad))
	require.NoError(t, reg.Attach("b", []string{"ecopatterns.test"}, b))
	var got []any
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		got = append(got, ctx.Value(adderKey("a")), ctx.Value(adderKey("bad")))
		reg.Emit(ctx, itemAdded, nil)
		return nil
	}))
	require.Equal(t, []any{"2", nil}, got, "the last start handler's value wins; a panicking one adds nothing")
	require.Equal(t, []string{"ecopatterns.test.task.start:", "ecopatterns.test.item.added:2", "ecopatterns.test.task.stop:"}, a.seen)
	require.Equal(t, []string{"ecopatterns.test.task.start:1", "ecopatterns.test.item.added:2", "ecopatterns.test.task.stop:"}, b.seen,
		"stop events arrive with the context the span started with")
	for _, h := range reg.Handlers() {
		require.NotEqual(t, "bad", h.ID, "the panicking start handler was detached")
	}
}

// TestSpanEndHandlersAreLookedUpAtTheEnd: a span that is observed when it
// starts delivers its stop or exception event to the handlers attached when
// its function returns, not to those attached when it started.
func TestSpanEndHandlersAreLookedUpAtTheEnd(t *testing.T) {
	fail := errors.New("fail")
	for _, c := range []struct {
		name string
		err  error
		end  telemetry.Name
	}{{"stop", nil, taskSpan.Stop}, {"exception", fail, taskSpan.Exception}} {
		t.Run(c.name, func(t *testing.T) {
			reg := newRegistry(t)
			var starts, late, gone collector
			require.NoError(t, reg.Attach("starts", []string{taskSpan.Start.String()}, &starts))
			require.NoError(t, reg.Attach("gone", []string{c.end.String()}, &gone))
			err := reg.Span(context.Background(), taskSpan, []slog.Attr{slog.String("k", "v")}, func(ctx context.Context, s *telemetry.Scope) error {
				require.NoError(t, reg.Attach("late", []string{c.end.String()}, &late))
				require.NoError(t, reg.Detach("gone"))
				s.AddMetadata(slog.String("added", "yes"))
				time.Sleep(time.Millisecond)
				return c.err
			})
			require.Equal(t, c.err, err)
			require.Empty(t, gone.all(), "a handler detached while the span ran gets nothing")
			require.Equal(t, []string{c.end.String()}, late.names(), "a handler attached while the span ran gets its end")
			end, start := late.all()[0], starts.all()[0]
			require.Equal(t, start.SpanID, end.SpanID)
			require.GreaterOrEqual(t, end.Duration, time.Millisecond)
			require.Equal(t, end.Duration, end.Time.Sub(start.Time))
			require.Equal(t, []string{"k", "added"}, attrKeys(end.Metadata)[:2])
			require.Equal(t, c.err, end.Error())
		})
	}
}

// TestSpanUnobservedAtStartStaysUnobserved: a span that started while no
// handler listened to it is not reported, even to a handler attached to its
// stop event before it ends: it has no start time to report.
func TestSpanUnobservedAtStartStaysUnobserved(t *testing.T) {
	reg := newRegistry(t)
	var late collector
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(_ context.Context, s *telemetry.Scope) error {
		require.Nil(t, s)
		require.NoError(t, reg.Attach("late", []string{taskSpan.Stop.String()}, &late))
		return nil
	}))
	require.Empty(t, late.all())
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(context.Context, *telemetry.Scope) error { return nil }))
	require.Equal(t, []string{taskSpan.Stop.String()}, late.names(), "the next span is observed")
}

func TestAttachValidatesPatterns(t *testing.T) {
	reg := newRegistry(t)
	h := telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {})
	for _, bad := range []string{"", ".", "ecopatterns.", ".ecopatterns", "ecopatterns..stopper", "ecopatterns.stopper.*", "ecopatterns stopper", "ecopatterns/stopper", "é"} {
		err := reg.Attach("x", []string{"ecopatterns.ok", bad}, h)
		require.Error(t, err, "pattern %q", bad)
		require.Contains(t, err.Error(), fmt.Sprintf("invalid event name %q", bad))
	}
	require.Empty(t, reg.Handlers())
	require.ErrorContains(t, reg.Attach("x", telemetry.Patterns(telemetry.Name{}), h), `invalid event name "": empty`)
	require.ErrorContains(t, reg.Attach("x", telemetry.Patterns(nil), h), `invalid event name "": empty`)
}

func TestTypedNamesArePatterns(t *testing.T) {
	reg := newRegistry(t)
	var c collector
	require.Equal(t, []string{"ecopatterns.test.task", "ecopatterns.test.item.added", "ecopatterns.test.task.stop"},
		telemetry.Patterns(taskSpan, itemAdded, taskSpan.Stop))
	require.NoError(t, reg.Attach("c", telemetry.Patterns(taskSpan, itemAdded), &c))
	require.NoError(t, reg.Span(context.Background(), taskSpan, nil, func(ctx context.Context, _ *telemetry.Scope) error {
		reg.Emit(ctx, itemAdded, nil)
		reg.Emit(ctx, otherEvent, nil)
		return nil
	}))
	require.Equal(t, []string{"ecopatterns.test.task.start", "ecopatterns.test.item.added", "ecopatterns.test.task.stop"}, c.names())
}

func TestListHandlers(t *testing.T) {
	reg := newRegistry(t)
	h := telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {})
	require.NoError(t, reg.Attach("all", []string{"ecopatterns"}, h))
	require.NoError(t, reg.Attach("task-stop", []string{"ecopatterns.test.task.stop"}, h))
	require.NoError(t, reg.Attach("testx", []string{"ecopatterns.testx"}, h))
	require.NoError(t, reg.Attach("two", []string{"other", "ecopatterns.test"}, h))
	ids := func(prefix string) []string {
		hs, err := reg.ListHandlers(prefix)
		require.NoError(t, err)
		var out []string
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	require.Equal(t, []string{"all", "task-stop", "testx", "two"}, ids(""))
	require.Equal(t, []string{"all", "task-stop", "testx", "two"}, ids("ecopatterns"))
	require.Equal(t, []string{"task-stop", "two"}, ids("ecopatterns.test"), "not ecopatterns.testx: prefixes end at a dot")
	require.Equal(t, []string{"task-stop"}, ids("ecopatterns.test.task"))
	require.Equal(t, []string{"two"}, ids("other"))
	require.Empty(t, ids("nothing.here"))
	hs, err := reg.ListHandlers("ecopatterns.test.task")
	require.NoError(t, err)
	require.Equal(t, []telemetry.HandlerInfo{{ID: "task-stop", Patterns: []string{"ecopatterns.test.task.stop"}}}, hs)

	_, err = reg.ListHandlers("bad prefix")
	require.EqualError(t, err, `telemetry: ListHandlers: prefix: telemetry: invalid event name "bad prefix": character ' ' at offset 3 (use letters, digits, '_' and '-' between dots)`)
	var nilReg *telemetry.Registry
	hs, err = nilReg.ListHandlers("ecopatterns")
	require.NoError(t, err)
	require.Empty(t, hs)
}
