// Package grpcerr carries [errprio] errors across gRPC as errprio's HTTP
// functions carry them across HTTP: a server sends a status whose gRPC
// code comes from the error's code, and whose details hold the code, its
// priority and the encoded cause chain; a client gets back an error on
// which errprio.CodeOf, PriorityOf, Retryable and cockroachdb/errors' Is
// on sentinels answer as they did on the server. CockroachDB, where the
// pattern comes from, sends its encoded errors over gRPC the same way.
//
// It is a module of its own, so that the root module never requires gRPC.
//
// # Composing with it
//
// Install the interceptors on both sides:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(grpcerr.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(grpcerr.StreamServerInterceptor()))
//	conn, err := grpc.NewClient(target, creds,
//		grpc.WithChainUnaryInterceptor(grpcerr.UnaryClientInterceptor()),
//		grpc.WithChainStreamInterceptor(grpcerr.StreamClientInterceptor()))
//
// Handlers return errors as everywhere else (errprio.WithCode where the
// failure is understood); callers branch on the code:
//
//	if err := client.Reserve(ctx, req); errprio.Retryable(err) { ... }
//
// A status from a server that does not use the package is coded from its
// gRPC code ([CodeForGRPC]: Unavailable is retryable, NotFound is 02000,
// ...), and the gRPC code stays reachable: status.Code(err) works on
// every error the client interceptors return ([*StatusError]). Deadlines
// and cancellation, on either side, come out as errprio.CodeQueryCanceled
// (57014), with context.DeadlineExceeded or context.Canceled still found
// by errors.Is. A service in the middle relays errors it cannot decode
// (types it never linked) opaquely: the next hop gets them back whole.
// Where a call path has no interceptors, use [ToStatus] and [FromStatus].
//
// The status detail ([DetailTypeURL], [Detail]) is small protobuf that a
// client in any language reads without knowing the chain's format. The
// chain is bounded by the codec's MaxBytes (errprio.Options, in
// [Options].Codec): over it, the chain is left out and the code, priority
// and message still go; set DropStacks for answers that leave the system.
//
// Differences from plain gRPC status handling, each pinned by a test:
//
//	behaviour                                   plain gRPC              grpcerr                          test
//	handler error without a status              Unknown                 the code's projection            TestEveryShippedCodeCrosses
//	context error returned by a handler         DeadlineExceeded        57014, gRPC Canceled (its        TestDeadlinesAndCancellation
//	                                            or Canceled             projection), chain says which
//	errors.Is(err, context.DeadlineExceeded)    false                   true                             TestDeadlinesAndCancellation
//	client error of a foreign status            *status.Error           coded *StatusError, same code    TestForeignStatuses
//	status message over 4 KiB                   sent whole              cut; the chain keeps it whole    TestOversizedChain
//
// # Extending it
//
// Codes registered with errprio.RegisterCode cross with their own GRPCCode;
// error types registered with cockroachdb/errors cross with their fields.
// A [Converter] made with [NewConverter] applies other limits or drops
// stacks; its interceptors and methods replace the package-level ones.
//
// # What it deliberately does not do
//
// It does not retry, nor set deadlines: it reports what a retry may do
// (errprio.Retryable) and the caller owns the loop. It does not register
// the detail's message with the protobuf registry, so st.Details() lists
// the errprio detail as an unknown type; [ParseDetail] reads it. It keeps
// the status message (cut to [Options].MaxMessageBytes) and the chain as
// the handler made them: messages cross whole, so redact before, not
// after. It adds nothing to successful calls.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: a handler's error as the status a server sends, and that
//     status as the error a client gets back, code, retryability and
//     sentinel included; a foreign status and a deadline.
package grpcerr
