package grpcerr

import (
	"context"
	stderrors "errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecopatterns/ecopatterns/errprio"
)

func TestDefaultOptions(t *testing.T) {
	require.NoError(t, DefaultOptions().Validate())
	require.Equal(t, DefaultOptions(), defaultConverter.Options())
	_, err := NewConverter(Options{})
	require.Error(t, err)
	for _, f := range []string{"Codec.MaxBytes", "Codec.MaxDepth", "Codec.MaxNodes", "MaxMessageBytes"} {
		require.Contains(t, err.Error(), f)
	}
}

// Every shipped code crosses a unary call and a stream, server to client:
// the client's CodeOf, PriorityOf, Retryable, hints and cockroachdb Is on
// sentinels answer as on the server, and the gRPC code is the code's
// projection, seen by status.Code.
func TestEveryShippedCodeCrosses(t *testing.T) {
	conv := mustConverter(t, nil)
	srv := &testServer{}
	conn := serve(t, srv, conv, conv)
	ctx := t.Context()
	for _, spec := range errprio.Codes() {
		orig := errprio.WithCode(errors.WithHint(errors.Wrapf(fmt.Errorf("lookup: %w", errCrdbSentinel), "get %s", "k1"), "try k2"), spec.Code)
		srv.setUnary(func(context.Context, string) error { return orig })
		srv.setStream(func(_ context.Context, _ string, send func(int64) error) error {
			for i := range int64(2) {
				if err := send(i); err != nil {
					return err
				}
			}
			return orig
		})
		unaryErr := call(ctx, conn, "x")
		got, streamErr := count(ctx, conn, "x")
		require.Equal(t, []int64{0, 1}, got, "messages before the error arrive")
		for name, err := range map[string]error{"unary": unaryErr, "stream": streamErr} {
			where := fmt.Sprintf("%s %s", spec.Code, name)
			require.Error(t, err, where)
			require.Equal(t, spec.Code, errprio.CodeOf(err), where)
			require.Equal(t, errprio.PriorityOf(orig), errprio.PriorityOf(err), where)
			require.Equal(t, errprio.Retryable(orig), errprio.Retryable(err), where)
			require.Equal(t, orig.Error(), err.Error(), where)
			require.Equal(t, "try k2", errprio.Flatten(err).Hint, where)
			require.True(t, errors.Is(err, errCrdbSentinel), where)
			require.False(t, errors.Is(err, errStdSentinel), where)
			require.Equal(t, codes.Code(spec.GRPCCode), status.Code(err), where)
			var se *StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, orig.Error(), se.GRPCStatus().Message())
		}
	}
}

// A client that does not use the package still gets the gRPC code and the
// message, and the detail it can read without knowing errprio.
func TestPlainClientSeesStatus(t *testing.T) {
	srv := &testServer{unary: func(context.Context, string) error {
		return errprio.WithCode(errors.New("no such order"), errprio.CodeNoData)
	}}
	conn := serve(t, srv, mustConverter(t, nil), nil)
	err := call(t.Context(), conn, "x")
	st, ok := status.FromError(err)
	require.True(t, ok)
	require.Equal(t, codes.NotFound, st.Code())
	require.Equal(t, "no such order", st.Message())
	details := st.Proto().GetDetails()
	require.Len(t, details, 1)
	require.Equal(t, DetailTypeURL, details[0].GetTypeUrl())
	d, err := ParseDetail(details[0].GetValue())
	require.NoError(t, err)
	require.Equal(t, errprio.CodeNoData, d.Code)
	require.Equal(t, errprio.PriorityUnambiguous, d.Priority)
	require.NotEmpty(t, d.Chain)
}

// Statuses from a server that does not use the package are coded from
// their gRPC code, which stays reachable; and a handler of ours that
// returns a plain status error keeps its gRPC code too.
func TestForeignStatuses(t *testing.T) {
	srv := &testServer{}
	plainServer := serve(t, srv, nil, mustConverter(t, nil))
	oursWithStatusHandler := serve(t, srv, mustConverter(t, nil), mustConverter(t, nil))
	plainClient := serve(t, srv, mustConverter(t, nil), nil)
	ctx := t.Context()
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		srv.setUnary(func(context.Context, string) error { return status.Error(c, "from elsewhere") })
		want := CodeForGRPC(c)
		if want == "" {
			want = errprio.CodeUncategorized
		}
		err := call(ctx, plainServer, "x")
		where := c.String()
		require.Equal(t, want, errprio.CodeOf(err), where)
		require.Equal(t, c, status.Code(err), where)
		require.Equal(t, "grpc "+c.String()+": from elsewhere", err.Error(), where)
		require.Equal(t, c == codes.DeadlineExceeded, stderrors.Is(err, context.DeadlineExceeded), where)
		require.Equal(t, c == codes.Canceled, stderrors.Is(err, context.Canceled), where)

		err = call(ctx, oursWithStatusHandler, "x")
		require.Equal(t, want, errprio.CodeOf(err), where)
		require.Equal(t, c, status.Code(err), "%s: the handler's gRPC code is kept", where)
		require.Equal(t, c, status.Code(call(ctx, plainClient, "x")), where)
	}
}

// The other direction: a server that does not use the package sends each
// shipped code's gRPC projection, and the client's code for it projects
// back onto the same gRPC code.
func TestEveryShippedProjectionComesBack(t *testing.T) {
	srv := &testServer{}
	conn := serve(t, srv, nil, mustConverter(t, nil))
	for _, spec := range errprio.Codes() {
		grpcCode := codes.Code(spec.GRPCCode)
		srv.setUnary(func(context.Context, string) error { return status.Error(grpcCode, "from elsewhere") })
		err := call(t.Context(), conn, "x")
		require.Equal(t, grpcCode, status.Code(err), spec.Code)
		back, ok := errprio.Lookup(errprio.CodeOf(err))
		require.True(t, ok, spec.Code)
		require.Equal(t, spec.GRPCCode, back.GRPCCode, "%s: %s comes back as %s", spec.Code, grpcCode, back.Code)
		require.Equal(t, spec.Retryable, back.Retryable, spec.Code)
	}
}

// A failed call logs as one line of code, message and hints.
func TestStatusErrorLogsOnOneLine(t *testing.T) {
	err := FromStatus(t.Context(), ToStatus(t.Context(), errprio.WithCode(errors.WithHint(errors.Wrap(errCrdbSentinel, "get"), "retry later"), errprio.CodeCannotConnectNow)))
	var out strings.Builder
	slog.New(slog.NewTextHandler(&out, nil)).Error("call failed", "err", err)
	require.Equal(t, 1, strings.Count(out.String(), "\n"), out.String())
	require.Contains(t, out.String(), `err.code=57P03 err.msg="get: store: not found" err.hint="retry later"`)
}
