package grpcerr

import (
	"bytes"
	"context"
	stderrors "errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	spb "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// Deadlines and cancellation on either side map to 57014, never to
// uncategorized, and errors.Is still finds the context error.
func TestDeadlinesAndCancellation(t *testing.T) {
	conv := mustConverter(t, nil)
	srv := &testServer{}
	conn := serve(t, srv, conv, conv)

	t.Run("client deadline", func(t *testing.T) {
		srv.setUnary(func(ctx context.Context, _ string) error {
			<-ctx.Done()
			return ctx.Err()
		})
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := call(ctx, conn, "x")
		require.Equal(t, errprio.CodeQueryCanceled, errprio.CodeOf(err))
		require.Equal(t, codes.DeadlineExceeded, status.Code(err))
		require.True(t, stderrors.Is(err, context.DeadlineExceeded))
	})
	t.Run("client cancel", func(t *testing.T) {
		started := make(chan struct{})
		srv.setUnary(func(ctx context.Context, _ string) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-started
			cancel()
		}()
		err := call(ctx, conn, "x")
		require.Equal(t, errprio.CodeQueryCanceled, errprio.CodeOf(err))
		require.Equal(t, codes.Canceled, status.Code(err))
		require.True(t, stderrors.Is(err, context.Canceled))
	})
	for name, serverErr := range map[string]error{
		"server deadline": fmt.Errorf("query replica: %w", context.DeadlineExceeded),
		"server cancel":   errors.Wrap(context.Canceled, "scan"),
		"server joined":   stderrors.Join(stderrors.New("partial"), context.DeadlineExceeded),
	} {
		t.Run(name, func(t *testing.T) {
			srv.setUnary(func(context.Context, string) error { return serverErr })
			err := call(t.Context(), conn, "x")
			require.Equal(t, errprio.CodeQueryCanceled, errprio.CodeOf(err))
			require.Equal(t, codes.Canceled, status.Code(err), "57014's projection")
			require.Equal(t, serverErr.Error(), err.Error())
			require.Equal(t, errors.Is(serverErr, context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded))
			require.Equal(t, errors.Is(serverErr, context.Canceled), errors.Is(err, context.Canceled))
		})
	}
}

// A -> B -> C: B does not know A's error types. It still codes and ranks
// the error, and relays it; C gets the types back.
func TestRelayThroughMiddleService(t *testing.T) {
	conv := mustConverter(t, nil)
	leaf := &testLeaf{Key: "orders/42", N: 7}
	backend := serve(t, &testServer{unary: func(context.Context, string) error {
		return errprio.WithCode(&testWrapper{cause: errors.Wrap(leaf, "storage"), Tag: "kv"}, errprio.CodeSerializationFailure)
	}}, conv, conv)
	var atMiddle error
	middle := serve(t, &testServer{unary: func(ctx context.Context, _ string) error {
		atMiddle = call(unknowing(ctx), backend, "x")
		return fmt.Errorf("orders: %w", atMiddle)
	}}, conv, conv)
	plainMiddle := serve(t, &testServer{unary: func(ctx context.Context, _ string) error {
		return call(unknowing(ctx), backend, "x")
	}}, conv, nil)

	err := call(t.Context(), middle, "x")
	var l *testLeaf
	var w *testWrapper
	require.False(t, errors.As(atMiddle, &l), "the middle does not know the leaf type")
	require.False(t, errors.As(atMiddle, &w))
	require.Equal(t, errprio.CodeSerializationFailure, errprio.CodeOf(atMiddle))
	require.True(t, errprio.Retryable(atMiddle))

	require.True(t, errors.As(err, &l), "%+v", err)
	require.Equal(t, *leaf, *l)
	require.True(t, errors.As(err, &w))
	require.Equal(t, "kv", w.Tag)
	require.Equal(t, "orders: kv: storage: test leaf orders/42/7", err.Error())
	require.Equal(t, errprio.CodeSerializationFailure, errprio.CodeOf(err))
	require.Equal(t, codes.Aborted, status.Code(err))

	// The middle relays the unknown layers byte for byte: the chain it
	// returns as is equals the backend's.
	direct := detailOf(t, call(t.Context(), backend, "x"))
	relayed := detailOf(t, call(t.Context(), plainMiddle, "x"))
	require.Equal(t, direct.Chain, relayed.Chain)
	wrappingMiddle := serve(t, &testServer{unary: func(ctx context.Context, _ string) error {
		return fmt.Errorf("orders: %w", call(unknowing(ctx), backend, "x"))
	}}, conv, nil)
	wrapped := detailOf(t, call(t.Context(), wrappingMiddle, "x"))
	require.True(t, bytes.Contains(wrapped.Chain, direct.Chain), "a wrapping relay embeds the chain unchanged")
}

// detailOf reads the errprio detail of a status error.
func detailOf(t *testing.T, err error) Detail {
	t.Helper()
	st, ok := status.FromError(err)
	require.True(t, ok)
	for _, a := range st.Proto().GetDetails() {
		if a.GetTypeUrl() == DetailTypeURL {
			d, err := ParseDetail(a.GetValue())
			require.NoError(t, err)
			return d
		}
	}
	t.Fatalf("no detail in %v", st)
	return Detail{}
}

// Over MaxBytes the chain is dropped; code, priority and message still go.
func TestOversizedChain(t *testing.T) {
	small := mustConverter(t, func(o *Options) { o.Codec.MaxBytes = 512 })
	long := strings.Repeat("x", 2000)
	srv := &testServer{unary: func(context.Context, string) error {
		return errprio.WithCode(errors.Wrap(errCrdbSentinel, long), errprio.CodeTooManyRequests)
	}}
	conn := serve(t, srv, small, small)
	err := call(t.Context(), conn, "x")
	require.Equal(t, errprio.CodeTooManyRequests, errprio.CodeOf(err))
	require.True(t, errprio.Retryable(err))
	require.Equal(t, codes.ResourceExhausted, status.Code(err))
	require.Equal(t, long+": store: not found", err.Error())
	require.False(t, errors.Is(err, errCrdbSentinel), "the chain, and the sentinel with it, stayed behind")
	require.Empty(t, detailOf(t, call(t.Context(), serve(t, srv, small, nil), "x")).Chain)

	// The message is cut to MaxMessageBytes; the chain keeps it whole.
	tiny := mustConverter(t, func(o *Options) { o.MaxMessageBytes = 100 })
	conn = serve(t, srv, tiny, tiny)
	err = call(t.Context(), conn, "x")
	require.Equal(t, long+": store: not found", err.Error())
	require.Len(t, status.Convert(err).Message(), 100)
	require.True(t, errors.Is(err, errCrdbSentinel))
}

// A detail without a chain ranks an unregistered code as its sender did.
func TestSentPriorityWithoutChain(t *testing.T) {
	st := statusWith(codes.Unknown, "custom failure", &anypb.Any{TypeUrl: DetailTypeURL, Value: Detail{Code: "ZZ777", Priority: 250}.Marshal()})
	err := FromStatus(t.Context(), st)
	require.Equal(t, errprio.Code("ZZ777"), errprio.CodeOf(err))
	require.Equal(t, errprio.Priority(250), errprio.PriorityOf(err))
	code, sent, ok := errprio.WireCode(err)
	require.True(t, ok)
	require.Equal(t, errprio.Code("ZZ777"), code)
	require.Equal(t, errprio.Priority(250), sent)
	require.Equal(t, "custom failure", err.Error())
}

func statusWith(c codes.Code, msg string, details ...*anypb.Any) *status.Status {
	return status.FromProto(&spb.Status{Code: int32(c), Message: msg, Details: details})
}

// Malformed details never panic and never fail the conversion: the client
// builds the error from what it could read and says why in %+v.
func TestMalformedDetails(t *testing.T) {
	ctx := t.Context()
	good := Detail{Code: errprio.CodeNoData, Priority: errprio.PriorityUnambiguous}
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	for _, tc := range []struct {
		name     string
		value    []byte
		wantCode errprio.Code
		reason   string
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, errprio.CodeNoData, "malformed status detail"},
		{"truncated", good.Marshal()[:3], errprio.CodeNoData, "malformed status detail"},
		{"code as varint", append(tag(1, protowire.VarintType), 5), errprio.CodeNoData, "field 1 has wire type 0"},
		{"bad code", Detail{Code: "nope", Priority: 1}.Marshal(), errprio.CodeNoData, `code "nope" is not 5 characters`},
		{"no priority", protowire.AppendString(tag(1, protowire.BytesType), "02000"), errprio.CodeNoData, "priority 0 is not between"},
		{"huge priority", Detail{Code: "02000", Priority: 1 << 40}.Marshal(), errprio.CodeNoData, "priority 1099511627776"},
		{"chain garbage", Detail{Code: "02000", Priority: 200, Chain: []byte{0x0a, 0x05, 0x01}}.Marshal(), errprio.CodeNoData, "malformed encoding"},
		{"chain over the limit", Detail{Code: "02000", Priority: 200, Chain: make([]byte, 2<<20)}.Marshal(), errprio.CodeNoData, "limit exceeded"},
		{"unknown fields are skipped", append(good.Marshal(), protowire.AppendString(tag(9, protowire.BytesType), "later")...), errprio.CodeNoData, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := statusWith(codes.NotFound, "no such row", &anypb.Any{TypeUrl: DetailTypeURL, Value: tc.value})
			err := FromStatus(ctx, st)
			require.Error(t, err)
			require.Equal(t, tc.wantCode, errprio.CodeOf(err))
			require.Equal(t, codes.NotFound, status.Code(err))
			require.Contains(t, err.Error(), "no such row")
			if tc.reason != "" {
				require.Contains(t, fmt.Sprintf("%+v", err), tc.reason)
			}
		})
	}

	// Details of other types are ignored; the first errprio detail counts.
	other, err := anypb.New(wrapperspb.String("unrelated"))
	require.NoError(t, err)
	st := statusWith(codes.Unavailable, "down", other, &anypb.Any{TypeUrl: DetailTypeURL, Value: Detail{Code: errprio.CodeCannotConnectNow, Priority: errprio.PriorityRetry}.Marshal()})
	got := FromStatus(ctx, st)
	require.Equal(t, errprio.CodeCannotConnectNow, errprio.CodeOf(got))
	require.True(t, errprio.Retryable(got))

	require.NoError(t, FromStatus(ctx, nil))
	require.NoError(t, FromStatus(ctx, status.New(codes.OK, "")))
	require.Nil(t, ToStatus(ctx, nil))
}

