package grpcerr

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/gogo/protobuf/proto"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// testServer is the service of the tests, defined by hand (no protoc):
// Call(StringValue) returns (Empty) and Count(StringValue) returns
// (stream Int64Value), each answering with what the test sets.
// Tests may change the answers while a handler of an abandoned call
// still runs, hence the lock.
type testServer struct {
	mu     sync.Mutex
	unary  func(ctx context.Context, req string) error
	stream func(ctx context.Context, req string, send func(int64) error) error
}

func (s *testServer) setUnary(f func(ctx context.Context, req string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unary = f
}

func (s *testServer) setStream(f func(ctx context.Context, req string, send func(int64) error) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stream = f
}

func (s *testServer) handlers() (func(context.Context, string) error, func(context.Context, string, func(int64) error) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unary, s.stream
}

const (
	methodCall  = "/grpcerr.test.Svc/Call"
	methodCount = "/grpcerr.test.Svc/Count"
)

var testDesc = grpc.ServiceDesc{
	ServiceName: "grpcerr.test.Svc",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Call", Handler: callHandler}},
	Streams:     []grpc.StreamDesc{{StreamName: "Count", Handler: countHandler, ServerStreams: true}},
}

func callHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(wrapperspb.StringValue)
	if err := dec(in); err != nil {
		return nil, err
	}
	h := func(ctx context.Context, req any) (any, error) {
		unary, _ := srv.(*testServer).handlers()
		return &emptypb.Empty{}, unary(ctx, req.(*wrapperspb.StringValue).GetValue())
	}
	if interceptor == nil {
		return h(ctx, in)
	}
	return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: methodCall}, h)
}

func countHandler(srv any, ss grpc.ServerStream) error {
	in := new(wrapperspb.StringValue)
	if err := ss.RecvMsg(in); err != nil {
		return err
	}
	send := func(n int64) error { return ss.SendMsg(wrapperspb.Int64(n)) }
	_, stream := srv.(*testServer).handlers()
	return stream(ss.Context(), in.GetValue(), send)
}

// serve starts srv on an in-memory listener and returns a connection to
// it; conv, when not nil, installs the interceptors of the side it is
// given for. Everything stops when the test ends.
func serve(t testing.TB, srv *testServer, serverConv, clientConv *Converter) *grpc.ClientConn {
	t.Helper()
	var sopts []grpc.ServerOption
	if serverConv != nil {
		sopts = append(sopts, grpc.ChainUnaryInterceptor(serverConv.UnaryServerInterceptor()),
			grpc.ChainStreamInterceptor(serverConv.StreamServerInterceptor()))
	}
	s := grpc.NewServer(sopts...)
	s.RegisterService(&testDesc, srv)
	lis := bufconn.Listen(1 << 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(lis)
	}()
	copts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
	}
	if clientConv != nil {
		copts = append(copts, grpc.WithChainUnaryInterceptor(clientConv.UnaryClientInterceptor()),
			grpc.WithChainStreamInterceptor(clientConv.StreamClientInterceptor()))
	}
	conn, err := grpc.NewClient("passthrough:///bufnet", copts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		s.Stop()
		<-done
	})
	return conn
}

func call(ctx context.Context, conn *grpc.ClientConn, req string) error {
	return conn.Invoke(ctx, methodCall, wrapperspb.String(req), new(emptypb.Empty))
}

// count opens a Count stream and returns the numbers received before the
// stream ended, and the error it ended with (nil for io.EOF).
func count(ctx context.Context, conn *grpc.ClientConn, req string) ([]int64, error) {
	cs, err := conn.NewStream(ctx, &testDesc.Streams[0], methodCount)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(wrapperspb.String(req)); err != nil {
		return nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	var got []int64
	for {
		m := new(wrapperspb.Int64Value)
		if err := cs.RecvMsg(m); err != nil {
			if err.Error() == "EOF" {
				return got, nil
			}
			return got, err
		}
		got = append(got, m.GetValue())
	}
}

func mustConverter(t testing.TB, set func(*Options)) *Converter {
	t.Helper()
	opts := DefaultOptions()
	if set != nil {
		set(&opts)
	}
	c, err := NewConverter(opts)
	require.NoError(t, err)
	return c
}

// Sentinels as a service declares them.
var (
	errCrdbSentinel = errors.New("store: not found")
	errStdSentinel  = fmt.Errorf("store: conflict")
)

// testLeaf and testWrapper are a service's own error types with their own
// encodings. Their decoders decline when the context says the process
// does not know them, which is how a test plays a middle service that
// never linked the package defining them.
type testLeaf struct {
	Key string
	N   int
}

func (e *testLeaf) Error() string { return fmt.Sprintf("test leaf %s/%d", e.Key, e.N) }

type testWrapper struct {
	cause error
	Tag   string
}

func (w *testWrapper) Error() string { return w.Tag + ": " + w.cause.Error() }
func (w *testWrapper) Unwrap() error { return w.cause }

type unknowingKey struct{}

// unknowing marks ctx as that of a process that does not know the test
// types.
func unknowing(ctx context.Context) context.Context {
	return context.WithValue(ctx, unknowingKey{}, true)
}

func knows(ctx context.Context) bool { return ctx.Value(unknowingKey{}) == nil }

func init() {
	leafKey := errors.GetTypeKey(&testLeaf{})
	errors.RegisterLeafEncoder(leafKey, func(_ context.Context, err error) (string, []string, proto.Message) {
		e := err.(*testLeaf)
		return e.Error(), nil, &errorspb.StringsPayload{Details: []string{e.Key, strconv.Itoa(e.N)}}
	})
	errors.RegisterLeafDecoder(leafKey, func(ctx context.Context, _ string, _ []string, payload proto.Message) error {
		p, ok := payload.(*errorspb.StringsPayload)
		if !knows(ctx) || !ok || len(p.Details) != 2 {
			return nil
		}
		n, _ := strconv.Atoi(p.Details[1])
		return &testLeaf{Key: p.Details[0], N: n}
	})
	wrapKey := errors.GetTypeKey(&testWrapper{})
	errors.RegisterWrapperEncoder(wrapKey, func(_ context.Context, err error) (string, []string, proto.Message) {
		w := err.(*testWrapper)
		return w.Tag, nil, &errorspb.StringPayload{Msg: w.Tag}
	})
	errors.RegisterWrapperDecoder(wrapKey, func(ctx context.Context, cause error, _ string, _ []string, payload proto.Message) error {
		p, ok := payload.(*errorspb.StringPayload)
		if !knows(ctx) || !ok {
			return nil
		}
		return &testWrapper{cause: cause, Tag: p.Msg}
	})
}
