package promsd_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

func recorderContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Prometheus's http_sd, recorded outside a Manager: its updates, and its
// logged refresh failure as a reported error, in order.
func TestHTTPRecorded(t *testing.T) {
	srv := newSDServer(t, `[{"targets": ["a:1"]}]`)
	r := discoverytest.Start(t, decodeOne(t, "prometheus_http_sd_configs: [{url: '"+srv.URL+"', refresh_interval: 50ms}]"))
	ctx := recorderContext(t)
	first, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"a:1"}, addresses(first))

	srv.set(http.StatusBadGateway, "down")
	reported, err := r.NextError(ctx)
	require.NoError(t, err)
	require.ErrorAs(t, reported, new(*promsd.LoggedError))
	require.Contains(t, reported.Error(), "502 Bad Gateway")

	srv.set(http.StatusOK, `[{"targets": ["b:1"]}]`)
	for {
		groups, err := r.NextUpdate(ctx)
		require.NoError(t, err)
		if strings.Join(addresses(groups), ",") == "b:1" {
			break
		}
	}
	r.Stop()
}

// Prometheus's consul_sd, recorded: a service changing is one update of
// its group.
func TestConsulRecorded(t *testing.T) {
	c := newFakeConsul(t)
	c.set("web", consulInstance{Node: "n1", NodeAddress: "10.0.0.1", ID: "web-1", Port: 8080, Status: "passing"})
	r := discoverytest.Start(t, decodeOne(t, "consul_sd_configs: [{server: '"+strings.TrimPrefix(c.URL, "http://")+"', services: [web], datacenter: dc1, refresh_interval: 10ms}]"))
	ctx := recorderContext(t)
	first, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.1:8080"}, addresses(first))

	c.set("web", consulInstance{Node: "n2", NodeAddress: "10.0.0.2", ID: "web-2", Port: 8080, Status: "passing"})
	next, err := r.NextUpdate(ctx)
	require.NoError(t, err)
	require.Len(t, next, 1)
	require.Equal(t, "web", next[0].Source)
	require.Equal(t, []string{"10.0.0.2:8080"}, addresses(next))
	r.Stop()
}
