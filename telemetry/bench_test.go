package telemetry_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

var benchSink telemetry.SpanID

func benchRegistry(b *testing.B, handlers int) *telemetry.Registry {
	reg, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	for i := range handlers {
		if err := reg.Attach(string(rune('a'+i)), []string{"ecopatterns.test"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
			benchSink ^= e.SpanID
		})); err != nil {
			b.Fatal(err)
		}
	}
	return reg
}

func BenchmarkEmit(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprint("handlers=", n), func(b *testing.B) {
			reg := benchRegistry(b, n)
			b.ReportAllocs()
			for b.Loop() {
				reg.Emit(ctx, itemAdded, nil, slog.String("queue", "mail"))
			}
		})
	}
}

func BenchmarkSpan(b *testing.B) {
	ctx := context.Background()
	meta := []slog.Attr{slog.String("queue", "mail")}
	fn := func(context.Context, *telemetry.Scope) error { return nil }
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprint("handlers=", n), func(b *testing.B) {
			reg := benchRegistry(b, n)
			b.ReportAllocs()
			for b.Loop() {
				_ = reg.Span(ctx, taskSpan, meta, fn)
			}
		})
	}
}
