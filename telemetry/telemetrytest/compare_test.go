package telemetrytest_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry/telemetrytest"
)

type point struct {
	X    int
	Tags []string
}

// token is a LogValuer: it logs as a redacted string.
type token struct{ secret string }

func (token) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// user is a LogValuer that logs as a group holding a slice.
type user struct{ id int }

func (u user) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("id", u.id), slog.Any("roles", []string{"admin"}))
}

// TestMatchingComparesAnyValueDeeply: values Go cannot compare with ==
// (slices, maps, structs holding them, LogValuers, groups nesting them) are
// compared deeply by every assertion of the Recorder, which never panics.
func TestMatchingComparesAnyValueDeeply(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name      string
		emitted   slog.Attr
		same      slog.Attr
		different slog.Attr
	}{
		{"slice", slog.Any("v", []string{"a", "b"}), slog.Any("v", []string{"a", "b"}), slog.Any("v", []string{"a"})},
		{"nil slice vs empty", slog.Any("v", []int{1}), slog.Any("v", []int{1}), slog.Any("v", []int(nil))},
		{"map", slog.Any("v", map[string][]int{"x": {1}}), slog.Any("v", map[string][]int{"x": {1}}), slog.Any("v", map[string][]int{"x": {2}})},
		{"struct with a slice", slog.Any("v", point{1, []string{"t"}}), slog.Any("v", point{1, []string{"t"}}), slog.Any("v", point{1, nil})},
		{"pointer to struct", slog.Any("v", &point{2, []string{"t"}}), slog.Any("v", &point{2, []string{"t"}}), slog.Any("v", &point{3, []string{"t"}})},
		{"func", slog.Any("v", (func())(nil)), slog.Any("v", (func())(nil)), slog.Any("v", func() {})},
		{"error", slog.Any("v", errors.New("x")), slog.Any("v", errors.New("x")), slog.Any("v", errors.New("y"))},
		{"LogValuer emitted", slog.Any("v", token{"s1"}), slog.String("v", "REDACTED"), slog.String("v", "s1")},
		{"LogValuer wanted", slog.String("v", "REDACTED"), slog.Any("v", token{"other"}), slog.Any("v", user{1})},
		{"LogValuer to a group", slog.Any("v", user{7}), slog.Any("v", user{7}), slog.Any("v", user{8})},
		{"LogValuer as group", slog.Any("v", user{7}), slog.Group("v", slog.Int("id", 7), slog.Any("roles", []string{"admin"})), slog.Group("v", slog.Int("id", 7), slog.Any("roles", []string{"user"}))},
		{"nested groups", slog.Group("v", slog.Group("in", slog.Any("s", []int{1}), slog.Any("u", token{}))), slog.Group("v", slog.Group("in", slog.Any("s", []int{1}), slog.String("u", "REDACTED"))), slog.Group("v", slog.Group("in", slog.Any("s", []int{2}), slog.String("u", "REDACTED")))},
		{"group length", slog.Group("v", slog.Int("a", 1)), slog.Group("v", slog.Int("a", 1)), slog.Group("v", slog.Int("a", 1), slog.Int("b", 2))},
		{"kinds", slog.Int("v", 1), slog.Int64("v", 1), slog.Uint64("v", 1)},
		{"time", slog.Time("v", when), slog.Time("v", when.In(time.FixedZone("X", 3600))), slog.Time("v", when.Add(time.Second))},
		{"NaN", slog.Float64("v", math.NaN()), slog.Float64("v", math.NaN()), slog.Float64("v", 1)},
		{"nil any", slog.Any("v", nil), slog.Any("v", nil), slog.Any("v", []int{})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := newRegistry(t)
			rec := telemetrytest.Capture(t, reg, itemAdded.String())
			ctx := rec.Context(context.Background())
			reg.Emit(ctx, itemAdded, nil, c.emitted)

			require.Len(t, rec.Matching(itemAdded, c.same), 1)
			require.Empty(t, rec.Matching(itemAdded, c.different))
			rec.Require(t, itemAdded, c.same)
			rec.Refute(t, itemAdded, c.different)
			_, err := rec.Wait(ctx, itemAdded, c.same)
			require.NoError(t, err)

			f := &fakeT{}
			rec.Require(f, itemAdded, c.different)
			rec.Refute(f, itemAdded, c.same)
			require.Len(t, f.failures, 2)
			wctx, cancel := context.WithCancel(ctx)
			cancel()
			_, err = rec.Wait(wctx, itemAdded, c.different)
			require.ErrorIs(t, err, context.Canceled)
		})
	}
}
