package benchmarks

import (
	"context"
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// Sinks of the errprio cases.
var (
	errprioSinkErr  error
	errprioSinkCode errprio.Code
	errprioSinkPrio errprio.Priority
	errprioSinkInt  int
)

// errprioStackless is ten layers without a stack trace: a code, a hint
// and fmt.Errorf wrappers, as a service builds them with the standard
// library.
func errprioStackless() error {
	err := errprio.WithCode(stderrors.New("write conflict"), errprio.CodeSerializationFailure)
	err = fmt.Errorf("put: %w", err)
	err = errors.WithHint(err, "retry the transaction")
	for _, layer := range []string{"batch", "txn", "store", "handler", "rpc", "api"} {
		err = fmt.Errorf("%s: %w", layer, err)
	}
	return err
}

// errprioStacks is a cockroachdb/errors chain of four layers, each with a
// stack trace, under a code.
func errprioStacks() error {
	err := errors.Newf("leaf %d", 0)
	for i := 1; i < 4; i++ {
		err = errors.Wrapf(err, "layer %d", i)
	}
	return errprio.WithCode(err, errprio.CodeSerializationFailure)
}

// errprioRoundTripRaw is what errprio.Encode and Decode build on: the
// library's EncodeError, the protobuf Marshal and Unmarshal, DecodeError.
func errprioRoundTripRaw(ctx context.Context, err error) (error, error) {
	enc := errors.EncodeError(ctx, err)
	data, mErr := enc.Marshal()
	if mErr != nil {
		return nil, mErr
	}
	var dec errors.EncodedError
	if uErr := dec.Unmarshal(data); uErr != nil {
		return nil, uErr
	}
	return errors.DecodeError(ctx, dec), nil
}

func errprioRoundTripOurs(ctx context.Context, err error) (error, error) {
	data, eErr := errprio.Encode(ctx, err)
	if eErr != nil {
		return nil, eErr
	}
	decoded := errprio.Decode(ctx, data)
	// Both benchmarked errors carry 40001; a decode failure would carry
	// XX000. CodeOf costs tens of nanoseconds, errors.As a walk with
	// reflection.
	if errprio.CodeOf(decoded) != errprio.CodeSerializationFailure {
		return nil, decoded
	}
	return decoded, nil
}

func benchErrprioRoundTrip(b *testing.B, err error) {
	ctx := context.Background()
	for _, impl := range []struct {
		name string
		f    func(context.Context, error) (error, error)
	}{
		{"ecopatterns", errprioRoundTripOurs},
		{"cockroachdb", errprioRoundTripRaw},
	} {
		b.Run(impl.name, func(b *testing.B) {
			defer reportCPU(b)()
			b.ReportAllocs()
			for b.Loop() {
				decoded, dErr := impl.f(ctx, err)
				if dErr != nil {
					b.Fatal(dErr)
				}
				errprioSinkErr = decoded
			}
		})
	}
}

// BenchmarkErrprioRoundTripStackless compares errprio's Encode+Decode with
// the raw cockroachdb/errors round trip of the same stackless error.
func BenchmarkErrprioRoundTripStackless(b *testing.B) {
	benchErrprioRoundTrip(b, errprioStackless())
}

// BenchmarkErrprioRoundTripStacks is the same with stack traces.
func BenchmarkErrprioRoundTripStacks(b *testing.B) {
	benchErrprioRoundTrip(b, errprioStacks())
}

// errprioFloorWalk visits every layer of err's tree and does nothing else:
// no ranking can be cheaper than looking at each layer once.
func errprioFloorWalk(err error) int {
	n := 0
	for err != nil {
		n++
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			for _, c := range e.Unwrap() {
				n += errprioFloorWalk(c)
			}
			return n
		default:
			return n
		}
	}
	return n
}

// BenchmarkErrprioCodeOf10Deep: CodeOf on a ten-layer chain, against a
// walk that only visits the layers.
func BenchmarkErrprioCodeOf10Deep(b *testing.B) {
	err := errprioStackless()
	b.Run("ecopatterns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errprioSinkCode = errprio.CodeOf(err)
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errprioSinkInt = errprioFloorWalk(err)
		}
	})
}

// BenchmarkErrprioPriorityOf10Deep: PriorityOf on the same chain.
func BenchmarkErrprioPriorityOf10Deep(b *testing.B) {
	err := errprioStackless()
	b.Run("ecopatterns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errprioSinkPrio = errprio.PriorityOf(err)
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errprioSinkInt = errprioFloorWalk(err)
		}
	})
}

// errprio64 is 64 failures of a parallel fan-out: chains, short coded
// errors and nils.
func errprio64() []error {
	errs := make([]error, 64)
	for i := range errs {
		switch i % 4 {
		case 0:
			errs[i] = errprioStackless()
		case 1:
			errs[i] = errprio.WithCode(fmt.Errorf("w: %w", stderrors.New("gone")), errprio.CodeNoData)
		case 2:
			errs[i] = nil
		default:
			errs[i] = fmt.Errorf("w: %w", errprio.WithCode(stderrors.New("bug"), errprio.CodeInternal))
		}
	}
	return errs
}

// BenchmarkErrprioHighest64: Highest over 64 errors, against visiting
// every layer of all of them.
func BenchmarkErrprioHighest64(b *testing.B) {
	errs := errprio64()
	b.Run("ecopatterns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errprioSinkErr = errprio.Highest(errs...)
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range errs {
				n += errprioFloorWalk(err)
			}
			errprioSinkInt = n
		}
	})
}

// TestErrprioBenchmarkSetup checks that the implementations compared do
// the same job: both round trips return the same error.
func TestErrprioBenchmarkSetup(t *testing.T) {
	ctx := context.Background()
	for _, err := range []error{errprioStackless(), errprioStacks()} {
		ours, oErr := errprioRoundTripOurs(ctx, err)
		require.NoError(t, oErr)
		raw, rErr := errprioRoundTripRaw(ctx, err)
		require.NoError(t, rErr)
		require.Equal(t, err.Error(), ours.Error())
		require.Equal(t, raw.Error(), ours.Error())
		require.Equal(t, errprio.Flatten(err), errprio.Flatten(ours))
		require.Equal(t, errprio.Flatten(raw), errprio.Flatten(ours))
	}
	require.Equal(t, 10, errprioFloorWalk(errprioStackless()))
	require.Equal(t, errprio.CodeInternal, errprio.CodeOf(errprio.Highest(errprio64()...)))
}
