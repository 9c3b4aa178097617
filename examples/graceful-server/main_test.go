package main

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/internal/memnet"
	"github.com/ecopatterns/ecopatterns/stopper"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// linesMatch requires out to be exactly the lines of want, each line a
// regular expression matched whole.
func linesMatch(t *testing.T, want []string, out string) {
	t.Helper()
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, got, len(want), out)
	for i, w := range want {
		require.Regexp(t, "^"+w+"$", got[i], "line %d of:\n%s", i+1, out)
	}
}

// inMemory is a network on which the whole demo runs in a testing/synctest
// bubble, on the bubble's clock: /report works exactly one second and the
// stop deadline passes exactly two seconds after the stop began, however
// busy the machine is. Call it inside the bubble.
func inMemory() network {
	var n memnet.Network
	return network{listen: n.Listen, dial: n.DialContext}
}

func TestRunDrainsCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		require.NoError(t, run(t.Context(), inMemory(), nil, &out))
		linesMatch(t, []string{
			`serving on memory:1`,
			`GET /hello: 200 hello`,
			`stopping with a 2s deadline; running: graceful-server\.cache: refresh, graceful-server\.http: /report, graceful-server\.http: /watch`,
			`GET /hello: 503 shutting down \(Retry-After: 1\)`,
			`GET /report: 200 report ready`,
			`GET /watch: 200 no change before shutdown; poll another server`,
			`stopped cleanly in 1s: every task returned, listener closed`, // /report's work
		}, out.String())
	})
}

func TestRunReportsStuckTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		err := run(t.Context(), inMemory(), []string{"-stuck"}, &out)

		var stuck *stopper.StuckTasksError
		require.ErrorAs(t, err, &stuck)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Len(t, stuck.Tasks, 1, "only the task that ignores its context is stuck")
		require.Equal(t, "graceful-server.export: flush metrics", stuck.Tasks[0].Name)
		require.Equal(t, "graceful-server/tasks", stuck.Tasks[0].Stopper)
		require.Regexp(t, `examples/graceful-server/main\.go:\d+$`, stuck.Tasks[0].Location)
		require.Contains(t, stuck.Stacks, `"ecopatterns.stopper":"graceful-server/tasks#`, "the report carries the stuck goroutine's stack")
		require.Regexp(t, `examples/graceful-server/main\.go:\d+`, stuck.Stacks)

		linesMatch(t, []string{
			`serving on memory:1`,
			`GET /hello: 200 hello`,
			`stopping with a 2s deadline; running: graceful-server\.cache: refresh, graceful-server\.export: flush metrics, graceful-server\.http: /report, graceful-server\.http: /watch`,
			`GET /hello: 503 shutting down \(Retry-After: 1\)`,
			`GET /report: 200 report ready`,
			`GET /watch: 200 no change before shutdown; poll another server`,
			`stop deadline exceeded \(context deadline exceeded\); still running:`,
			`  "graceful-server\.export: flush metrics" in "graceful-server/tasks" for 2s, started at .*main\.go:\d+`,
			`stopped once the stuck task returned: listener closed`,
		}, out.String())
	})
}

// The program's network is the loopback interface: a free port of
// 127.0.0.1, which its client reaches.
func TestLoopback(t *testing.T) {
	nw := loopback()
	ln, err := nw.listen()
	require.NoError(t, err)
	defer ln.Close()
	require.Regexp(t, `^127\.0\.0\.1:\d+$`, ln.Addr().String())
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := nw.dial(t.Context(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, <-accepted)
}

func TestRunRejectsBadDeadline(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), loopback(), []string{"-deadline=0s"}, &out)
	require.EqualError(t, err, "graceful-server: -deadline = 0s: must be > 0")
	require.Empty(t, out.String())
}
