package grpcerr

import (
	"context"
	stderrors "errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/errorspb"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// Converter turns errors into gRPC statuses and back, within the limits of
// its [Options]. It is immutable and safe for concurrent use. The
// package-level functions and interceptors use one made from
// [DefaultOptions].
type Converter struct {
	opts  Options
	codec *errprio.Codec
}

// NewConverter returns a Converter with opts, or the errors of
// opts.Validate.
func NewConverter(opts Options) (*Converter, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("grpcerr: NewConverter: %w", err)
	}
	codec, err := errprio.NewCodec(opts.Codec)
	if err != nil {
		return nil, fmt.Errorf("grpcerr: NewConverter: %w", err)
	}
	return &Converter{opts: opts, codec: codec}, nil
}

// Options returns the options c was made with.
func (c *Converter) Options() Options { return c.opts }

var defaultConverter = func() *Converter {
	c, err := NewConverter(DefaultOptions())
	if err != nil {
		panic(err) // DefaultOptions are valid; TestDefaultOptions checks it
	}
	return c
}()

// ToStatus is [Converter.ToStatus] with [DefaultOptions].
func ToStatus(ctx context.Context, err error) *status.Status {
	return defaultConverter.ToStatus(ctx, err)
}

// FromStatus is [Converter.FromStatus] with [DefaultOptions].
func FromStatus(ctx context.Context, st *status.Status) error {
	return defaultConverter.FromStatus(ctx, st)
}

// ToStatus returns the status a server sends for err, or nil for a nil
// err:
//
//   - Its gRPC code is the GRPCCode of err's code ([errprio.CodeOf]) in
//     the registry ([errprio.CodeSpec]); Unknown for an unregistered code.
//   - Its message is err's message, cut to Options.MaxMessageBytes.
//   - Its details hold one [Detail] ([DetailTypeURL]): the code, its
//     priority ([errprio.PriorityOf]) and the encoded error
//     ([errprio.Codec.Encode]). When the encoding is over
//     Options.Codec.MaxBytes (or any other limit), the chain is left out;
//     code, priority and message still go.
//
// An error without a code gets one where its kind says more than
// "uncategorized": a context.DeadlineExceeded or context.Canceled
// anywhere in it becomes [errprio.CodeQueryCanceled] (gRPC Canceled, its
// projection), and an error carrying a gRPC status (status.Error, or a
// [*StatusError] from a call this server made) keeps that status's gRPC
// code, with the errprio code [CodeForGRPC] maps it to. An err that is a
// *StatusError is sent as the error it wraps, with the gRPC code it came
// with, so a relay that returns what it got adds no layer and changes no
// code.
func (c *Converter) ToStatus(ctx context.Context, err error) *status.Status {
	if err == nil {
		return nil
	}
	relayed := codes.OK
	if se, ok := err.(*StatusError); ok {
		err, relayed = se.err, se.status.Code()
	}
	grpcCode, err := coded(err)
	if relayed != codes.OK {
		grpcCode = relayed
	}
	code := errprio.CodeOf(err)
	if grpcCode == codes.OK {
		grpcCode = codes.Unknown
		if spec, ok := errprio.Lookup(code); ok {
			grpcCode = codes.Code(spec.GRPCCode)
		}
	}
	chain, encErr := c.codec.Encode(ctx, err)
	if encErr != nil {
		chain = nil
	}
	d := Detail{Code: code, Priority: errprio.PriorityOf(err), Chain: chain}
	return status.FromProto(&spb.Status{
		Code:    int32(grpcCode),
		Message: truncateUTF8(err.Error(), c.opts.MaxMessageBytes),
		Details: []*anypb.Any{{TypeUrl: DetailTypeURL, Value: d.Marshal()}},
	})
}

// coded gives an error without a code the code its kind implies, and
// returns the gRPC code to send instead of the code's projection (OK for
// none).
func coded(err error) (codes.Code, error) {
	if errprio.CodeOf(err) != errprio.CodeUncategorized {
		return codes.OK, err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return codes.OK, errprio.WithCode(err, errprio.CodeQueryCanceled)
	}
	var withStatus interface{ GRPCStatus() *status.Status }
	if stderrors.As(err, &withStatus) {
		if st := withStatus.GRPCStatus(); st != nil && st.Code() != codes.OK {
			return st.Code(), errprio.WithCode(err, CodeForGRPC(st.Code()))
		}
	}
	return codes.OK, err
}

// FromStatus returns the error a client gets for st: nil for a nil or OK
// status, and otherwise a [*StatusError] that keeps st (so status.Code,
// status.FromError and status.Convert see the gRPC code) and wraps:
//
//   - for a status from a server using this package, the decoded error
//     ([errprio.Codec.Decode]), on which errprio.CodeOf, PriorityOf,
//     Retryable and cockroachdb/errors' Is on sentinels answer as on the
//     server;
//   - when the server left the chain out (over its MaxBytes), an error
//     with the status message, coded as the detail says and ranked, for a
//     code this process never registered, with the detail's priority;
//   - for a status from any other server, an error with the gRPC code and
//     message, coded by [CodeForGRPC]; DeadlineExceeded and Canceled wrap
//     context.DeadlineExceeded and context.Canceled, so errors.Is finds
//     them.
//
// A detail or chain that does not decode never fails the conversion: the
// error is built from what could be read, with the reason attached as a
// secondary error (cockroachdb/errors' WithSecondaryError, shown by %+v).
func (c *Converter) FromStatus(ctx context.Context, st *status.Status) error {
	if st == nil || st.Code() == codes.OK {
		return nil
	}
	return &StatusError{status: st, err: c.cause(ctx, st)}
}

