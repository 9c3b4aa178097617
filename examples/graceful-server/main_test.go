package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

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

func TestRunDrainsCleanly(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), nil, &out))
	linesMatch(t, []string{
		`serving on 127\.0\.0\.1:\d+`,
		`GET /hello: 200 hello`,
		`stopping with a 2s deadline; running: graceful-server\.cache: refresh, graceful-server\.http: /report, graceful-server\.http: /watch`,
		`GET /hello: 503 shutting down \(Retry-After: 1\)`,
		`GET /report: 200 report ready`,
		`GET /watch: 200 no change before shutdown; poll another server`,
		`stopped cleanly in [\d.]+m?s: every task returned, listener closed`,
	}, out.String())
}

func TestRunReportsStuckTask(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-stuck"}, &out)

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
		`serving on 127\.0\.0\.1:\d+`,
		`GET /hello: 200 hello`,
		`stopping with a 2s deadline; running: graceful-server\.cache: refresh, graceful-server\.export: flush metrics, graceful-server\.http: /report, graceful-server\.http: /watch`,
		`GET /hello: 503 shutting down \(Retry-After: 1\)`,
		`GET /report: 200 report ready`,
		`GET /watch: 200 no change before shutdown; poll another server`,
		`stop deadline exceeded \(context deadline exceeded\); still running:`,
		`  "graceful-server\.export: flush metrics" in "graceful-server/tasks" for 2(\.\d)?s, started at .*main\.go:\d+`, // 2s and the time the demo took to begin the stop
		`stopped once the stuck task returned: listener closed`,
	}, out.String())
}

func TestRunRejectsBadDeadline(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-deadline=0s"}, &out)
	require.EqualError(t, err, "graceful-server: -deadline = 0s: must be > 0")
	require.Empty(t, out.String())
}