// A stream that fails after some messages delivers them, then the error,
// coded; from a server that does not use the package too.
func TestMidStreamErrors(t *testing.T) {
	conv := mustConverter(t, nil)
	srv := &testServer{stream: func(_ context.Context, req string, send func(int64) error) error {
		for i := range int64(3) {
			if err := send(i); err != nil {
				return err
			}
		}
		switch req {
		case "ok":
			return nil
		case "status":
			return status.Error(codes.Unavailable, "shard moved")
		}
		return errprio.WithCode(errors.New("shard moved"), errprio.CodeCannotConnectNow)
	}}
	ours := serve(t, srv, conv, conv)
	plain := serve(t, srv, nil, conv)
	for _, tc := range []struct {
		name string
		req  string
		ours bool // whether the server uses the interceptors
	}{{"ours", "coded", true}, {"plain server", "status", false}, {"status from our handler", "status", true}} {
		conn := plain
		if tc.ours {
			conn = ours
		}
		got, err := count(t.Context(), conn, tc.req)
		require.Equal(t, []int64{0, 1, 2}, got, tc.name)
		require.Equal(t, errprio.CodeCannotConnectNow, errprio.CodeOf(err), tc.name)
		require.True(t, errprio.Retryable(err), tc.name)
		require.Equal(t, codes.Unavailable, status.Code(err), tc.name)
		require.Contains(t, err.Error(), "shard moved", tc.name)
	}
	got, err := count(t.Context(), ours, "ok")
	require.NoError(t, err, "io.EOF ends a stream as usual")
	require.Equal(t, []int64{0, 1, 2}, got)
}

