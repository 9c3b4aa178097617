package grpcerr

import (
	"fmt"
	"log/slog"

	"github.com/cockroachdb/errors/errbase"
	"google.golang.org/grpc/status"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// StatusError is the error the client interceptors and [FromStatus]
// return for a failed call: the error the server sent (see
// [Converter.FromStatus]), with the status it came in.
//
// Its message is the wrapped error's; errors.Is, errors.As, errprio's
// CodeOf and PriorityOf see through it; and status.Code(err),
// status.FromError(err) and status.Convert(err) find the status, also
// when err wraps a StatusError, so code written for plain gRPC errors
// keeps working.
type StatusError struct {
	status *status.Status
	err    error
}

// Error returns the wrapped error's message.
func (e *StatusError) Error() string { return e.err.Error() }

// Unwrap returns the error the server sent.
func (e *StatusError) Unwrap() error { return e.err }

// GRPCStatus returns the status the error came in, details included.
func (e *StatusError) GRPCStatus() *status.Status { return e.status }

// Format prints, with %+v, the whole chain the server sent, as
// cockroachdb/errors formats it; with %v and %s, the message.
func (e *StatusError) Format(s fmt.State, verb rune) { errbase.FormatError(e, s, verb) }

// LogValue logs the error on one line, as [errprio.LogValue] does: code,
// message and hints, rather than the multi-line chain of %+v.
func (e *StatusError) LogValue() slog.Value { return errprio.LogValue(e) }

var _ slog.LogValuer = (*StatusError)(nil)
