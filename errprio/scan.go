package errprio

import "fmt"

// scanner checks an encoding before it is unmarshalled: the gogo protobuf
// code and DecodeError recurse once per nesting level and allocate per
// node, and neither has a limit. One pass over the bytes, without
// allocating, enforces MaxDepth and MaxNodes and rejects the structures
// that make DecodeError panic (an error node with neither leaf nor
// wrapper, a wrapper without a cause).
//
// It follows the schema of errorspb.EncodedError down to the Any payloads
// of the details. A payload's bytes are scanned as a message of unknown
// type: every length-delimited field that parses as a message counts as a
// nested one. That over-approximates the nesting the real decoder will
// see (a real nested message always parses), so the limits hold whatever
// the payload type.
type scanner struct {
	maxDepth int
	maxNodes int
	nodes    int
}

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// field is one decoded protobuf field: its number, wire type, and, for
// length-delimited fields, the value's bytes and their offset in the
// whole input.
type field struct {
	num   uint64
	wire  int
	value []byte
	off   int
}

// next decodes the field starting at b[i:], where b starts at offset base
// of the input, into f, and returns the index after it, or -1 when b[i:]
// does not start with a valid field: [why] then says what is wrong. It
// takes f by pointer and leaves the reason to why because the scans call
// it once per field: returning the field and a reason by value made a
// scan about twice as slow.
func next(b []byte, i, base int, f *field) int {
	tag, n := uvarint(b[i:])
	if n <= 0 {
		return -1
	}
	*f = field{num: tag >> 3, wire: int(tag & 7), off: base + i}
	if f.num == 0 || f.num > 1<<29-1 {
		return -1
	}
	i += n
	switch f.wire {
	case wireVarint:
		if _, n := uvarint(b[i:]); n <= 0 {
			return -1
		}
		i += n
	case wireFixed64:
		if len(b)-i < 8 {
			return -1
		}
		i += 8
	case wireFixed32:
		if len(b)-i < 4 {
			return -1
		}
		i += 4
	case wireBytes:
		l, n := uvarint(b[i:])
		if n <= 0 || l > uint64(len(b)-i-n) {
			return -1
		}
		i += n
		f.value = b[i : i+int(l)]
		f.off = base + i
		i += int(l)
	default:
		return -1
	}
	return i
}

// why returns what makes b[i:] not start with a valid field (see next),
// and the offset in the input it concerns.
func why(b []byte, i, base int) (reason string, off int) {
	tag, n := uvarint(b[i:])
	if n <= 0 {
		return "truncated or overlong field tag", base + i
	}
	if num := tag >> 3; num == 0 || num > 1<<29-1 {
		return "invalid field number", base + i
	}
	start := base + i
	i += n
	switch tag & 7 {
	case wireVarint:
		return "truncated or overlong varint", base + i
	case wireFixed64:
		return "truncated fixed64", base + i
	case wireFixed32:
		return "truncated fixed32", base + i
	case wireBytes:
		if _, n := uvarint(b[i:]); n <= 0 {
			return "truncated or overlong length", base + i
		}
		return "length runs past the end of the enclosing message", base + i
	}
	return "unsupported wire type (groups are not part of this format)", start
}

// nextField is next for the schema-aware scan, where a problem is final.
func nextField(b []byte, i, base int, f *field) (int, error) {
	j := next(b, i, base, f)
	if j < 0 {
		reason, off := why(b, i, base)
		return 0, malformed("decode", off, reason)
	}
	return j, nil
}