// A relay that returns what a foreign server answered keeps its gRPC code,
// also for codes that several gRPC codes share or none maps.
func TestRelayKeepsForeignGRPCCode(t *testing.T) {
	conv := mustConverter(t, nil)
	backend := &testServer{}
	foreignConn := serve(t, backend, nil, conv)
	middle := serve(t, &testServer{unary: func(ctx context.Context, _ string) error {
		return call(ctx, foreignConn, "x")
	}}, conv, conv)
	wrappingMiddle := serve(t, &testServer{unary: func(ctx context.Context, _ string) error {
		return fmt.Errorf("middle: %w", call(ctx, foreignConn, "x"))
	}}, conv, conv)
	for _, c := range []codes.Code{codes.Unimplemented, codes.OutOfRange, codes.Unauthenticated, codes.Unavailable} {
		backend.setUnary(func(context.Context, string) error { return status.Error(c, "from elsewhere") })
		err := call(t.Context(), middle, "x")
		require.Equal(t, c, status.Code(err), c.String())
		require.Equal(t, "grpc "+c.String()+": from elsewhere", err.Error())
		if want := CodeForGRPC(c); want != "" {
			require.Equal(t, want, errprio.CodeOf(err), c.String())
		}
		if c == codes.Unimplemented {
			require.Equal(t, c, status.Code(call(t.Context(), wrappingMiddle, "x")), "no code maps it; the status it came with is kept")
		}
	}
}
