package errprio

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/cockroachdb/errors/withstack"
	"github.com/gogo/protobuf/proto"
)

// Codec encodes errors into bytes and back within the limits of its
// [Options]. A Codec is immutable and safe for concurrent use. The
// package-level [Encode], [Decode], [WriteHTTP] and [ReadHTTP] use one made
// from [DefaultOptions].
type Codec struct {
	opts Options
}

// NewCodec returns a Codec with opts, or the errors of opts.Validate.
func NewCodec(opts Options) (*Codec, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("errprio: NewCodec: %w", err)
	}
	return &Codec{opts: opts}, nil
}

// Options returns the options c was made with.
func (c *Codec) Options() Options { return c.opts }

// defaultCodec serves the package-level functions. It is never modified.
var defaultCodec = &Codec{opts: DefaultOptions()}

// Encode is [Codec.Encode] with [DefaultOptions].
func Encode(ctx context.Context, err error) ([]byte, error) {
	return defaultCodec.Encode(ctx, err)
}

// Decode is [Codec.Decode] with [DefaultOptions].
func Decode(ctx context.Context, data []byte) error {
	return defaultCodec.Decode(ctx, data)
}

// Encode returns the wire form of err: the protobuf encoding of
// cockroachdb/errors' EncodedError (errors.EncodeError followed by
// Marshal), so any program using that library can decode it. Every layer
// of the tree is kept: messages, codes and priorities (see [WithCode]),
// hints, details, marks, stacks (unless Options.DropStacks), the branches
// of errors.Join and [Combine], and the types' own encodings. Layers this
// process decoded without knowing their type are re-encoded byte for byte
// as they arrived.
//
// A nil err encodes to no bytes and a nil error, and [Codec.Decode] turns
// no bytes back into nil. Encode fails, with a [*WireError] matching
// [ErrLimit], when the encoding would exceed Options.MaxBytes, MaxDepth or
// MaxNodes: the receiver would refuse it.
func (c *Codec) Encode(ctx context.Context, err error) ([]byte, error) {
	if err == nil {
		return nil, nil
	}
	var enc errbase.EncodedError
	if c.opts.DropStacks {
		enc, _ = encodeWithoutStacks(ctx, err)
	} else {
		enc = errbase.EncodeError(ctx, err)
	}
	if werr := c.checkTree(&enc); werr != nil {
		return nil, werr
	}
	data, merr := enc.Marshal()
	if merr != nil {
		return nil, fmt.Errorf("errprio: encode: marshal: %w", merr)
	}
	if len(data) > c.opts.MaxBytes {
		return nil, overLimit("encode", -1, fmt.Sprintf("encoding is %d bytes, more than Options.MaxBytes = %d", len(data), c.opts.MaxBytes))
	}
	return data, nil
}

// Decode turns bytes produced by Encode (or by errors.EncodeError and
// Marshal anywhere) back into the error they carry, and returns it.
//
// It returns one error, whichever way things went, because a caller has
// one thing to do with either (return it, log it, branch on its code) and
// two results of type error are too easy to swap. Input that is not a
// valid encoding yields a [*WireError] matching [ErrMalformed] or
// [ErrLimit], wrapped with [CodeInternal]: the sender is broken or
// incompatible, which is nobody's fault on this side and no retry fixes.
// Tell it apart from a decoded error with errors.As(err, &wireErr) or
// errors.Is(err, ErrMalformed) from the standard library: no decoded
// error is a *WireError of this process.
//
// Types this process registered with cockroachdb/errors (including this
// package's code wrapper and combined errors) come back as themselves, so
// errors.As finds them. Types it does not know come back as opaque errors
// that keep their message, type name and payload: errors.Is from
// cockroachdb/errors still matches them against local sentinels (by type
// name and message, or errors.Mark), CodeOf and PriorityOf still rank them
// (the code travels in its own wrapper, see [WireCode]), and Encode sends
// them on unchanged.
//
// Empty data decodes to nil. Anything else that is not a valid encoding
// is reported, never a panic: input over Options.MaxBytes is refused
// before it is read; the nesting depth and the entries counted against
// MaxNodes are checked in one pass over the bytes before anything is
// allocated; and a panic inside a registered decoder is recovered and
// reported as ErrMalformed.
func (c *Codec) Decode(ctx context.Context, data []byte) error {
	werr, decoded := c.decode(ctx, data)
	if werr != nil {
		return WithCode(werr, CodeInternal)
	}
	return decoded
}