func (c *Converter) cause(ctx context.Context, st *status.Status) error {
	for _, a := range st.Proto().GetDetails() {
		if a.GetTypeUrl() != DetailTypeURL {
			continue
		}
		d, err := ParseDetail(a.GetValue())
		if err != nil {
			return errors.WithSecondaryError(foreign(st), err)
		}
		if len(d.Chain) == 0 {
			return sent(ctx, d, st.Message())
		}
		decoded := c.codec.Decode(ctx, d.Chain)
		var wireErr *errprio.WireError
		if stderrors.As(decoded, &wireErr) {
			return errors.WithSecondaryError(sent(ctx, d, st.Message()), decoded)
		}
		return decoded
	}
	return foreign(st)
}

// codeFamily is the wire identity of errprio's code wrapper.
var codeFamily = string(errbase.GetTypeKey(errprio.WithCode(stderrors.New("probe"), errprio.CodeInternal)))

// sent is an error with msg, coded as d says. It is built as a decoded
// code wrapper, the form errprio documents for its wire, so that a code
// this process never registered still ranks with the sender's priority.
func sent(ctx context.Context, d Detail, msg string) error {
	return errbase.DecodeError(ctx, errorspb.EncodedError{Error: &errorspb.EncodedError_Wrapper{Wrapper: &errorspb.EncodedWrapper{
		Cause: errbase.EncodeError(ctx, stderrors.New(msg)),
		Details: errorspb.EncodedErrorDetails{
			OriginalTypeName:  codeFamily,
			ErrorTypeMark:     errorspb.ErrorTypeMark{FamilyName: codeFamily},
			ReportablePayload: []string{string(d.Code), strconv.Itoa(int(d.Priority))},
		},
	}}})
}

// foreign is the error for a status from a server that does not use this
// package.
func foreign(st *status.Status) error {
	return errprio.WithCode(&foreignStatus{code: st.Code(), msg: st.Message()}, CodeForGRPC(st.Code()))
}

// foreignStatus is a status without an errprio detail. It unwraps to the
// context error its code stands for, if any.
type foreignStatus struct {
	code codes.Code
	msg  string
}

func (e *foreignStatus) Error() string { return "grpc " + e.code.String() + ": " + e.msg }

// GRPCStatus keeps the gRPC code reachable when the error is relayed
// without its StatusError.
func (e *foreignStatus) GRPCStatus() *status.Status { return status.New(e.code, e.msg) }

func (e *foreignStatus) Unwrap() error {
	switch e.code {
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Canceled:
		return context.Canceled
	}
	return nil
}

// CodeForGRPC returns the errprio code a client gives a status from a
// server that does not use this package, by its gRPC code:
//
//	gRPC code                        errprio code
//	Canceled, DeadlineExceeded       57014 query_canceled
//	InvalidArgument, OutOfRange,
//	FailedPrecondition               22023 invalid_parameter_value
//	NotFound                         02000 no_data
//	AlreadyExists                    23505 unique_violation
//	PermissionDenied, Unauthenticated 42501 insufficient_privilege
//	ResourceExhausted                53300 too_many_requests (retryable)
//	Aborted                          40001 serialization_failure (retryable)
//	Unavailable                      57P03 cannot_connect_now (retryable)
//	Internal, DataLoss               XX000 internal_error
//	OK, Unknown, Unimplemented       "" (no code: CodeOf says XXUUU)
//
// Each shipped code maps back to itself through its own GRPCCode except
// where several share one (42704 and 02000 share NotFound, 53000 and
// 53300 ResourceExhausted, 40003 and XXUUU Unknown).
func CodeForGRPC(c codes.Code) errprio.Code {
	switch c {
	case codes.Canceled, codes.DeadlineExceeded:
		return errprio.CodeQueryCanceled
	case codes.InvalidArgument, codes.OutOfRange, codes.FailedPrecondition:
		return errprio.CodeInvalidInput
	case codes.NotFound:
		return errprio.CodeNoData
	case codes.AlreadyExists:
		return errprio.CodeUniqueViolation
	case codes.PermissionDenied, codes.Unauthenticated:
		return errprio.CodePermissionDenied
	case codes.ResourceExhausted:
		return errprio.CodeTooManyRequests
	case codes.Aborted:
		return errprio.CodeSerializationFailure
	case codes.Unavailable:
		return errprio.CodeCannotConnectNow
	case codes.Internal, codes.DataLoss:
		return errprio.CodeInternal
	}
	return ""
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
