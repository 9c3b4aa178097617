package errprio

import (
	"context"
	stderrors "errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/gogo/protobuf/proto"
)

// Sentinels of the kinds a service declares: a standard library one and
// a cockroachdb/errors one.
var (
	errStdSentinel  = fmt.Errorf("errprio_test: std sentinel")
	errCrdbSentinel = errors.New("errprio_test: crdb sentinel")
	errMarkRef      = errors.New("errprio_test: mark reference")
)

// testLeaf is a custom leaf type with its own encoding, like a storage
// error a service defines.
type testLeaf struct {
	Key string
	N   int
}

func (e *testLeaf) Error() string { return fmt.Sprintf("test leaf %s/%d", e.Key, e.N) }

// testWrapper is a custom wrapper type with its own encoding.
type testWrapper struct {
	cause error
	Tag   string
}

func (w *testWrapper) Error() string { return w.Tag + ": " + w.cause.Error() }
func (w *testWrapper) Unwrap() error { return w.cause }

// knowsTestTypes simulates a process that has (true) or has not (false)
// linked the package defining testLeaf and testWrapper: their decoders
// decline when it is false, so the library keeps the nodes opaque, as a
// process without the types would.
var knowsTestTypes atomic.Bool

func init() {
	knowsTestTypes.Store(true)
	leafKey := errors.GetTypeKey(&testLeaf{})
	errors.RegisterLeafEncoder(leafKey, func(_ context.Context, err error) (string, []string, proto.Message) {
		e := err.(*testLeaf)
		return e.Error(), []string{"n=" + strconv.Itoa(e.N)}, &errorspb.StringsPayload{Details: []string{e.Key, strconv.Itoa(e.N)}}
	})
	errors.RegisterLeafDecoder(leafKey, func(_ context.Context, _ string, _ []string, payload proto.Message) error {
		p, ok := payload.(*errorspb.StringsPayload)
		if !knowsTestTypes.Load() || !ok || len(p.Details) != 2 {
			return nil
		}
		n, _ := strconv.Atoi(p.Details[1])
		return &testLeaf{Key: p.Details[0], N: n}
	})
	wrapKey := errors.GetTypeKey(&testWrapper{})
	errors.RegisterWrapperEncoder(wrapKey, func(_ context.Context, err error) (string, []string, proto.Message) {
		w := err.(*testWrapper)
		return w.Tag, nil, &errorspb.StringPayload{Msg: w.Tag}
	})
	errors.RegisterWrapperDecoder(wrapKey, func(_ context.Context, cause error, _ string, _ []string, payload proto.Message) error {
		p, ok := payload.(*errorspb.StringPayload)
		if !knowsTestTypes.Load() || !ok {
			return nil
		}
		return &testWrapper{cause: cause, Tag: p.Msg}
	})
}

// splitDecode separates what c.Decode returns into the decoded error and
// the error reporting bad input (a *WireError wrapped with a code), for
// tests that check either.
func splitDecode(c *Codec, ctx context.Context, data []byte) (decoded, bad error) {
	err := c.Decode(ctx, data)
	var we *WireError
	if stderrors.As(err, &we) {
		return nil, err
	}
	return err, nil
}
