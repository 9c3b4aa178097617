package errprio

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
)

// namedCodec is one cell of the Options matrix.
type namedCodec struct {
	name  string
	codec *Codec
}

// codecMatrix returns a codec for every combination of the Options that
// change what Encode produces or Decode accepts: DropStacks off and on,
// times the default limits, each limit tightened alone, and all of them
// tightened (still wide enough for the errors of the matrix).
func codecMatrix(t testing.TB) []namedCodec {
	t.Helper()
	limits := []struct {
		name string
		set  func(*Options)
	}{
		{"default", func(*Options) {}},
		{"MaxBytes=16KiB", func(o *Options) { o.MaxBytes = 16 << 10 }},
		{"MaxDepth=40", func(o *Options) { o.MaxDepth = 40 }},
		{"MaxNodes=200", func(o *Options) { o.MaxNodes = 200 }},
		{"all tight", func(o *Options) { o.MaxBytes, o.MaxDepth, o.MaxNodes = 16<<10, 40, 200 }},
	}
	var out []namedCodec
	for _, drop := range []bool{false, true} {
		for _, l := range limits {
			opts := DefaultOptions()
			l.set(&opts)
			opts.DropStacks = drop
			c, err := NewCodec(opts)
			require.NoError(t, err)
			out = append(out, namedCodec{fmt.Sprintf("%s,DropStacks=%t", l.name, drop), c})
		}
	}
	return out
}

// matrixSentinels are the references a consumer matches decoded errors
// against, of every kind cockroachdb/errors' markers tests distinguish:
// its own errors.New and Newf (which carry a stack trace), the standard
// library's, fmt.Errorf, well-known standard sentinels, a mark, an
// assertion failure, a custom type, a wrapped sentinel, and look-alikes
// with the same message but another type, which must never match.
func matrixSentinels() map[string]error {
	return map[string]error{
		"crdb New":             errCrdbSentinel,
		"crdb Newf":            errCrdbNewf,
		"std New":              errStdNew,
		"fmt Errorf":           errStdSentinel,
		"io.EOF":               io.EOF,
		"DeadlineExceeded":     context.DeadlineExceeded,
		"Canceled":             context.Canceled,
		"mark":                 errMarkRef,
		"assertion":            errAssertion,
		"custom leaf":          &testLeaf{Key: "k", N: 3},
		"crdb Wrap":            errCrdbWrapped,
		"look-alike of crdb":   stderrors.New(errCrdbSentinel.Error()),
		"look-alike of std":    errors.New(errStdNew.Error()),
		"crdb New, other text": errors.New("errprio_test: crdb sentinel, other"),
	}
}

var (
	errCrdbNewf    = errors.Newf("errprio_test: newf %d", 7)
	errStdNew      = stderrors.New("errprio_test: std New")
	errAssertion   = errors.AssertionFailedf("errprio_test: invariant %s", "broken")
	errCrdbWrapped = errors.Wrap(errCrdbSentinel, "errprio_test: lookup")
)

// matrixErrors wraps every sentinel in every way a service does: as is,
// with fmt.Errorf and errors.Wrap, with a code, hints and details, marks,
// in both kinds of Join and in Combine, as the secondary error of another
// (which errors.Is does not see) and of itself, and behind errors.Handled
// (a barrier that hides its cause from errors.Is).
func matrixErrors() map[string]error {
	other := WithCode(errors.New("errprio_test: other"), CodeCannotConnectNow)
	forms := map[string]func(error) error{
		"bare":      func(e error) error { return e },
		"fmt":       func(e error) error { return fmt.Errorf("call: %w", e) },
		"Wrap":      func(e error) error { return errors.Wrap(e, "call") },
		"WithStack": func(e error) error { return errors.WithStack(e) },
		"code": func(e error) error {
			return errors.Wrapf(WithCode(errors.WithStack(e), CodeNoData), "get %d", 3)
		},
		"hint detail": func(e error) error {
			return errors.WithHint(errors.WithDetail(WithCode(e, CodeInvalidInput), "field x"), "send y")
		},
		"marked":     func(e error) error { return errors.Mark(errors.Wrap(e, "m"), errMarkRef) },
		"std Join":   func(e error) error { return stderrors.Join(other, errors.Wrap(e, "branch")) },
		"crdb Join":  func(e error) error { return errors.Join(errors.WithStack(e), other) },
		"Combine":    func(e error) error { return Combine(other, WithCode(errors.Wrap(e, "c"), CodeInternal)) },
		"fmt two %w": func(e error) error { return fmt.Errorf("%w and %w", other, e) },
		"secondary":  func(e error) error { return errors.WithSecondaryError(other, e) },
		// A payload holding a stack layer of the tree itself: DropStacks
		// keeps the payload's trace and drops the tree's.
		"secondary is the cause": func(e error) error {
			s := errors.WithStack(e)
			return errors.WithSecondaryError(s, s)
		},
		"handled": func(e error) error { return errors.Handled(e) },
	}
	out := make(map[string]error)
	for sn, s := range matrixSentinels() {
		for fn, f := range forms {
			out[sn+"/"+fn] = f(s)
		}
	}
	return out
}

