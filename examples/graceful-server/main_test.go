package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

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

// memNetwork is an in-memory network: each dial hands one end of a
// net.Pipe to the listener's Accept. Blocking on it is durable in a
// testing/synctest bubble, so the whole demo runs on the bubble's clock:
// /report works exactly one second and the stop deadline passes exactly
// two seconds after the stop began, however slow the machine.
type memNetwork struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newMemNetwork() *memNetwork {
	return &memNetwork{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (m *memNetwork) network() network {
	return network{listen: func() (net.Listener, error) { return m, nil }, dial: m.dial}
}

func (m *memNetwork) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case m.conns <- server:
		return client, nil
	case <-m.closed:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, net.ErrClosed
}

func (m *memNetwork) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case <-m.closed:
		return nil, net.ErrClosed
	}
}

func (m *memNetwork) Close() error {
	m.closeOnce.Do(func() { close(m.closed) })
	return nil
}

func (m *memNetwork) Addr() net.Addr { return memAddr{} }

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "memory" }

func TestRunDrainsCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		require.NoError(t, run(t.Context(), newMemNetwork().network(), nil, &out))
		linesMatch(t, []string{
			`serving on memory`,
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
		err := run(t.Context(), newMemNetwork().network(), []string{"-stuck"}, &out)

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
			`serving on memory`,
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

// The program itself serves on the loopback interface, in real time. The
// deadline is far longer than the drain (one second of /report), so that
// the outcome does not depend on how busy the machine is.
func TestRunServesOnLoopback(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), loopback(), []string{"-deadline=1h"}, &out))
	linesMatch(t, []string{
		`serving on 127\.0\.0\.1:\d+`,
		`GET /hello: 200 hello`,
		`stopping with a 1h0m0s deadline; running: graceful-server\.cache: refresh, graceful-server\.http: /report, graceful-server\.http: /watch`,
		`GET /hello: 503 shutting down \(Retry-After: 1\)`,
		`GET /report: 200 report ready`,
		`GET /watch: 200 no change before shutdown; poll another server`,
		`stopped cleanly in [\d.]+m?s: every task returned, listener closed`,
	}, out.String())
}

func TestRunRejectsBadDeadline(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), loopback(), []string{"-deadline=0s"}, &out)
	require.EqualError(t, err, "graceful-server: -deadline = 0s: must be > 0")
	require.Empty(t, out.String())
}
