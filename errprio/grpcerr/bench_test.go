package grpcerr

import (
	"context"
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecopatterns/ecopatterns/errprio"
)

var errBenchNotFound = errors.New("not found")

// benchFailingCall runs a unary call over an in-memory connection whose
// handler fails with fail, against the same call failing with a plain
// status.Error and no interceptors: the floor of a failing gRPC call.
func benchFailingCall(b *testing.B, conv *Converter, fail error) {
	ctx := context.Background()
	run := func(b *testing.B, conv *Converter, fail error, check func(error) bool) {
		srv := &testServer{}
		srv.setUnary(func(context.Context, string) error { return fail })
		conn := serve(b, srv, conv, conv)
		if err := call(ctx, conn, "k1"); !check(err) {
			b.Fatalf("unexpected error %v", err)
		}
		b.ReportAllocs()
		for b.Loop() {
			_ = call(ctx, conn, "k1")
		}
	}
	b.Run("ecopatterns", func(b *testing.B) {
		run(b, conv, fail, func(err error) bool {
			return errprio.CodeOf(err) == errprio.CodeNoData && status.Code(err) == codes.NotFound
		})
	})
	b.Run("grpc-status", func(b *testing.B) {
		run(b, nil, status.Error(codes.NotFound, "get k1: not found"), func(err error) bool { return status.Code(err) == codes.NotFound })
	})
}

// BenchmarkFailingUnaryCall: the handler's error is a cockroachdb/errors
// chain (errors.New, errors.Wrapf: two stack traces) under a code, sent
// with DropStacks. The goal is ecopatterns/grpc-status ≤ 1.3.
func BenchmarkFailingUnaryCall(b *testing.B) {
	benchFailingCall(b, mustConverter(b, func(o *Options) { o.Codec.DropStacks = true }),
		errprio.WithCode(errors.Wrapf(errBenchNotFound, "get %s", "k1"), errprio.CodeNoData))
}

// BenchmarkFailingUnaryCallStacks is the same chain with its stacks sent.
func BenchmarkFailingUnaryCallStacks(b *testing.B) {
	benchFailingCall(b, mustConverter(b, nil),
		errprio.WithCode(errors.Wrapf(errBenchNotFound, "get %s", "k1"), errprio.CodeNoData))
}

// BenchmarkFailingUnaryCallStdlib: the chain is made with the standard
// library (fmt.Errorf over errors.New), under a code.
func BenchmarkFailingUnaryCallStdlib(b *testing.B) {
	benchFailingCall(b, mustConverter(b, func(o *Options) { o.Codec.DropStacks = true }),
		errprio.WithCode(fmt.Errorf("get %s: %w", "k1", errStdNotFound), errprio.CodeNoData))
}

var errStdNotFound = stderrors.New("not found")