// observe checks that what a consumer can ask of decoded gets the answers
// it gets from orig, and returns how many sentinels matched.
func observe(t *testing.T, where string, orig, decoded error, sentinels map[string]error) int {
	t.Helper()
	require.Equal(t, orig.Error(), decoded.Error(), where)
	require.Equal(t, CodeOf(orig), CodeOf(decoded), where)
	require.Equal(t, PriorityOf(orig), PriorityOf(decoded), where)
	require.Equal(t, Retryable(orig), Retryable(decoded), where)
	fo, fd := Flatten(orig), Flatten(decoded)
	require.Equal(t, fo.Hint, fd.Hint, where)
	require.Equal(t, fo.Detail, fd.Detail, where)
	require.Equal(t, errors.GetAllHints(orig), errors.GetAllHints(decoded), where)
	require.Equal(t, errors.GetAllDetails(orig), errors.GetAllDetails(decoded), where)
	matched := 0
	for name, s := range sentinels {
		want := errors.Is(orig, s)
		require.Equal(t, want, errors.Is(decoded, s), "%s: errors.Is(_, %s)", where, name)
		if want {
			matched++
		}
	}
	return matched
}

// Dropping stacks, or any other setting of Options, never changes what
// errors.Is, CodeOf, PriorityOf, hints or details answer on the decoded
// error, whichever codec encoded it, whichever decoded it, and after a
// relay re-encodes it with yet another. What a decoded error answers
// depends only on its bytes, so each distinct encoding is examined once
// and every codec is checked to decode it to the same error.
func TestOptionsMatrixKeepsAnswers(t *testing.T) {
	ctx := context.Background()
	codecs := codecMatrix(t)
	sentinels := matrixSentinels()
	matched, examined := 0, 0
	for name, orig := range matrixErrors() {
		seen := map[string]bool{}
		check := func(where string, data []byte) {
			if seen[string(data)] {
				return
			}
			seen[string(data)] = true
			examined++
			var first []byte
			for _, dec := range codecs {
				decoded, err := splitDecode(dec.codec, ctx, data)
				require.NoError(t, err, "%s decoded by %s", where, dec.name)
				again, err := Encode(ctx, decoded)
				require.NoError(t, err, where)
				if first == nil {
					first = again
					matched += observe(t, where, orig, decoded, sentinels)
				}
				require.Equal(t, first, again, "%s: %s decodes to another error", where, dec.name)
			}
		}
		for _, enc := range codecs {
			data, err := enc.codec.Encode(ctx, orig)
			require.NoError(t, err, name)
			check(name+" encoded by "+enc.name, data)
			// A relay decodes and sends on with each codec.
			atRelay, err := splitDecode(defaultCodec, ctx, data)
			require.NoError(t, err)
			for _, relay := range codecs {
				relayed, err := relay.codec.Encode(ctx, atRelay)
				require.NoError(t, err, name)
				check(name+" encoded by "+enc.name+", relayed by "+relay.name, relayed)
			}
		}
	}
	// The matrix is not vacuous: stacks were dropped (a second encoding
	// of most errors), and sentinels do match through the wire.
	require.Greater(t, examined, 3*len(matrixErrors())/2)
	require.Greater(t, matched, examined/2)
}

// The case the package documentation promises: a cockroachdb/errors
// sentinel still matches after a round trip that dropped its stack.
func TestDropStacksKeepsSentinels(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions()
	opts.DropStacks = true
	c, err := NewCodec(opts)
	require.NoError(t, err)
	sentinel := errors.New("store: not found")
	data, err := c.Encode(ctx, WithCode(fmt.Errorf("get: %w", sentinel), CodeNoData))
	require.NoError(t, err)
	decoded, err := splitDecode(c, ctx, data)
	require.NoError(t, err)
	require.True(t, errors.Is(decoded, sentinel))
	require.NotContains(t, fmt.Sprintf("%+v", decoded), "matrix_test.go", "the stack trace itself is gone")
}
