package main

import (
	stderrors "errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/internal/memnet"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The program, on an in-memory network in a testing/synctest bubble: its
// timeouts and backoffs run on the bubble's clock, so that the outcome
// does not depend on how busy the machine is.
func TestRunBranchesOnCodesAndSentinels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		var out strings.Builder
		require.NoError(t, run(t.Context(), network{listen: n.Listen, dial: n.DialContext}, &out))
		require.Equal(t, wantOutput, out.String())
	})
}

// The program's network is the loopback interface: free ports of
// 127.0.0.1, which its clients reach.
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

const wantOutput = `order lamp:
  201 order placed: lamp reserved on attempt 3
order chair:
  202 order backordered: reserve chair: inventory: out of stock (restock expected on Tuesday)
order sofa:
  409 Ecopatterns-Error-Code=40001: place order for sofa, attempt 3: reserve sofa: write conflict on stock row
  code 40001 (retry), retryable true, hint "another order is reserving the same stock"
  user: try again later
order desk:
  500 Ecopatterns-Error-Code=XX000: place order for desk, attempt 1: reserve desk legs: warehouse west: stock count -3 below zero
  code XX000 (internal), retryable false, hint "the stock table is corrupt; page the inventory team"
  also failed: reserve desk top: warehouse east: write conflict (40001)
  user: report it; trying again will not help
`

// The sentinel is recognized after the hop by cockroachdb/errors.Is, which
// compares type names and messages; the standard library's compares
// identities, which do not cross a process boundary.
func TestSentinelSurvivesTheHop(t *testing.T) {
	srv := httptest.NewServer(&inventory{})
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	resp, err := client.Post(srv.URL+"/reserve?sku=chair", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	err = errprio.ReadHTTP(resp)

	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.EqualError(t, err, "reserve chair: inventory: out of stock")
	require.True(t, errors.Is(err, ErrOutOfStock))
	require.False(t, stderrors.Is(err, ErrOutOfStock))
	require.Equal(t, errprio.CodeNoData, errprio.CodeOf(err))
	require.Equal(t, "restock expected on Tuesday", errprio.Flatten(err).Hint)
}

// When inventory cannot be reached, orders says so with a retryable code.
func TestUnreachableInventoryIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	invClient := &http.Client{Transport: &http.Transport{}}
	srv := httptest.NewServer(&orders{inventory: gone, client: invClient})
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()

	resp, err := client.Post(srv.URL+"/orders?sku=lamp", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	err = errprio.ReadHTTP(resp)

	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, errprio.CodeCannotConnectNow, errprio.CodeOf(err))
	require.True(t, errprio.Retryable(err))
	require.ErrorContains(t, err, "place order for lamp, attempt 3: ")
}
