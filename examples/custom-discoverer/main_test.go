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

const wantOutput = `config: set node_exporter from inventory, static
-- first snapshot
node_exporter:
  db-1: db-1:9100 __meta_inventory_host="db-1" role="db" zone="b"
  web-1: web-1:9100 __meta_inventory_host="web-1" role="web"
  web-2: web-2:9100 __meta_inventory_host="web-2" role="web"
  0: localhost:9100 role="self"
-- added host cache-1
node_exporter:
  cache-1: cache-1:9100 __meta_inventory_host="cache-1" role="cache"
  db-1: db-1:9100 __meta_inventory_host="db-1" role="db" zone="b"
  web-1: web-1:9100 __meta_inventory_host="web-1" role="web"
  web-2: web-2:9100 __meta_inventory_host="web-2" role="web"
  0: localhost:9100 role="self"
-- removed host web-2
node_exporter:
  cache-1: cache-1:9100 __meta_inventory_host="cache-1" role="cache"
  db-1: db-1:9100 __meta_inventory_host="db-1" role="db" zone="b"
  web-1: web-1:9100 __meta_inventory_host="web-1" role="web"
  0: localhost:9100 role="self"
-- broke host db-1: reported inventory/0: refresh: inventory: host db-1: want a mapping of label names to values: yaml: line 1: did not find expected ',' or ']'
provider inventory/0: erroring
provider static/1: running
stopped
`

// The demo on fake time: the inventory's refreshes and the Manager's
// coalescing run in the bubble's clock, so the output is exact and the test
// takes no real time.
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

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out strings.Builder
	require.ErrorIs(t, run(ctx, nil, &out), context.Canceled)
}

func TestRunRejectsArguments(t *testing.T) {
	var out strings.Builder
	require.EqualError(t, run(t.Context(), []string{"extra"}, &out), `unexpected arguments: ["extra"]`)
	require.ErrorContains(t, run(t.Context(), []string{"-x"}, &out), "flag provided but not defined: -x")
}
