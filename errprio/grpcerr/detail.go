package grpcerr

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// DetailTypeURL is the type URL of the status detail that carries an
// errprio error, in the google.protobuf.Any of the status's details. Its
// message, ecopatterns.errprio.v1.Error, is
//
//	message Error {
//	  string code = 1;     // errprio.CodeOf the error, such as "40001"
//	  int64 priority = 2;  // errprio.PriorityOf it, as the sender ranks it
//	  bytes chain = 3;     // errprio.Encode of it; absent over MaxBytes
//	}
//
// A client in any language can read the code and priority without
// knowing the chain's format (the protobuf form of cockroachdb/errors'
// EncodedError).
const DetailTypeURL = "type.googleapis.com/ecopatterns.errprio.v1.Error"

// ErrMalformedDetail is matched (errors.Is) by every error [ParseDetail]
// returns.
var ErrMalformedDetail = errors.New("grpcerr: malformed status detail")

// Detail is the status detail of type [DetailTypeURL].
type Detail struct {
	// Code is the error's code: five characters from 0-9 and A-Z.
	Code errprio.Code
	// Priority is the priority the sender gave Code, > 0.
	Priority errprio.Priority
	// Chain is the encoded error ([errprio.Codec.Encode]), or nil when it
	// was over the sender's MaxBytes.
	Chain []byte
}

// Protobuf field numbers of the detail message.
const (
	fieldCode     = 1
	fieldPriority = 2
	fieldChain    = 3
)

// Marshal returns the protobuf encoding of d: the Value of its Any.
func (d Detail) Marshal() []byte {
	b := make([]byte, 0, 16+len(d.Chain))
	b = protowire.AppendTag(b, fieldCode, protowire.BytesType)
	b = protowire.AppendString(b, string(d.Code))
	b = protowire.AppendTag(b, fieldPriority, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(d.Priority))
	if d.Chain != nil {
		b = protowire.AppendTag(b, fieldChain, protowire.BytesType)
		b = protowire.AppendBytes(b, d.Chain)
	}
	return b
}

// ParseDetail decodes the protobuf encoding of a [Detail]. Fields it does
// not know are skipped, so that later versions may add some; a field seen
// twice keeps its last value, as in protobuf. It reports, with an error
// matching [ErrMalformedDetail] that names the field, input that is not
// protobuf, a known field of the wrong type, and a missing or invalid code
// or priority. Chain is not decoded; it aliases b.
func ParseDetail(b []byte) (Detail, error) {
	var d Detail
	var prio uint64
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return Detail{}, malformed(off, "field tag: %v", protowire.ParseError(n))
		}
		if want, known := fieldType(num); known && typ != want {
			return Detail{}, malformed(off, "field %d has wire type %d, want %d", num, typ, want)
		}
		start := off + n
		switch num {
		case fieldCode:
			v, m := protowire.ConsumeBytes(b[start:])
			if m < 0 {
				return Detail{}, malformed(start, "code: %v", protowire.ParseError(m))
			}
			d.Code, n = errprio.Code(v), m
		case fieldPriority:
			v, m := protowire.ConsumeVarint(b[start:])
			if m < 0 {
				return Detail{}, malformed(start, "priority: %v", protowire.ParseError(m))
			}
			prio, n = v, m
		case fieldChain:
			v, m := protowire.ConsumeBytes(b[start:])
			if m < 0 {
				return Detail{}, malformed(start, "chain: %v", protowire.ParseError(m))
			}
			d.Chain, n = v, m
		default:
			n = protowire.ConsumeFieldValue(num, typ, b[start:])
			if n < 0 {
				return Detail{}, malformed(start, "field %d: %v", num, protowire.ParseError(n))
			}
		}
		off = start + n
	}
	if !validCode(d.Code) {
		return Detail{}, malformed(-1, "code %q is not 5 characters from 0-9 and A-Z", string(d.Code))
	}
	if prio == 0 || prio > math.MaxInt32 {
		return Detail{}, malformed(-1, "priority %d is not between 1 and %d", prio, math.MaxInt32)
	}
	d.Priority = errprio.Priority(prio)
	return d, nil
}

// fieldType is the wire type of a known field of the detail message.
func fieldType(num protowire.Number) (protowire.Type, bool) {
	switch num {
	case fieldCode, fieldChain:
		return protowire.BytesType, true
	case fieldPriority:
		return protowire.VarintType, true
	}
	return 0, false
}

func malformed(off int, format string, args ...any) error {
	where := ""
	if off >= 0 {
		where = fmt.Sprintf(" at byte %d", off)
	}
	return fmt.Errorf("%w%s: %s", ErrMalformedDetail, where, fmt.Sprintf(format, args...))
}

func validCode(c errprio.Code) bool {
	if len(c) != 5 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; (b < '0' || b > '9') && (b < 'A' || b > 'Z') {
			return false
		}
	}
	return true
}
