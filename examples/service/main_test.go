package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunProbesDemoServer(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{
		"-prober.duration=300ms", "-prober.interval=100ms", "-prober.timeout=50ms",
	}, &out)
	require.NoError(t, err)
	s := out.String()
	require.Contains(t, s, `msg=starting "non-default options.Interval"=100ms`)
	require.Regexp(t, `summary: \d+ rounds, stopped in \d+`, s)
	require.Regexp(t, `msg=prober.round.stop .*targets=3 failed=2 round=1\n`, s)
	require.NotContains(t, s, "ecopatterns.stopper.task", "stopper events only with -prober.verbose")
	require.Regexp(t, `/healthy: ok=\d+\n`, s)
	require.Regexp(t, `/slow: timeout=\d+\n`, s)
	require.Regexp(t, `/failing: http-503=\d+\n`, s)
}

func TestRunRejectsBadOptions(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-prober.interval=0s", "-prober.targets=ftp://x"}, &out)
	require.EqualError(t, err, "options: Interval = 0s: must be > 0\n"+
		`options: Targets[0] = "ftp://x": must be an http:// or https:// URL`)

	err = run(context.Background(), []string{"-prober.interval=soon"}, &out)
	require.ErrorContains(t, err, `invalid value "soon" for flag -prober.interval: options: flag -prober.interval (field Interval): "soon" is not a valid duration`)
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out strings.Builder
	require.NoError(t, run(ctx, []string{"-prober.duration=1h"}, &out))
	require.Contains(t, out.String(), "summary: 1 rounds")
}

func TestRunVerboseLogsEveryEvent(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{
		"-prober.duration=100ms", "-prober.interval=100ms", "-prober.timeout=50ms", "-prober.verbose",
	}, &out)
	require.NoError(t, err)
	s := out.String()
	require.Contains(t, s, "msg=prober.probe.stop")
	require.Regexp(t, `msg=prober.probe.stop .*target=http://127.0.0.1:\d+/healthy outcome=ok`, s)
	require.Contains(t, s, `msg=ecopatterns.stopper.task.start`)
	require.Contains(t, s, `task="prober: probe"`)
	require.Contains(t, s, "msg=ecopatterns.stopper.quiesce.stop")
}
