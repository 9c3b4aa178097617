package errprio

import (
	"strings"

	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/hintdetail"
)

// Flat is an error reduced to what a consumer at the boundary needs: a
// client library, an HTTP or gRPC response, a log line for users.
type Flat struct {
	// Code is [CodeOf] the error.
	Code Code
	// Priority is [PriorityOf] the error.
	Priority Priority
	// Message is the error's message (Error()). It may contain user data.
	Message string
	// Hint holds every hint (errors.WithHint and other ErrorHint
	// implementations) in the tree, innermost first and Join branches in
	// order, without duplicates, separated by "\n--\n" as
	// errors.FlattenHints does.
	Hint string
	// Detail holds every detail (errors.WithDetail) in the same order and
	// form as Hint.
	Detail string
	// Retryable, HTTPStatus and GRPCCode come from Code's [CodeSpec]; for
	// an unregistered code they are false, 500 and 2 (Unknown), as for
	// [CodeUncategorized].
	Retryable bool
	// HTTPStatus is the HTTP status for Code.
	HTTPStatus int
	// GRPCCode is the numeric gRPC status code for Code.
	GRPCCode uint32
}

// Flatten reduces err to a [Flat]. Unlike errors.GetAllHints in
// cockroachdb/errors, which follows only single-cause unwrapping, it
// gathers hints and details from every branch of errors.Join and
// [Combine]. A nil err returns the zero Flat.
func Flatten(err error) Flat {
	if err == nil {
		return Flat{}
	}
	c := rank(err)
	spec := lookup(c.code)
	if spec == nil {
		spec = uncategorized()
	}
	var g gather
	g.walk(err)
	return Flat{
		Code:       c.code,
		Priority:   c.prio,
		Message:    err.Error(),
		Hint:       strings.Join(g.hints, "\n--\n"),
		Detail:     strings.Join(g.details, "\n--\n"),
		Retryable:  spec.Retryable,
		HTTPStatus: spec.HTTPStatus,
		GRPCCode:   spec.GRPCCode,
	}
}

// gather collects hints and details in post-order: causes before the
// wrapper that annotates them.
type gather struct {
	hints, details []string
}

func (g *gather) walk(err error) {
	if err == nil {
		return
	}
	if cause := errbase.UnwrapOnce(err); cause != nil {
		g.walk(cause)
	}
	for _, cause := range errbase.UnwrapMulti(err) {
		g.walk(cause)
	}
	if h, ok := err.(hintdetail.ErrorHinter); ok {
		g.hints = appendNew(g.hints, h.ErrorHint())
	}
	if d, ok := err.(hintdetail.ErrorDetailer); ok {
		g.details = appendNew(g.details, d.ErrorDetail())
	}
}

func appendNew(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}
