package grpcerr_test

import (
	"context"
	"errors"
	"fmt"

	crdberrors "github.com/cockroachdb/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/errprio/grpcerr"
)

var errOutOfStock = crdberrors.New("inventory: out of stock")

// What the interceptors do on each side of a call: the server's error
// becomes a status, and the status the client receives becomes the error
// again, code, retryability and sentinel included.
func Example() {
	ctx := context.Background()
	handlerErr := errprio.WithCode(fmt.Errorf("reserve sku-42: %w", errOutOfStock), errprio.CodeNoData)

	st := grpcerr.ToStatus(ctx, handlerErr) // server side
	fmt.Println(st.Code(), "|", st.Message())

	err := grpcerr.FromStatus(ctx, st) // client side
	fmt.Println(errprio.CodeOf(err), errprio.Retryable(err), crdberrors.Is(err, errOutOfStock), status.Code(err))

	// A server that does not use the package.
	err = grpcerr.FromStatus(ctx, status.New(codes.Unavailable, "draining"))
	fmt.Println(err, "|", errprio.CodeOf(err), errprio.Retryable(err))

	// Deadlines become 57014, and stay context.DeadlineExceeded.
	err = grpcerr.FromStatus(ctx, grpcerr.ToStatus(ctx, fmt.Errorf("query: %w", context.DeadlineExceeded)))
	fmt.Println(errprio.CodeOf(err), status.Code(err), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// NotFound | reserve sku-42: inventory: out of stock
	// 02000 false true NotFound
	// grpc Unavailable: draining | 57P03 true
	// 57014 Canceled true
}
