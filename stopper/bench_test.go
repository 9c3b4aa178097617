package stopper_test

import (
	"context"
	"testing"

	"github.com/ecopatterns/ecopatterns/stopper"
)

func benchStopper(b *testing.B) *stopper.Stopper {
	s, err := stopper.New(stopper.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkRunAsyncTask(b *testing.B) {
	s := benchStopper(b)
	ctx := context.Background()
	f := func(context.Context) {}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.RunAsyncTask(ctx, "bench", f); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Stop(ctx); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRunTask(b *testing.B) {
	s := benchStopper(b)
	ctx := context.Background()
	f := func(context.Context) {}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.RunTask(ctx, "bench", f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = s.Stop(ctx)
}

func BenchmarkRunTaskParallel(b *testing.B) {
	s := benchStopper(b)
	ctx := context.Background()
	f := func(context.Context) {}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.RunTask(ctx, "bench", f); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	_ = s.Stop(ctx)
}

func BenchmarkRejected(b *testing.B) {
	s := benchStopper(b)
	ctx := context.Background()
	_ = s.Stop(ctx)
	f := func(context.Context) {}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.RunAsyncTask(ctx, "bench", f); err != stopper.ErrUnavailable {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunTaskCancellableContext(b *testing.B) {
	s := benchStopper(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("err-only", func(b *testing.B) {
		f := func(ctx context.Context) { _ = ctx.Err() }
		b.ReportAllocs()
		for b.Loop() {
			_ = s.RunTask(ctx, "bench", f)
		}
	})
	b.Run("done", func(b *testing.B) {
		f := func(ctx context.Context) { _ = ctx.Done() }
		b.ReportAllocs()
		for b.Loop() {
			_ = s.RunTask(ctx, "bench", f)
		}
	})
	b.StopTimer()
	_ = s.Stop(context.Background())
}
