package telemetry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClockDerivesWallTimeFromItsAnchor(t *testing.T) {
	var c clock
	before := time.Now().UnixNano()
	wall, mono := c.now() // takes the anchor
	after := time.Now().UnixNano()
	require.GreaterOrEqual(t, wall, before)
	require.LessOrEqual(t, wall, after)
	require.Positive(t, mono)

	before = time.Now().UnixNano()
	wall2, mono2 := c.now() // derived from the anchor
	after = time.Now().UnixNano()
	require.GreaterOrEqual(t, wall2, before)
	require.LessOrEqual(t, wall2, after)
	require.Equal(t, wall2-wall, int64(mono2-mono), "wall and monotonic times advance together")

	// An anchor older than anchorTTL is renewed: an anchor claiming that
	// the Unix epoch was anchorTTL+1s of monotonic time ago would give a
	// wall time near 1970 if it were used.
	c.anchor.Store(&clockAnchor{wall: 0, mono: mono2 - anchorTTL - time.Second})
	before = time.Now().UnixNano()
	wall3, _ := c.now()
	require.GreaterOrEqual(t, wall3, before)
	require.NotEqual(t, int64(0), c.anchor.Load().wall)
}

func TestWallTime(t *testing.T) {
	for _, ns := range []int64{0, 1, 999_999_999, 1_000_000_000, 1_780_000_000_123_456_789, -1, -1_500_000_000} {
		w := wallTime(ns)
		require.Equal(t, ns, w.UnixNano(), "%d", ns)
		require.Equal(t, time.Local, w.Location())
		require.Equal(t, w.Round(0), w, "no monotonic reading")
	}
}
