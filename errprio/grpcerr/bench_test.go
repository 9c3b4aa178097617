package grpcerr

import (
	"context"
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ecopatterns/ecopatterns/errprio"
)

var errBenchNotFound = errors.New("not found")

// reportCPU starts counting the process's CPU time; the function it
// returns reports it per operation as the metric cpu-ns/op (as in the
// benchmarks module, whose cpu-ns.awk turns it into ratios). Client and
// server run in this process, so it counts both sides of a call, and the
// garbage collector; on a machine shared with other busy processes,
// ns/op also counts the time spent waiting for a core, cpu-ns/op does not.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU(b)
	return func() {
		if end, _ := processCPU(b); ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// benchFailingCall runs a unary call over an in-memory connection whose
// handler fails with fail, against two floors without interceptors:
//
//   - grpc-status: the call failing with a plain status.Error, the least
//     a failing gRPC call costs;
//   - grpc-status-details: the call failing with the status ours sends,
//     message and detail bytes included, built once: what gRPC alone
//     costs to carry that status, without encoding or decoding anything.
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
		defer reportCPU(b)()
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
	sent := conv.ToStatus(ctx, fail)
	b.Run("grpc-status-details", func(b *testing.B) {
		run(b, nil, sent.Err(), func(err error) bool {
			st := status.Convert(err)
			return st.Code() == codes.NotFound && proto.Equal(st.Proto(), sent.Proto())
		})
	})
}

// BenchmarkFailingUnaryCall: the handler's error is a cockroachdb/errors
// chain (errors.New, errors.Wrapf: two stack traces) under a code, sent
// with DropStacks. The goal is ecopatterns/grpc-status ≤ 1.3;
// grpc-status-details/grpc-status is the part of it gRPC alone takes.
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
