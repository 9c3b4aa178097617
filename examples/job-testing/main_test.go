package main

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const wantOutput = `enqueued 4 welcome emails on queue "mail"
job 1 ada@example.com
  attempt 1: completed
job 2 bob@example.com
  attempt 1: retry: welcome: provider busy, retry after 200ms
  attempt 2: retry: welcome: provider busy, retry after 200ms
  attempt 3: completed
job 3 carol@bounce.example
  attempt 1: cancelled: testmode: job cancelled: smtp 550 carol@bounce.example: no such user: welcome: address rejected
job 4 dave
  attempt 1: cancelled: testmode: job cancelled: welcome: user 4: invalid address "dave"
sent: ada@example.com, bob@example.com
engine stopped, 0 jobs pending
`

// The demo on fake time: the retries' waits pass at once and the output is
// exact.
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out strings.Builder
		require.NoError(t, run(t.Context(), nil, &out))
		require.Equal(t, wantOutput, out.String())
	})
}

// The demo on the real clock, as go run runs it.
func TestRunRealTime(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), nil, &out))
	require.Equal(t, wantOutput, out.String())
}

// Cancelled before the jobs are final, run stops the engine and returns
// the cause.
func TestRunStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var out strings.Builder
		require.ErrorIs(t, run(ctx, nil, &out), context.Canceled)
	})
}

func TestRunRejectsArguments(t *testing.T) {
	var out strings.Builder
	require.EqualError(t, run(t.Context(), []string{"extra"}, &out), `unexpected arguments: ["extra"]`)
}
