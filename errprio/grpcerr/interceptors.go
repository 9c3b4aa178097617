package grpcerr

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// UnaryServerInterceptor is [Converter.UnaryServerInterceptor] with
// [DefaultOptions].
func UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return defaultConverter.UnaryServerInterceptor()
}

// StreamServerInterceptor is [Converter.StreamServerInterceptor] with
// [DefaultOptions].
func StreamServerInterceptor() grpc.StreamServerInterceptor {
	return defaultConverter.StreamServerInterceptor()
}

// UnaryClientInterceptor is [Converter.UnaryClientInterceptor] with
// [DefaultOptions].
func UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return defaultConverter.UnaryClientInterceptor()
}

// StreamClientInterceptor is [Converter.StreamClientInterceptor] with
// [DefaultOptions].
func StreamClientInterceptor() grpc.StreamClientInterceptor {
	return defaultConverter.StreamClientInterceptor()
}

// UnaryServerInterceptor returns an interceptor that turns the error a
// handler returns into the status [Converter.ToStatus] builds.
func (c *Converter) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return resp, c.ToStatus(ctx, err).Err()
		}
		return resp, nil
	}
}

// StreamServerInterceptor returns an interceptor that turns the error a
// stream handler returns, after any messages it sent, into the status
// [Converter.ToStatus] builds.
func (c *Converter) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := handler(srv, ss); err != nil {
			return c.ToStatus(ss.Context(), err).Err()
		}
		return nil
	}
}

// UnaryClientInterceptor returns an interceptor that turns the error of a
// call into the error [Converter.FromStatus] builds from its status.
func (c *Converter) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
			return c.fromError(ctx, err)
		}
		return nil
	}
}

// StreamClientInterceptor returns an interceptor that turns the errors of
// a stream (opening it, RecvMsg, SendMsg, CloseSend, Header) into the
// errors [Converter.FromStatus] builds from their status. io.EOF, the end
// of a stream, is returned as it is.
func (c *Converter) StreamClientInterceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, c.fromError(ctx, err)
		}
		return &clientStream{ClientStream: cs, conv: c, ctx: ctx}, nil
	}
}

// fromError converts the error of a call. gRPC returns status errors; an
// error of another kind becomes a status of code Unknown, as
// status.Convert makes it.
func (c *Converter) fromError(ctx context.Context, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var se *StatusError
	if errors.As(err, &se) {
		return err
	}
	return c.FromStatus(ctx, status.Convert(err))
}

// clientStream converts the errors of the stream it wraps.
type clientStream struct {
	grpc.ClientStream
	conv *Converter
	ctx  context.Context
}

func (s *clientStream) RecvMsg(m any) error {
	return s.conv.fromError(s.ctx, s.ClientStream.RecvMsg(m))
}

func (s *clientStream) SendMsg(m any) error {
	return s.conv.fromError(s.ctx, s.ClientStream.SendMsg(m))
}

func (s *clientStream) CloseSend() error {
	return s.conv.fromError(s.ctx, s.ClientStream.CloseSend())
}

func (s *clientStream) Header() (md metadata.MD, err error) {
	md, err = s.ClientStream.Header()
	return md, s.conv.fromError(s.ctx, err)
}
