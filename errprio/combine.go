package errprio

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cockroachdb/errors/errbase"
	"github.com/gogo/protobuf/proto"
)

// Combine returns one error standing for all of errs: its message, code
// and priority are those of the highest-priority error ([Highest]), and the
// others are kept as suppressed errors ([Suppressed]). Nil entries are
// dropped; Combine returns nil when all are nil and the error itself when
// only one is not nil.
//
// Every combined error stays in the tree: errors.Is and errors.As find
// them, %+v prints them, [CodeOf] and [PriorityOf] rank them like the
// branches of errors.Join (and so agree with Highest), and [Encode] sends
// them all.
func Combine(errs ...error) error {
	n, last := 0, -1
	for i, err := range errs {
		if err != nil {
			n, last = n+1, i
		}
	}
	switch n {
	case 0:
		return nil
	case 1:
		return errs[last]
	}
	c := &combined{errs: make([]error, 0, n)}
	bp := PriorityNone
	for _, err := range errs {
		if err == nil {
			continue
		}
		if p := PriorityOf(err); p > bp {
			c.top, bp = len(c.errs), p
		}
		c.errs = append(c.errs, err)
	}
	return c
}

// Suppressed returns the errors that the outermost [Combine] in err's tree
// kept besides the one it surfaced, in their original order. It returns nil
// when err holds no combined error.
func Suppressed(err error) []error {
	var c *combined
	if !errors.As(err, &c) {
		return nil
	}
	out := make([]error, 0, len(c.errs)-1)
	for i, e := range c.errs {
		if i != c.top {
			out = append(out, e)
		}
	}
	return out
}

// combined is the error Combine returns. Like errors.Join it has several
// causes; unlike it, one of them (top) speaks for all.
type combined struct {
	errs []error
	top  int
}

func (c *combined) Error() string   { return c.errs[c.top].Error() }
func (c *combined) Unwrap() []error { return c.errs }

// Format prints the surfaced error's message with %v, and every combined
// error with %+v.
func (c *combined) Format(s fmt.State, verb rune) { errbase.FormatError(c, s, verb) }

// SafeFormatError prints the surfaced error, keeping its redaction
// markers, and how many others were suppressed.
func (c *combined) SafeFormatError(p errbase.Printer) error {
	p.Print(c.errs[c.top])
	if p.Detail() {
		p.Printf("(surfaced error %d of %d; the others are suppressed)", c.top+1, len(c.errs))
	}
	return nil
}

// encodeCombined sends the surfaced index as a safe detail; the library
// encodes the causes. The message is repeated so that a process that
// cannot decode the node still shows it.
func encodeCombined(_ context.Context, err error) (string, []string, proto.Message) {
	c := err.(*combined)
	return c.Error(), []string{strconv.Itoa(c.top)}, nil
}

// decodeCombined returns nil, which keeps the node as an opaque multi-cause
// error, when the index is missing or out of range.
func decodeCombined(_ context.Context, causes []error, _ string, details []string, _ proto.Message) error {
	if len(details) == 0 || len(causes) == 0 {
		return nil
	}
	top, err := strconv.Atoi(details[0])
	if err != nil || top < 0 || top >= len(causes) {
		return nil
	}
	for _, c := range causes {
		if c == nil {
			return nil
		}
	}
	return &combined{errs: causes, top: top}
}

func init() {
	key := errbase.GetTypeKey((*combined)(nil))
	errbase.RegisterMultiCauseEncoder(key, encodeCombined)
	errbase.RegisterMultiCauseDecoder(key, decodeCombined)
}
