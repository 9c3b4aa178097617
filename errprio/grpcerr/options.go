package grpcerr

import (
	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/options"
)

// Options configures a [Converter]. Start from [DefaultOptions].
type Options struct {
	// Codec encodes the cause chain a server sends in the status detail
	// and decodes the one a client receives. Its MaxBytes bounds the
	// chain: over it, the chain is dropped and the code, priority and
	// message still go. Set DropStacks for servers that answer clients
	// outside the system. The default is [errprio.DefaultOptions].
	Codec errprio.Options
	// MaxMessageBytes bounds the status message, which gRPC sends in a
	// trailer whose size peers limit (often to 8 or 16 KiB in all): a
	// longer message is cut, on a character boundary, and the full one
	// still travels in the chain. It must be > 0; the default is 4096.
	MaxMessageBytes int
}

// DefaultOptions returns the options of the package-level functions and
// interceptors.
func DefaultOptions() Options {
	return Options{Codec: errprio.DefaultOptions(), MaxMessageBytes: 4096}
}

// Validate reports every bad field at once, as an errors.Join of
// [*options.FieldError] (Codec's fields named Codec.MaxBytes and so on).
func (o Options) Validate() error {
	var c options.Collector
	c.Nested("Codec", o.Codec.Validate())
	options.Positive(&c, "MaxMessageBytes", o.MaxMessageBytes)
	return c.Err()
}
