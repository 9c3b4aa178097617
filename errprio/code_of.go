package errprio

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cockroachdb/errors/errbase"
	"github.com/gogo/protobuf/proto"
)

// WithCode returns err wrapped so that it carries code. Its message is
// err's message; errors.Is, errors.As and the cause chain see through it.
// A nil err returns nil, and an empty code returns err unchanged.
//
// Any code works, registered or not. An unregistered code is reported by
// [CodeOf] as given, ranks at [PriorityNonRetriable], is not retryable and
// projects onto HTTP 500 and gRPC Unknown, like [CodeUncategorized]. The
// code is looked up when the error is ranked, not when it is wrapped, so a
// package-level sentinel may use a code its package registers in init.
func WithCode(err error, code Code) error {
	if err == nil || code == "" {
		return err
	}
	return &withCode{cause: err, code: code}
}

// withCode is the wrapper that carries a code. Its encoder and decoder are
// registered in this package's init, so every process that links errprio
// decodes it, whatever the type of the error it wraps. Its wire identity is
// this package's import path and the type name: renaming either changes
// the wire format (the golden tests catch it).
type withCode struct {
	cause error
	code  Code
	// sent is the priority the encoding process gave the code; it is zero
	// for wrappers made in this process. It ranks a decoded code that this
	// process never registered.
	sent Priority
}

func (w *withCode) Error() string { return w.cause.Error() }
func (w *withCode) Unwrap() error { return w.cause }

// Format prints the code with %+v, among the details of the chain.
func (w *withCode) Format(s fmt.State, verb rune) { errbase.FormatError(w, s, verb) }

// SafeFormatError prints the code as a safe detail: codes never carry
// user data.
func (w *withCode) SafeFormatError(p errbase.Printer) error {
	if p.Detail() {
		p.Printf("code: %s", w.code)
	}
	return w.cause
}

// priority ranks the code by this process's registry first, then by the
// sender's priority, then as an unregistered code.
func (w *withCode) priority() Priority {
	if s := lookup(w.code); s != nil {
		return s.Priority
	}
	if w.sent > 0 {
		return w.sent
	}
	return PriorityNonRetriable
}

// encodeWithCode puts the code and its priority in the reportable payload:
// both are safe, and a crash reporter may show them.
func encodeWithCode(_ context.Context, err error) (string, []string, proto.Message) {
	w := err.(*withCode)
	return "", []string{string(w.code), strconv.Itoa(int(w.priority()))}, nil
}

// decodeWithCode rebuilds the wrapper. A payload without a code yields nil,
// which makes the library keep the node as an opaque wrapper.
func decodeWithCode(_ context.Context, cause error, _ string, details []string, _ proto.Message) error {
	if len(details) == 0 || details[0] == "" {
		return nil
	}
	w := &withCode{cause: cause, code: Code(details[0])}
	if len(details) > 1 {
		if p, err := strconv.Atoi(details[1]); err == nil && p > 0 {
			w.sent = Priority(p)
		}
	}
	return w
}

func init() {
	key := errbase.GetTypeKey((*withCode)(nil))
	errbase.RegisterWrapperEncoder(key, encodeWithCode)
	errbase.RegisterWrapperDecoder(key, decodeWithCode)
}

// CodeOf returns the code that describes err to a consumer, picked from the
// whole error tree by one rule:
//
//   - Candidates: every code attached with [WithCode] anywhere in the tree,
//     through single-cause wrappers (%w, errors.Wrap, ...) and every branch
//     of errors.Join and [Combine]; and, for each leaf that no code wrapper
//     covers (no WithCode between it and the root), [CodeUncategorized].
//   - The candidate with the highest priority wins; ties go to the first in
//     depth-first order (a wrapper before its cause, Join branches in
//     order).
//
// So an internal error ([CodeInternal]) anywhere outranks a retry code, and
// a Join in which one branch has no code is not retryable: part of the
// failure is unknown. An error with no code at all yields
// [CodeUncategorized]; nil yields "". CockroachDB's pgerror.GetPGCode, by
// contrast, follows only single-cause unwrapping and never sees a code
// under a Join. CodeOf does not allocate.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return rank(err).code
}

// Retryable reports whether the code [CodeOf] picks for err is registered
// as retryable. It is false for nil, for errors without a code and for
// unregistered codes.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	s := lookup(rank(err).code)
	return s != nil && s.Retryable
}

// WireCode reports the code [CodeOf] picks for err and the priority the
// process that encoded it gave that code, when the code arrived on the
// wire: ok is true when the code wrapper that decides CodeOf was decoded
// by [Codec.Decode] (or any cockroachdb/errors decoder), and false for a
// code attached in this process, for an error without a code and for nil.
//
// [PriorityOf] ranks a code by this process's registry first and falls
// back on the sender's priority only for codes it never registered, so
// WireCode is how a relay or a test sees what the sender said: a relay
// that forwards the code in its own protocol (a header, a status detail)
// forwards sent, and a test checks what crossed the wire.
func WireCode(err error) (code Code, sent Priority, ok bool) {
	if err == nil {
		return "", PriorityNone, false
	}
	c := rank(err)
	return c.code, c.sent, c.sent > 0
}

// rank walks the tree of a non-nil err. A tree whose only leaves are
// multi-cause errors with nil causes offers nothing; it counts as
// uncategorized.
func rank(err error) choice {
	var c choice
	c.walk(err, false)
	if c.prio == PriorityNone {
		c = choice{code: CodeUncategorized, prio: PriorityNonRetriable}
	}
	return c
}

// choice is the candidate CodeOf and PriorityOf keep while walking, with
// the priority its sender gave it when it was decoded (see WireCode).
type choice struct {
	code Code
	prio Priority
	sent Priority
}

// offer keeps the candidate when it ranks strictly higher, so that among
// equals the first one offered (depth-first) stays.
func (c *choice) offer(code Code, p, sent Priority) {
	if p > c.prio {
		c.code, c.prio, c.sent = code, p, sent
	}
}

// walk offers every candidate of err's tree in depth-first order. covered
// says that a code wrapper sits between err and the root. Chains are
// followed in a loop; only multi-cause nodes recurse. The type switch
// tries the common single-cause form first, which keeps a 10-layer walk
// well under the 150 ns the package promises.
func (c *choice) walk(err error, covered bool) {
	for err != nil {
		switch e := err.(type) {
		case *withCode:
			c.offer(e.code, e.priority(), e.sent)
			covered = true
			err = e.cause
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			causes := e.Unwrap()
			for _, cause := range causes {
				c.walk(cause, covered)
			}
			if len(causes) > 0 {
				return
			}
			err = nil
		case interface{ Cause() error }:
			err = e.Cause()
		default:
			err = nil
		}
		if err == nil && !covered {
			c.offer(CodeUncategorized, PriorityNonRetriable, PriorityNone)
		}
	}
}
