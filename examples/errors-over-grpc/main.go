// Command errors-over-grpc shows errors crossing gRPC hops as data: with
// their code, hint and whole cause chain, so that a caller two services
// away branches on what went wrong, never on a message. It is
// errors-over-http with gRPC in place of HTTP.
//
//	cd examples/errors-over-grpc && go run .
//
// Two gRPC services run on 127.0.0.1: inventory reserves stock, orders
// places orders by calling inventory. Both install grpcerr's interceptors,
// on their servers and on their clients. Orders retries what
// errprio.Retryable says may succeed, backorders when the error is
// inventory's ErrOutOfStock sentinel (matched with errors.Is after the
// hop), and relays everything else, wrapped with its own context. The
// program then places four orders as a user would and prints what came
// back. The services are defined by hand with grpc.ServiceDesc and
// protobuf's well-known types, so that the program needs no generated code.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	// cockroachdb/errors, which errprio encodes with, matches sentinels
	// on decoded errors (by type and message) and attaches hints.
	"github.com/cockroachdb/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/errprio/grpcerr"
)

// ErrOutOfStock is the inventory's sentinel for a product it has none of.
// Callers on the far side of a gRPC hop match it with errors.Is.
var ErrOutOfStock = errors.New("inventory: out of stock")

// How orders retries: at most maxAttempts calls to inventory per order,
// waiting backoff << attempt before each retry.
const (
	maxAttempts = 3
	backoff     = 5 * time.Millisecond
)

// The methods of the two services.
const (
	methodReserve = "/shop.Inventory/Reserve"
	methodPlace   = "/shop.Orders/Place"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it starts both services, places the
// orders and writes what each returned to out.
func run(ctx context.Context, out io.Writer) error {
	inv := &inventory{conflicts: map[string]int{"lamp": 2, "sofa": maxAttempts}}
	invAddr, stopInv, err := serve("shop.Inventory", "Reserve", inv.reserveRPC)
	if err != nil {
		return err
	}
	defer stopInv()
	invConn, err := dial(invAddr)
	if err != nil {
		return err
	}
	defer invConn.Close()
	ord := &orders{inventory: invConn}
	ordAddr, stopOrd, err := serve("shop.Orders", "Place", ord.placeRPC)
	if err != nil {
		return err
	}
	defer stopOrd()

	conn, err := dial(ordAddr)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, sku := range []string{"lamp", "chair", "sofa", "desk"} {
		fmt.Fprintf(out, "order %s:\n", sku)
		placeOrder(ctx, conn, sku, out)
	}
	return nil
}

// placeOrder is the user's side: it places one order and branches on the
// error's code, as any consumer two hops away can.
func placeOrder(ctx context.Context, conn *grpc.ClientConn, sku string, out io.Writer) {
	reply := new(wrapperspb.StringValue)
	orderErr := conn.Invoke(ctx, methodPlace, wrapperspb.String(sku), reply)
	if orderErr == nil {
		fmt.Fprintf(out, "  OK %s\n", reply.GetValue())
		return
	}
	f := errprio.Flatten(orderErr)
	fmt.Fprintf(out, "  %s %s: %v\n", status.Code(orderErr), f.Code, orderErr)
	fmt.Fprintf(out, "  code %s (%s), retryable %t, hint %q\n", f.Code, f.Priority, f.Retryable, f.Hint)
	for _, s := range errprio.Suppressed(orderErr) {
		fmt.Fprintf(out, "  also failed: %v (%s)\n", s, errprio.CodeOf(s))
	}
	if errprio.Retryable(orderErr) {
		fmt.Fprintln(out, "  user: try again later")
	} else {
		fmt.Fprintln(out, "  user: report it; trying again will not help")
	}
}

// inventory reserves stock. Its failures carry codes, hints and causes.
type inventory struct {
	mu sync.Mutex
	// conflicts is how many more reservations of a product fail with a
	// write conflict, as when other orders race for the same stock.
	conflicts map[string]int
}

func (inv *inventory) reserveRPC(_ context.Context, sku string) (string, error) {
	return "", inv.reserve(sku)
}

func (inv *inventory) reserve(sku string) error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	switch {
	case inv.conflicts[sku] > 0:
		inv.conflicts[sku]--
		err := errors.WithHint(errors.Wrapf(errors.New("write conflict on stock row"), "reserve %s", sku),
			"another order is reserving the same stock")
		return errprio.WithCode(err, errprio.CodeSerializationFailure)
	case sku == "chair":
		err := errors.WithHint(errors.Wrapf(ErrOutOfStock, "reserve %s", sku), "restock expected on Tuesday")
		return errprio.WithCode(err, errprio.CodeNoData)
	case sku == "desk":
		// A desk is reserved part by part in two warehouses at once.
		// Combine surfaces the failure that decides what to do next (a
		// bug beats a conflict: retrying cannot fix it) and keeps the
		// other.
		return errprio.Combine(
			errprio.WithCode(errors.Newf("reserve desk top: warehouse east: write conflict"), errprio.CodeSerializationFailure),
			errprio.WithCode(errors.WithHint(errors.Newf("reserve desk legs: warehouse west: stock count %d below zero", -3),
				"the stock table is corrupt; page the inventory team"), errprio.CodeInternal),
		)
	}
	return nil
}

