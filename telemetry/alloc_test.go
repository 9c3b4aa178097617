//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package telemetry_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

func TestAllocations(t *testing.T) {
	ctx := context.Background()
	reg := newRegistry(t)
	meta := []slog.Attr{slog.String("queue", "mail")}
	noop := func(context.Context, *telemetry.Scope) error { return nil }

	require.Zero(t, testing.AllocsPerRun(200, func() { reg.Emit(ctx, itemAdded, nil, meta...) }), "Emit, no handlers")
	require.Zero(t, testing.AllocsPerRun(200, func() { _ = reg.Span(ctx, taskSpan, meta, noop) }), "Span, no handlers")

	var sink telemetry.SpanID
	for i := range 10 {
		id := string(rune('a' + i))
		require.NoError(t, reg.Attach(id, []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
			sink ^= e.SpanID
		})))
		if i == 0 {
			require.Zero(t, testing.AllocsPerRun(200, func() { reg.Emit(ctx, itemAdded, nil, meta...) }), "Emit, 1 handler")
			require.LessOrEqual(t, testing.AllocsPerRun(200, func() {
				_ = reg.Span(ctx, taskSpan, meta, func(_ context.Context, s *telemetry.Scope) error {
					s.AddMetadata(slog.String("result", "ok"))
					return nil
				})
			}), 1.0, "Span, 1 handler")
		}
	}
	require.Zero(t, testing.AllocsPerRun(200, func() { reg.Emit(ctx, itemAdded, nil, meta...) }), "Emit, 10 handlers")
	require.LessOrEqual(t, testing.AllocsPerRun(200, func() { _ = reg.Span(ctx, taskSpan, meta, noop) }), 1.0, "Span, 10 handlers")
	_ = sink
}
