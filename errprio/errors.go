package errprio

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrMalformed is matched (errors.Is) by every [*WireError] about bytes
	// that are not a valid encoding: truncated, corrupt, structurally
	// impossible, or refused by a decoder.
	ErrMalformed = errors.New("errprio: malformed encoding")
	// ErrLimit is matched by every [*WireError] about an encoding, or an
	// error to encode, that exceeds one of the [Options] limits.
	ErrLimit = errors.New("errprio: limit exceeded")
)

// WireError reports why [Codec.Encode] or [Codec.Decode] refused its input.
// It matches [ErrMalformed] or [ErrLimit] with errors.Is.
type WireError struct {
	// Op is "encode" or "decode".
	Op string
	// Offset is the byte offset in the input where the problem was found,
	// or -1 when it concerns the whole input or an error being encoded.
	Offset int
	// Reason says what was wrong, naming the field or limit involved,
	// for example "more than Options.MaxDepth = 1000 nested error layers".
	Reason string
	// Kind is ErrMalformed or ErrLimit.
	Kind error
}

// Error returns a message such as
// "errprio: decode: malformed encoding at byte 17: truncated varint".
func (e *WireError) Error() string {
	var b strings.Builder
	b.WriteString("errprio: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Kind.Error(), "errprio: "))
	if e.Offset >= 0 {
		b.WriteString(" at byte ")
		b.WriteString(strconv.Itoa(e.Offset))
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns Kind.
func (e *WireError) Unwrap() error { return e.Kind }

func malformed(op string, off int, reason string) *WireError {
	return &WireError{Op: op, Offset: off, Reason: reason, Kind: ErrMalformed}
}

func overLimit(op string, off int, reason string) *WireError {
	return &WireError{Op: op, Offset: off, Reason: reason, Kind: ErrLimit}
}
