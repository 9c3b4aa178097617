package errprio

import (
	"context"
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/errors"
)

// Sinks keep the compiler from dropping the benchmarked work.
var (
	sinkCode Code
	sinkPrio Priority
	sinkErr  error
	sinkFlat Flat
)

// chain10 is ten layers: a leaf, a code, and eight wrappers of the kinds
// services add (fmt.Errorf, errors.Wrap's two layers, hints).
func chain10() error {
	err := WithCode(stderrors.New("write conflict"), CodeSerializationFailure)
	err = fmt.Errorf("put: %w", err)
	err = errors.WithHint(err, "retry the transaction")
	err = fmt.Errorf("batch: %w", err)
	err = errors.Wrap(err, "txn") // two layers
	err = fmt.Errorf("handler: %w", err)
	err = fmt.Errorf("rpc: %w", err)
	err = fmt.Errorf("api: %w", err)
	return err
}

func depth(err error) int {
	n := 0
	for ; err != nil; err = errors.UnwrapOnce(err) {
		n++
	}
	return n
}

func BenchmarkCodeOf10Deep(b *testing.B) {
	err := chain10()
	if d := depth(err); d != 10 {
		b.Fatalf("chain is %d deep", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		sinkCode = CodeOf(err)
	}
}

func BenchmarkPriorityOf10Deep(b *testing.B) {
	err := chain10()
	b.ReportAllocs()
	for b.Loop() {
		sinkPrio = PriorityOf(err)
	}
}

func BenchmarkPriorityOfJoin(b *testing.B) {
	err := stderrors.Join(chain10(), WithCode(stderrors.New("x"), CodeNoData), chain10())
	b.ReportAllocs()
	for b.Loop() {
		sinkPrio = PriorityOf(err)
	}
}

func highest64() []error {
	errs := make([]error, 64)
	for i := range errs {
		switch i % 4 {
		case 0:
			errs[i] = chain10()
		case 1:
			errs[i] = WithCode(fmt.Errorf("w: %w", stderrors.New("gone")), CodeNoData)
		case 2:
			errs[i] = nil
		default:
			errs[i] = fmt.Errorf("w: %w", WithCode(stderrors.New("bug"), CodeInternal))
		}
	}
	return errs
}

func BenchmarkHighest64(b *testing.B) {
	errs := highest64()
	b.ReportAllocs()
	for b.Loop() {
		sinkErr = Highest(errs...)
	}
}

func BenchmarkFlatten(b *testing.B) {
	err := chain10()
	b.ReportAllocs()
	for b.Loop() {
		sinkFlat = Flatten(err)
	}
}

func benchRoundTrip(b *testing.B, c *Codec, err error) {
	ctx := context.Background()
	data, encErr := c.Encode(ctx, err)
	if encErr != nil {
		b.Fatal(encErr)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		data, encErr := c.Encode(ctx, err)
		if encErr != nil {
			b.Fatal(encErr)
		}
		decoded, decErr := splitDecode(c, ctx, data)
		if decErr != nil {
			b.Fatal(decErr)
		}
		sinkErr = decoded
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	b.Run("stackless", func(b *testing.B) { benchRoundTrip(b, defaultCodec, chain10()) })
	b.Run("stacks", func(b *testing.B) { benchRoundTrip(b, defaultCodec, stackChain(4)) })
	opts := DefaultOptions()
	opts.DropStacks = true
	slim, err := NewCodec(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stacks-dropped", func(b *testing.B) { benchRoundTrip(b, slim, stackChain(4)) })
}

func BenchmarkDecodeScan(b *testing.B) {
	data, err := Encode(context.Background(), stackChain(4))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := scanner{maxDepth: 1000, maxNodes: 10_000}
		if err := s.errorNode(data, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}
