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
