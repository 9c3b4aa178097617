package errprio

import "github.com/ecopatterns/ecopatterns/options"

// Options configures a [Codec]. Start from [DefaultOptions]; every field
// must be set (zero limits are refused, not read as "unlimited").
type Options struct {
	// MaxBytes is the largest encoding Encode produces and Decode (and
	// ReadHTTP) accepts. It must be > 0; the default is 1 MiB.
	//
	// With MaxNodes it bounds the memory of one Decode. For an input of n
	// bytes holding m entries counted against MaxNodes, Decode allocates
	// at most 4n + 512m bytes, the decoded error keeps at most 2n + 256m
	// of them, and %+v prints it in at most 3n + 128m bytes. With the
	// defaults that is, whatever the input, under 9 MiB allocated,
	// 4.5 MiB kept and 4.3 MiB printed (TestDecodeMemoryBound holds
	// these bounds against the worst shapes of input known: long runs of
	// empty strings, wide fan-out, chains as deep as allowed, payloads of
	// many fields).
	MaxBytes int `usage:"largest error encoding produced or accepted, in bytes"`
	// MaxDepth is the deepest nesting of error layers (wrappers and
	// multi-cause errors on one path from the root) an encoding may have.
	// It must be > 0; the default is 1000. Decoding recurses once per
	// layer, so this bounds its stack.
	MaxDepth int `usage:"deepest nesting of error layers produced or accepted"`
	// MaxNodes is the most entries one encoding may hold: every error
	// layer (wrapper, leaf, multi-cause error), every reportable string of
	// their details, and every field of their payloads, counting the
	// fields of messages nested in them. It must be > 0; the default is
	// 10000. An entry takes as little as two bytes on the wire and a few
	// hundred decoded, so this is what bounds the memory of a small input
	// (see MaxBytes).
	MaxNodes int `usage:"most error layers, reportable strings and payload fields produced or accepted"`
	// DropStacks removes the stack traces that cockroachdb/errors attaches
	// (errors.New, errors.Wrap, errors.WithStack) from what Encode
	// produces. Use it at a boundary where stacks are noise or must not
	// leak, such as responses to clients outside the system: it cuts the
	// size of an encoding about in half, more with deep stacks (see the
	// package documentation). Only the traces go: the layers that held
	// them stay, empty, so errors.Is, [CodeOf], [PriorityOf], hints and
	// details answer on the decoded error exactly as without DropStacks
	// (errors.Is compares the type of every layer of a chain). Stacks
	// inside payloads, such as a secondary error's, are kept. The traces
	// that go are never formatted, so Encode is also faster with it. The
	// default is false: between services of one system, stacks are worth
	// their bytes.
	DropStacks bool `usage:"remove stack traces from encodings"`
}

// DefaultOptions returns the options of the package-level [Encode],
// [Decode], [WriteHTTP] and [ReadHTTP].
func DefaultOptions() Options {
	return Options{
		MaxBytes:   1 << 20,
		MaxDepth:   1000,
		MaxNodes:   10_000,
		DropStacks: false,
	}
}

// Validate reports every bad field at once, as an errors.Join of
// [*options.FieldError].
func (o Options) Validate() error {
	var c options.Collector
	options.Positive(&c, "MaxBytes", o.MaxBytes)
	options.Positive(&c, "MaxDepth", o.MaxDepth)
	options.Positive(&c, "MaxNodes", o.MaxNodes)
	return c.Err()
}
