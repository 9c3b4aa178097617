package main

import (
	"context"
	stderrors "errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/errprio"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunBranchesOnCodesAndSentinels(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out))
	require.Equal(t, `order lamp:
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
`, out.String())
}

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