// uvarint decodes a protobuf varint; n is 0 when b is truncated and -1
// when the varint is longer than 10 bytes or overflows 64 bits.
func uvarint(b []byte) (v uint64, n int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	var shift uint
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		if c < 0x80 {
			if i == 9 && c > 1 {
				return 0, -1
			}
			return v | uint64(c)<<shift, i + 1
		}
		v |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// wantBytes rejects a known field with the wrong wire type, which the
// gogo decoder would refuse too; saying which field helps more.
func wantBytes(f field, msg string) error {
	if f.wire != wireBytes {
		return malformed("decode", f.off, fmt.Sprintf("%s field %d has wire type %d, want 2 (bytes)", msg, f.num, f.wire))
	}
	return nil
}

// errorNode scans an EncodedError at nesting depth (1 for the root).
func (s *scanner) errorNode(b []byte, base, depth int) error {
	if depth > s.maxDepth {
		return overLimit("decode", base, fmt.Sprintf("more than Options.MaxDepth = %d nested error layers", s.maxDepth))
	}
	set := false
	for i := 0; i < len(b); {
		var f field
		j, err := nextField(b, i, base, &f)
		if err != nil {
			return err
		}
		i = j
		switch f.num {
		case 1, 2:
			if err := wantBytes(f, "EncodedError"); err != nil {
				return err
			}
			// Each occurrence is unmarshalled into a new layer (the
			// last one wins), so each counts.
			if err := s.count(f.off); err != nil {
				return err
			}
			set = true
			if f.num == 1 {
				err = s.leaf(f.value, f.off, depth)
			} else {
				err = s.wrapper(f.value, f.off, depth)
			}
			if err != nil {
				return err
			}
		}
	}
	if !set {
		return malformed("decode", base, "error node has neither leaf nor wrapper")
	}
	return nil
}

// leaf scans an EncodedErrorLeaf; its multi-error causes nest one level
// deeper.
func (s *scanner) leaf(b []byte, base, depth int) error {
	for i := 0; i < len(b); {
		var f field
		j, err := nextField(b, i, base, &f)
		if err != nil {
			return err
		}
		i = j
		switch f.num {
		case 1:
			err = wantBytes(f, "EncodedErrorLeaf")
		case 2:
			if err = wantBytes(f, "EncodedErrorLeaf"); err == nil {
				err = s.details(f.value, f.off)
			}
		case 3:
			if err = wantBytes(f, "EncodedErrorLeaf"); err == nil {
				err = s.errorNode(f.value, f.off, depth+1)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// wrapper scans an EncodedWrapper, whose cause is mandatory.
func (s *scanner) wrapper(b []byte, base, depth int) error {
	hasCause := false
	for i := 0; i < len(b); {
		var f field
		j, err := nextField(b, i, base, &f)
		if err != nil {
			return err
		}
		i = j
		switch f.num {
		case 1:
			if err = wantBytes(f, "EncodedWrapper"); err == nil {
				hasCause = true
				err = s.errorNode(f.value, f.off, depth+1)
			}
		case 2:
			err = wantBytes(f, "EncodedWrapper")
		case 3:
			if err = wantBytes(f, "EncodedWrapper"); err == nil {
				err = s.details(f.value, f.off)
			}
		}
		if err != nil {
			return err
		}
	}
	if !hasCause {
		return malformed("decode", base, "wrapper has no cause")
	}
	return nil
}

// details scans EncodedErrorDetails down to the Any payload's value.
func (s *scanner) details(b []byte, base int) error {
	for i := 0; i < len(b); {
		var f field
		j, err := nextField(b, i, base, &f)
		if err != nil {
			return err
		}
		i = j
		if f.num >= 1 && f.num <= 4 {
			if err := wantBytes(f, "EncodedErrorDetails"); err != nil {
				return err
			}
		}
		if f.num == 3 {
			// A reportable string costs a slice entry when decoded and a
			// line when printed, however short: each counts.
			if err := s.count(f.off); err != nil {
				return err
			}
		}
		if f.num != 4 {
			continue
		}
		// google.protobuf.Any: field 2 holds the payload message.
		for k := 0; k < len(f.value); {
			var a field
			l, err := nextField(f.value, k, f.off, &a)
			if err != nil {
				return err
			}
			k = l
			if a.num == 2 && a.wire == wireBytes {
				_, fields, err := s.payload(a.value, a.off, 1)
				if err != nil {
					return err
				}
				if err := s.countN(fields, a.off); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// payload scans a message of unknown type. It reports ok = false when b
// does not parse as a message, which callers read as "these are plain
// bytes", and otherwise how many fields the message holds, counting those
// of the messages nested in it: a registered payload type may decode each
// field, however short, into its own slice entry or struct. A limit error
// is final.
func (s *scanner) payload(b []byte, base, depth int) (ok bool, fields int, err error) {
	if limit := 2*s.maxDepth + 16; depth > limit {
		return false, 0, overLimit("decode", base, fmt.Sprintf("payload nests more than %d messages (2*Options.MaxDepth+16)", limit))
	}
	for i := 0; i < len(b); {
		var f field
		j := next(b, i, base, &f)
		if j < 0 {
			return false, 0, nil
		}
		i = j
		fields++
		if f.wire != wireBytes {
			continue
		}
		ok, nested, err := s.payload(f.value, f.off, depth+1)
		if err != nil {
			return false, 0, err
		}
		if ok {
			fields += nested
		}
		if fields > s.maxNodes {
			// Counting on could not change the outcome.
			return true, fields, nil
		}
	}
	return true, fields, nil
}

func (s *scanner) count(off int) error { return s.countN(1, off) }

func (s *scanner) countN(n, off int) error {
	s.nodes += n
	if s.nodes > s.maxNodes {
		return overLimit("decode", off, fmt.Sprintf("more than Options.MaxNodes = %d error layers, reportable strings and payload fields", s.maxNodes))
	}
	return nil
}