// orders places orders by reserving stock in inventory.
type orders struct {
	inventory *grpc.ClientConn
}

func (o *orders) placeRPC(ctx context.Context, sku string) (string, error) {
	for attempt := 1; ; attempt++ {
		err := o.inventory.Invoke(ctx, methodReserve, wrapperspb.String(sku), new(emptypb.Empty))
		switch {
		case err == nil:
			return fmt.Sprintf("order placed: %s reserved on attempt %d", sku, attempt), nil
		case errors.Is(err, ErrOutOfStock):
			return fmt.Sprintf("order backordered: %v (%s)", err, errprio.Flatten(err).Hint), nil
		case errprio.Retryable(err) && attempt < maxAttempts:
			t := time.NewTimer(backoff << attempt)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				return "", ctx.Err() // sent as 57014, query_canceled
			}
		}
		return "", errors.Wrapf(err, "place order for %s, attempt %d", sku, attempt)
	}
}

// serve runs a one-method gRPC service on a free port of 127.0.0.1, with
// grpcerr's server interceptors, and returns its address and a function
// that stops it.
func serve(service, method string, h func(context.Context, string) (string, error)) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(grpcerr.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(grpcerr.StreamServerInterceptor()))
	srv.RegisterService(&grpc.ServiceDesc{
		ServiceName: service,
		HandlerType: (*any)(nil),
		Methods:     []grpc.MethodDesc{{MethodName: method, Handler: unaryHandler("/"+service+"/"+method, h)}},
	}, struct{}{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	stop := func() {
		srv.Stop()
		<-done
	}
	return ln.Addr().String(), stop, nil
}

// unaryHandler adapts h, which takes and returns strings, to a gRPC method
// handler taking a StringValue; an empty answer is sent as Empty.
func unaryHandler(fullMethod string, h func(context.Context, string) (string, error)) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, intercept grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		call := func(ctx context.Context, req any) (any, error) {
			answer, err := h(ctx, req.(*wrapperspb.StringValue).GetValue())
			if err != nil {
				return nil, err
			}
			if answer == "" {
				return &emptypb.Empty{}, nil
			}
			return wrapperspb.String(answer), nil
		}
		if intercept == nil {
			return call(ctx, in)
		}
		return intercept(ctx, in, &grpc.UnaryServerInfo{FullMethod: fullMethod}, call)
	}
}

// dial connects to addr with grpcerr's client interceptors.
func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(grpcerr.UnaryClientInterceptor()),
		grpc.WithChainStreamInterceptor(grpcerr.StreamClientInterceptor()))
}