// decode returns why data could not be decoded, or else the decoded
// error.
func (c *Codec) decode(ctx context.Context, data []byte) (werr *WireError, decoded error) {
	if len(data) == 0 {
		return nil, nil
	}
	if len(data) > c.opts.MaxBytes {
		return overLimit("decode", -1, fmt.Sprintf("input is %d bytes, more than Options.MaxBytes = %d", len(data), c.opts.MaxBytes)), nil
	}
	s := scanner{maxDepth: c.opts.MaxDepth, maxNodes: c.opts.MaxNodes}
	if err := s.errorNode(data, 0, 1); err != nil {
		return err.(*WireError), nil
	}
	var enc errbase.EncodedError
	if uerr := enc.Unmarshal(data); uerr != nil {
		return malformed("decode", -1, "protobuf: "+uerr.Error()), nil
	}
	defer func() {
		if r := recover(); r != nil {
			werr, decoded = malformed("decode", -1, fmt.Sprintf("a registered error decoder panicked: %v", r)), nil
		}
	}()
	return nil, errbase.DecodeError(ctx, enc)
}

// checkTree enforces MaxDepth and MaxNodes on an encoding about to be
// sent, counting as Decode's scan does, so that Encode never produces what
// Decode refuses.
func (c *Codec) checkTree(enc *errbase.EncodedError) error {
	s := scanner{maxDepth: c.opts.MaxDepth, maxNodes: c.opts.MaxNodes}
	return c.checkNode(&s, enc, 1)
}

func (c *Codec) checkNode(s *scanner, e *errbase.EncodedError, depth int) error {
	for ; e != nil; depth++ {
		if depth > c.opts.MaxDepth {
			return overLimit("encode", -1, fmt.Sprintf("error has more than Options.MaxDepth = %d nested layers", c.opts.MaxDepth))
		}
		var d *errorspb.EncodedErrorDetails
		var causes []*errbase.EncodedError
		next := (*errbase.EncodedError)(nil)
		if w := e.GetWrapper(); w != nil {
			d, next = &w.Details, &w.Cause
		} else if l := e.GetLeaf(); l != nil {
			d, causes = &l.Details, l.MultierrorCauses
		}
		n := 1
		if d != nil {
			n += len(d.ReportablePayload)
			if d.FullDetails != nil {
				_, fields, err := s.payload(d.FullDetails.Value, -1, 1)
				if err != nil {
					we := err.(*WireError)
					we.Op, we.Offset = "encode", -1
					return we
				}
				n += fields
			}
		}
		if s.nodes += n; s.nodes > c.opts.MaxNodes {
			return overLimit("encode", -1, fmt.Sprintf("error has more than Options.MaxNodes = %d layers, reportable strings and payload fields", c.opts.MaxNodes))
		}
		for _, cause := range causes {
			if err := c.checkNode(s, cause, depth+1); err != nil {
				return err
			}
		}
		e = next
	}
	return nil
}

// stackType is the wrapper cockroachdb/errors uses to attach a stack
// trace (errors.New, Wrap, WithStack), and stackFamily its type key;
// decoded, it stays an opaque wrapper with the same key.
var (
	stackType   = reflect.TypeOf(withstack.WithStack(errors.New("probe")))
	stackFamily = string(errbase.GetTypeKey(withstack.WithStack(errors.New("probe"))))
)

