package main

import (
	"context"
	stderrors "errors"
	"net"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ecopatterns/ecopatterns/errprio"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRunBranchesOnCodesAndSentinels(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), &out))
	require.Equal(t, `order lamp:
  OK order placed: lamp reserved on attempt 3
order chair:
  OK order backordered: reserve chair: inventory: out of stock (restock expected on Tuesday)
order sofa:
  Aborted 40001: place order for sofa, attempt 3: reserve sofa: write conflict on stock row
  code 40001 (retry), retryable true, hint "another order is reserving the same stock"
  user: try again later
order desk:
  Internal XX000: place order for desk, attempt 1: reserve desk legs: warehouse west: stock count -3 below zero
  code XX000 (internal), retryable false, hint "the stock table is corrupt; page the inventory team"
  also failed: reserve desk top: warehouse east: write conflict (40001)
  user: report it; trying again will not help
`, out.String())
}

// The sentinel is recognized after the hop by cockroachdb/errors.Is, which
// compares type names and messages; the standard library's compares
// identities, which do not cross a process boundary.
func TestSentinelSurvivesTheHop(t *testing.T) {
	addr, stop, err := serve("shop.Inventory", "Reserve", (&inventory{}).reserveRPC)
	require.NoError(t, err)
	defer stop()
	conn, err := dial(addr)
	require.NoError(t, err)
	defer conn.Close()

	err = conn.Invoke(t.Context(), methodReserve, wrapperspb.String("chair"), new(emptypb.Empty))
	require.Equal(t, codes.NotFound, status.Code(err))
	require.EqualError(t, err, "reserve chair: inventory: out of stock")
	require.True(t, errors.Is(err, ErrOutOfStock))
	require.False(t, stderrors.Is(err, ErrOutOfStock))
	require.Equal(t, errprio.CodeNoData, errprio.CodeOf(err))
	require.Equal(t, "restock expected on Tuesday", errprio.Flatten(err).Hint)
}

// When inventory cannot be reached, gRPC says Unavailable, which the
// client interceptor codes as retryable; orders retries, then gives up.
func TestUnreachableInventoryIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	gone := ln.Addr().String()
	require.NoError(t, ln.Close())
	invConn, err := dial(gone)
	require.NoError(t, err)
	defer invConn.Close()

	_, err = (&orders{inventory: invConn}).placeRPC(t.Context(), "lamp")
	require.Equal(t, errprio.CodeCannotConnectNow, errprio.CodeOf(err))
	require.True(t, errprio.Retryable(err))
	require.Equal(t, codes.Unavailable, status.Code(err))
	require.ErrorContains(t, err, "place order for lamp, attempt 3: ")
}

// A caller that gives up cancels the order; orders answers 57014.
func TestCancelledOrder(t *testing.T) {
	inv := &inventory{conflicts: map[string]int{"lamp": 100}}
	invAddr, stopInv, err := serve("shop.Inventory", "Reserve", inv.reserveRPC)
	require.NoError(t, err)
	defer stopInv()
	invConn, err := dial(invAddr)
	require.NoError(t, err)
	defer invConn.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = (&orders{inventory: invConn}).placeRPC(ctx, "lamp")
	require.Equal(t, errprio.CodeQueryCanceled, errprio.CodeOf(err))
	require.True(t, stderrors.Is(err, context.Canceled))
}
