package telemetry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Names are declared once, in the emitting package's events.go.
var (
	jobSpan   = telemetry.MustSpanName("ecopatterns.example.job")
	jobQueued = telemetry.MustName("ecopatterns.example.job.queued")
)

func ExampleRegistry_Span() {
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	_ = reg.Attach("print", []string{"ecopatterns.example"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		fmt.Print(e.Name)
		for _, a := range e.Metadata {
			fmt.Print(" ", a)
		}
		fmt.Println()
	}))

	ctx := context.Background()
	_ = reg.Span(ctx, jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(ctx context.Context, s *telemetry.Scope) error {
		s.AddMetadata(slog.String("result", "sent"))
		return nil
	})
	err := reg.Span(ctx, jobSpan, []slog.Attr{slog.String("queue", "mail")}, func(ctx context.Context, s *telemetry.Scope) error {
		return errors.New("smtp: connection refused")
	})
	fmt.Println("Span returned:", err)
	// Output:
	// ecopatterns.example.job.start queue=mail
	// ecopatterns.example.job.stop queue=mail result=sent
	// ecopatterns.example.job.start queue=mail
	// ecopatterns.example.job.exception queue=mail kind=error error=smtp: connection refused
	// Span returned: smtp: connection refused
}

func ExampleRegistry_Attach() {
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	// A prefix subscribes to every event below it; handlers run in attach order.
	_ = reg.Attach("first", []string{"ecopatterns.example"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		fmt.Println("first:", e.Name)
	}))
	_ = reg.Attach("second", []string{"ecopatterns.example.job.queued"}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		m, _ := e.Measurement("depth")
		fmt.Println("second:", e.Name, "depth", m.Int64())
	}))
	err := reg.Attach("first", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {}))
	fmt.Println(err)

	reg.Emit(context.Background(), jobQueued, []telemetry.Measurement{telemetry.Int("depth", 3)}, slog.String("queue", "mail"))
	_ = reg.Detach("first")
	reg.Emit(context.Background(), jobQueued, []telemetry.Measurement{telemetry.Int("depth", 4)})
	// Output:
	// telemetry: handler id already attached: "first"
	// first: ecopatterns.example.job.queued
	// second: ecopatterns.example.job.queued depth 3
	// second: ecopatterns.example.job.queued depth 4
}

func ExampleSlogHandler() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		// Drop the time so the output is stable.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	_ = reg.Attach("log", []string{"ecopatterns"}, telemetry.SlogHandler(logger, slog.LevelInfo))

	reg.Emit(context.Background(), jobQueued, []telemetry.Measurement{telemetry.Int("depth", 3)}, slog.String("queue", "mail"))
	// Output:
	// level=INFO msg=ecopatterns.example.job.queued depth=3 queue=mail
}

// Emitters whose metadata is costly to build ask first.
func ExampleRegistry_Enabled() {
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	fmt.Println(reg.Enabled(jobQueued))
	_ = reg.Attach("h", []string{"ecopatterns"}, telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {}))
	fmt.Println(reg.Enabled(jobQueued))
	// Output:
	// false
	// true
}

// Typed names serve as patterns, so a misspelled event is a compile error;
// ListHandlers shows who is attached under a prefix.
func ExampleRegistry_ListHandlers() {
	reg, _ := telemetry.New(telemetry.DefaultOptions())
	h := telemetry.HandlerFunc(func(context.Context, *telemetry.Event) {})
	_ = reg.Attach("jobs", telemetry.Patterns(jobSpan, jobQueued), h)
	_ = reg.Attach("everything", []string{"ecopatterns"}, h)
	_ = reg.Attach("shop", []string{"shop.checkout"}, h)

	hs, _ := reg.ListHandlers("ecopatterns.example")
	for _, info := range hs {
		fmt.Println(info.ID, info.Patterns)
	}
	err := reg.Attach("typo", []string{"ecopatterns.example..job"}, h)
	fmt.Println(err)
	// Output:
	// jobs [ecopatterns.example.job ecopatterns.example.job.queued]
	// telemetry: Attach "typo": telemetry: invalid event name "ecopatterns.example..job": segment 3 is empty
}