// The library has no encoder for its stack wrapper: without one, EncodeError
// formats the stack trace (its SafeDetails) and calls Error on the layer
// and on its cause to find that it has no message of its own. This encoder
// produces the same thing without the two Error calls, and nothing at all
// for the layers an Encode with DropStacks is dropping, so that their
// traces are never formatted. It changes no encoding: TestStackEncoder
// compares it with the library's default.
func init() {
	errbase.RegisterWrapperEncoder(errbase.TypeKey(stackFamily), encodeStack)
}

func encodeStack(ctx context.Context, err error) (string, []string, proto.Message) {
	if d, ok := ctx.Value(stackDropperKey{}).(*stackDropper); ok && d.drop(err) {
		return "", nil, nil
	}
	if s, ok := err.(errbase.SafeDetailer); ok {
		return "", s.SafeDetails(), nil
	}
	return "", nil, nil
}

type stackDropperKey struct{}

// stackDropper tells encodeStack which stack layers to leave empty: those
// of err's own tree, not those inside a payload (such as a secondary
// error's), which DropStacks keeps. EncodeError visits the tree in
// preorder, a layer before its causes, and calls encodeStack once for each
// stack layer it meets; a payload is encoded while its layer is, so its
// stack layers are met in between. Each layer of the tree is recognised by
// identity, as the next one expected in preorder. A payload holding that
// same layer would take its place; the layer, met again later in the tree,
// reveals it, and the encoding is then redone the slow way.
type stackDropper struct {
	layers []error // the stack layers of the tree, in preorder
	next   int     // index in layers of the next one EncodeError meets
	redo   bool    // a layer of the tree was taken by a payload
	inline [4]error
}

func (d *stackDropper) drop(err error) bool {
	if d.next < len(d.layers) && d.layers[d.next] == err {
		d.next++
		return true
	}
	if slices.Contains(d.layers[:d.next], err) {
		d.redo = true
	}
	return false
}

// collect appends the stack layers of err's tree in the order EncodeError
// visits them.
func (d *stackDropper) collect(err error) {
	for err != nil {
		if reflect.TypeOf(err) == stackType {
			d.layers = append(d.layers, err)
		}
		if cause := errbase.UnwrapOnce(err); cause != nil {
			err = cause
			continue
		}
		for _, cause := range errbase.UnwrapMulti(err) {
			d.collect(cause)
		}
		return
	}
}

// encodeWithoutStacks is EncodeError followed by dropStacks, without
// formatting the traces that are dropped. formatted reports that it had
// to format them after all (see stackDropper).
func encodeWithoutStacks(ctx context.Context, err error) (enc errbase.EncodedError, formatted bool) {
	d := &stackDropper{}
	d.layers = d.inline[:0]
	d.collect(err)
	if len(d.layers) > 0 {
		enc = errbase.EncodeError(context.WithValue(ctx, stackDropperKey{}, d), err)
		formatted = d.redo || d.next != len(d.layers)
	}
	if len(d.layers) == 0 || formatted {
		enc = errbase.EncodeError(ctx, err)
	}
	dropStacks(&enc) // and those of layers decoded from another process
	return enc, formatted
}

// dropStacks empties every stack wrapper of the tree: the stack trace (its
// reportable payload) goes, the layer stays. The layer must stay because
// errors.Is in cockroachdb/errors compares the type of every layer of a
// chain, so a sentinel made with errors.New (a leaf under a stack
// wrapper) matches only a chain that still has the wrapper. Such wrappers
// have no message of their own, so messages are unchanged; an emptied one
// decodes as an opaque wrapper that re-encodes to the same bytes.
func dropStacks(e *errbase.EncodedError) {
	for e != nil {
		if w := e.GetWrapper(); w != nil {
			if w.Details.ErrorTypeMark.FamilyName == stackFamily {
				w.Details.ReportablePayload = nil
				w.Details.FullDetails = nil
			}
			e = &w.Cause
			continue
		}
		if l := e.GetLeaf(); l != nil {
			for _, cause := range l.MultierrorCauses {
				dropStacks(cause)
			}
		}
		return
	}
}
