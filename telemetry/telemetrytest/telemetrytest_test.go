package telemetrytest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	workSpan  = telemetry.MustSpanName("ecopatterns.test.work")
	itemAdded = telemetry.MustName("ecopatterns.test.item.added")
)

func newRegistry(t *testing.T) *telemetry.Registry {
	t.Helper()
	reg, err := telemetry.New(telemetry.DefaultOptions())
	require.NoError(t, err)
	return reg
}

// fakeT records failures instead of ending the test, so the helpers'
// failure paths can be checked.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeT) Helper()      {}
func (f *fakeT) Name() string { return "fake" }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}
func (f *fakeT) Errorf(format string, args ...any) { f.Fatalf(format, args...) }
func (f *fakeT) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// TestParallelTestsSeeOnlyTheirOwnEvents runs 64 parallel tests that all
// emit the same names on one registry.
func TestParallelTestsSeeOnlyTheirOwnEvents(t *testing.T) {
	reg := newRegistry(t)
	t.Run("group", func(t *testing.T) {
		for i := range 64 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				rec := telemetrytest.Capture(t, reg, "ecopatterns.test")
				ctx := rec.Context(context.Background())
				for j := range 20 {
					reg.Emit(ctx, itemAdded, nil, slog.Int("test", i), slog.Int("j", j))
					require.NoError(t, reg.Span(ctx, workSpan, []slog.Attr{slog.Int("test", i)}, func(ctx context.Context, s *telemetry.Scope) error {
						// A goroutine that carries the test's context reports to it too.
						done := make(chan struct{})
						go func() {
							defer close(done)
							reg.Emit(ctx, itemAdded, nil, slog.Int("test", i), slog.Int("j", -1))
						}()
						<-done
						return nil
					}))
					// Events emitted without the token belong to nobody.
					reg.Emit(context.Background(), itemAdded, nil, slog.Int("test", -1))
				}
				events := rec.Events()
				require.Len(t, events, 20*4)
				for _, e := range events {
					v, ok := e.Attr("test")
					require.True(t, ok)
					require.Equal(t, int64(i), v.Int64(), "event %s from another test", e.Name)
				}
				require.Len(t, rec.Matching(itemAdded, slog.Int("j", -1)), 20)
			})
		}
	})
	require.Empty(t, reg.Handlers(), "every recorder detaches when its test ends")
}

func TestRequireAndRefute(t *testing.T) {
	reg := newRegistry(t)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.test")
	ctx := rec.Context(context.Background())
	reg.Emit(ctx, itemAdded, nil, slog.String("queue", "mail"), slog.Int("n", 1))
	reg.Emit(ctx, itemAdded, nil, slog.String("queue", "sms"), slog.Int("n", 2))
	require.NoError(t, reg.Span(ctx, workSpan, []slog.Attr{slog.String("task", "t")}, func(context.Context, *telemetry.Scope) error { return nil }))

	e := rec.Require(t, itemAdded, slog.String("queue", "sms"))
	v, _ := e.Attr("n")
	require.Equal(t, int64(2), v.Int64())
	rec.Require(t, workSpan.Stop, slog.String("task", "t"))
	rec.Refute(t, workSpan.Exception)
	rec.Refute(t, itemAdded, slog.String("queue", "email"))

	f := &fakeT{}
	rec.Require(f, itemAdded)
	rec.Require(f, itemAdded, slog.String("queue", "fax"))
	rec.Refute(f, itemAdded, slog.Int("n", 1))
	require.Len(t, f.failures, 3)
	require.Equal(t, "telemetrytest: want exactly 1 event ecopatterns.test.item.added, found 2\n"+
		"recorded events:\n"+
		"  ecopatterns.test.item.added queue=mail n=1\n"+
		"  ecopatterns.test.item.added queue=sms n=2\n"+
		"  ecopatterns.test.work.start task=t\n"+
		"  ecopatterns.test.work.stop task=t", f.failures[0])
	require.Contains(t, f.failures[1], "want exactly 1 event ecopatterns.test.item.added with queue=fax, found 0")
	require.Contains(t, f.failures[2], "want no event ecopatterns.test.item.added with n=1, found 1")
}

func TestRequireShowsWhenNothingWasRecorded(t *testing.T) {
	reg := newRegistry(t)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.test")
	f := &fakeT{}
	rec.Require(f, itemAdded)
	require.Equal(t, []string{"telemetrytest: want exactly 1 event ecopatterns.test.item.added, found 0\nrecorded events: none"}, f.failures)
}

func TestWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := newRegistry(t)
		rec := telemetrytest.Capture(t, reg, "ecopatterns.test")
		ctx := rec.Context(context.Background())

		go func() {
			time.Sleep(time.Second) // fake time inside the bubble
			reg.Emit(ctx, itemAdded, nil, slog.String("queue", "other"))
			time.Sleep(time.Second)
			reg.Emit(ctx, itemAdded, nil, slog.String("queue", "mail"))
		}()
		start := time.Now()
		e, err := rec.Wait(ctx, itemAdded, slog.String("queue", "mail"))
		require.NoError(t, err)
		require.Equal(t, 2*time.Second, time.Since(start), "Wait returns when the matching event arrives")
		v, _ := e.Attr("queue")
		require.Equal(t, "mail", v.String())

		// An event already recorded satisfies Wait at once.
		_, err = rec.Wait(ctx, itemAdded, slog.String("queue", "other"))
		require.NoError(t, err)

		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err = rec.Wait(wctx, workSpan.Stop)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.EqualError(t, err, "telemetrytest: waiting for ecopatterns.test.work.stop: context deadline exceeded")
	})
}

func TestCaptureBadInput(t *testing.T) {
	f := &fakeT{}
	reg := newRegistry(t)
	telemetrytest.Capture(f, nil, "ecopatterns")
	telemetrytest.Capture(f, reg)
	telemetrytest.Capture(f, reg, "bad name")
	require.Len(t, f.failures, 3)
	require.Equal(t, "telemetrytest: Capture: registry is nil", f.failures[0])
	require.Contains(t, f.failures[1], "no event names or prefixes to attach to")
	require.Contains(t, f.failures[2], `invalid event name "bad name"`)
}

func TestCleanupDetaches(t *testing.T) {
	reg := newRegistry(t)
	f := &fakeT{}
	rec := telemetrytest.Capture(f, reg, "ecopatterns.test")
	require.Len(t, reg.Handlers(), 1)
	f.runCleanups()
	require.Empty(t, reg.Handlers())
	reg.Emit(rec.Context(context.Background()), itemAdded, nil)
	require.Empty(t, rec.Events())
	require.Empty(t, f.failures)
}

func TestExceptionEventsAreCaptured(t *testing.T) {
	reg := newRegistry(t)
	rec := telemetrytest.Capture(t, reg, "ecopatterns.test.work")
	ctx := rec.Context(context.Background())
	boom := errors.New("boom")
	require.ErrorIs(t, reg.Span(ctx, workSpan, nil, func(context.Context, *telemetry.Scope) error { return boom }), boom)
	e := rec.Require(t, workSpan.Exception, slog.String(telemetry.KeyKind, telemetry.KindError))
	require.ErrorIs(t, e.Error(), boom)
}
