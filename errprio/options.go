package errprio

import "github.com/ecopatterns/ecopatterns/options"

// Options configures a [Codec]. Start from [DefaultOptions]; every field
// must be set (zero limits are refused, not read as "unlimited").
type Options struct {
	// MaxBytes is the largest encoding Encode produces and Decode (and
	// ReadHTTP) accepts. It must be > 0; the default is 1 MiB. Decoding
	// allocates a small multiple of the input, so this is also the memory
	// bound of one Decode.
	MaxBytes int `usage:"largest error encoding produced or accepted, in bytes"`
	// MaxDepth is the deepest nesting of error layers (wrappers and
	// multi-cause errors on one path from the root) an encoding may have.
	// It must be > 0; the default is 1000. Decoding recurses once per
	// layer, so this bounds its stack.
	MaxDepth int `usage:"deepest nesting of error layers produced or accepted"`
	// MaxNodes is the most error layers in one encoding, counting every
	// wrapper, leaf and multi-cause error, plus every message nested in
	// their payloads. It must be > 0; the default is 10000.
	MaxNodes int `usage:"most error layers and payload messages produced or accepted"`
	// DropStacks removes the stack traces that cockroachdb/errors attaches
	// (errors.New, errors.Wrap, errors.WithStack) from what Encode
	// produces. Use it at a boundary where stacks are noise or must not
	// leak, such as responses to clients outside the system: it cuts the
	// size of an encoding about in half, more with deep stacks (see the
	// package documentation). Only the traces go: the layers that held
	// them stay, empty, so errors.Is, [CodeOf], [PriorityOf], hints and
	// details answer on the decoded error exactly as without DropStacks
	// (errors.Is compares the type of every layer of a chain). Stacks
	// inside payloads, such as a secondary error's, are kept. The default
	// is false: between services of one system, stacks are worth their
	// bytes.
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
