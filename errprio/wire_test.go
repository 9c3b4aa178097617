package errprio

import (
	"bytes"
	"context"
	stderrors "errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/gogo/protobuf/types"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden encodings and the fuzz seed corpus in testdata/")

// roundTrip encodes and decodes err with the default codec.
func roundTrip(t testing.TB, err error) (data []byte, decoded error) {
	t.Helper()
	data, encErr := Encode(context.Background(), err)
	require.NoError(t, encErr)
	decoded, decErr := splitDecode(defaultCodec, context.Background(), data)
	require.NoError(t, decErr)
	return data, decoded
}

// treeGen builds random error trees from every kind of layer the package
// must carry across the wire.
type treeGen struct {
	r *rand.Rand
	n int
}

var genCodes = []Code{CodeSerializationFailure, CodeInternal, CodeNoData, CodeQueryCanceled, CodeInvalidInput, codeTestRanked, "ZZ999"}

func (g *treeGen) tree(depth int) error {
	g.n++
	if depth == 0 || g.r.IntN(5) == 0 {
		switch g.r.IntN(6) {
		case 0:
			return fmt.Errorf("std leaf %d", g.n)
		case 1:
			return errors.Newf("crdb leaf %d", g.n)
		case 2:
			return errStdSentinel
		case 3:
			return errCrdbSentinel
		case 4:
			return &testLeaf{Key: fmt.Sprintf("k%d", g.n), N: g.n}
		default:
			return context.DeadlineExceeded
		}
	}
	switch g.r.IntN(10) {
	case 0:
		return fmt.Errorf("fmt %d: %w", g.n, g.tree(depth-1))
	case 1:
		return errors.Wrapf(g.tree(depth-1), "wrap %d", g.n)
	case 2, 3:
		return WithCode(g.tree(depth-1), genCodes[g.r.IntN(len(genCodes))])
	case 4:
		return errors.WithHint(g.tree(depth-1), fmt.Sprintf("hint %d", g.n))
	case 5:
		return errors.WithDetail(g.tree(depth-1), fmt.Sprintf("detail %d", g.n))
	case 6:
		return errors.Mark(g.tree(depth-1), errMarkRef)
	case 7:
		return &testWrapper{cause: g.tree(depth - 1), Tag: fmt.Sprintf("tag%d", g.n)}
	default:
		kids := make([]error, 1+g.r.IntN(3))
		for i := range kids {
			kids[i] = g.tree(depth - 1)
		}
		switch g.r.IntN(3) {
		case 0:
			return stderrors.Join(kids...)
		case 1:
			return errors.Join(kids...)
		default:
			return Combine(kids...)
		}
	}
}

// Property: whatever the tree, what a consumer can observe survives the
// wire, and re-encoding the decoded error gives the same bytes.
func TestRoundTripProperties(t *testing.T) {
	g := &treeGen{r: rand.New(rand.NewPCG(1, 2))}
	sentinels := []error{errStdSentinel, errCrdbSentinel, errMarkRef, context.DeadlineExceeded}
	for i := range 400 {
		orig := g.tree(1 + i%6)
		data, decoded := roundTrip(t, orig)
		msg := fmt.Sprintf("tree %d: %+v", i, orig)
		require.Equal(t, orig.Error(), decoded.Error(), msg)
		require.Equal(t, CodeOf(orig), CodeOf(decoded), msg)
		require.Equal(t, PriorityOf(orig), PriorityOf(decoded), msg)
		require.Equal(t, Retryable(orig), Retryable(decoded), msg)
		require.Equal(t, Flatten(orig), Flatten(decoded), msg)
		require.Equal(t, len(Suppressed(orig)), len(Suppressed(decoded)), msg)
		for _, s := range sentinels {
			require.Equal(t, errors.Is(orig, s), errors.Is(decoded, s), "%s: errors.Is %v", msg, s)
		}
		var lo, ld *testLeaf
		require.Equal(t, errors.As(orig, &lo), errors.As(decoded, &ld), msg)
		if lo != nil {
			require.Equal(t, *lo, *ld, msg)
		}
		again, err := Encode(context.Background(), decoded)
		require.NoError(t, err)
		require.Equal(t, data, again, "%s: re-encoding changed the bytes", msg)
	}
}

func TestSentinelsAcrossTheWire(t *testing.T) {
	err := WithCode(errors.Wrap(fmt.Errorf("lookup: %w", errStdSentinel), "handler"), CodeNoData)
	_, decoded := roundTrip(t, err)
	require.True(t, errors.Is(decoded, errStdSentinel))
	require.False(t, errors.Is(decoded, errCrdbSentinel))
	// The standard library compares identity, which no wire can keep.
	require.False(t, stderrors.Is(decoded, errStdSentinel))

	joined := stderrors.Join(stderrors.New("other"), errors.Mark(stderrors.New("x"), errCrdbSentinel))
	_, decoded = roundTrip(t, joined)
	require.True(t, errors.Is(decoded, errCrdbSentinel), "a mark under a Join branch")
	require.True(t, errors.Is(decoded, context.DeadlineExceeded) == errors.Is(joined, context.DeadlineExceeded))
}

// A -> B -> C: B does not know the leaf and wrapper types; it can still
// rank and code the error, relays it byte for byte, and C gets the
// original types back.
func TestRelayThroughUnknowingProcess(t *testing.T) {
	ctx := context.Background()
	leaf := &testLeaf{Key: "orders/42", N: 7}
	fromA := &testWrapper{cause: WithCode(errors.Wrap(leaf, "storage"), CodeSerializationFailure), Tag: "kv"}
	bytesA, err := Encode(ctx, fromA)
	require.NoError(t, err)

	knowsTestTypes.Store(false)
	t.Cleanup(func() { knowsTestTypes.Store(true) })
	atB, err := splitDecode(defaultCodec, ctx, bytesA)
	require.NoError(t, err)
	var l *testLeaf
	var w *testWrapper
	require.False(t, errors.As(atB, &l), "B must not know the leaf type")
	require.False(t, errors.As(atB, &w), "B must not know the wrapper type")
	require.Equal(t, fromA.Error(), atB.Error())
	require.Equal(t, CodeSerializationFailure, CodeOf(atB))
	require.Equal(t, PriorityRetry, PriorityOf(atB))
	require.True(t, Retryable(atB))
	relayed, err := Encode(ctx, atB)
	require.NoError(t, err)
	require.Equal(t, bytesA, relayed, "B must relay unknown types byte for byte")

	// B adds its own context and a sibling failure.
	bytesB, err := Encode(ctx, errors.Wrap(stderrors.Join(atB, WithCode(stderrors.New("replica down"), CodeCannotConnectNow)), "txn"))
	require.NoError(t, err)

	knowsTestTypes.Store(true)
	atC, err := splitDecode(defaultCodec, ctx, bytesB)
	require.NoError(t, err)
	require.True(t, errors.As(atC, &l))
	require.Equal(t, *leaf, *l)
	require.True(t, errors.As(atC, &w))
	require.Equal(t, "kv", w.Tag)
	require.Equal(t, "txn: kv: storage: test leaf orders/42/7\nreplica down", atC.Error())
	require.Equal(t, CodeSerializationFailure, CodeOf(atC))
}

// goldenCases are deterministic errors (no stack traces, whose text
// depends on the build) whose encodings are pinned in testdata/golden.
func goldenCases() map[string]error {
	return map[string]error{
		"leaf":              stderrors.New("errprio: golden leaf"),
		"code":              WithCode(stderrors.New("write conflict"), CodeSerializationFailure),
		"code_unregistered": WithCode(stderrors.New("custom"), "ZZ999"),
		"wrapped":           fmt.Errorf("outer: %w", WithCode(fmt.Errorf("mid: %w", errStdSentinel), CodeNoData)),
		"join":              stderrors.Join(WithCode(stderrors.New("a"), CodeSerializationFailure), WithCode(stderrors.New("b"), CodeInternal)),
		"hint_detail":       errors.WithHint(errors.WithDetail(WithCode(stderrors.New("bad"), CodeInvalidInput), "field x"), "use y"),
		"mark":              errors.Mark(stderrors.New("marked"), errMarkRef),
		"custom":            WithCode(&testWrapper{cause: &testLeaf{Key: "k", N: 1}, Tag: "tag"}, CodeUniqueViolation),
		"combine":           Combine(WithCode(stderrors.New("retry"), CodeSerializationFailure), WithCode(stderrors.New("gone"), CodeNoData), stderrors.New("plain")),
		"deadline":          fmt.Errorf("call: %w", context.DeadlineExceeded),
		"secondary":         errors.WithSecondaryError(stderrors.New("primary"), stderrors.New("secondary")),
	}
}

// goldenStackless are golden cases encoded with DropStacks: errors made by
// cockroachdb/errors (errors.Join too attaches a stack), whose stacks the
// codec removes.
func goldenStackless() map[string]error {
	return map[string]error{
		"crdb_dropstacks": WithCode(errors.Wrapf(errors.Newf("n=%d", 1), "layer %s", "one"), CodeInternal),
		"crdb_join":       errors.Join(stderrors.New("a"), WithCode(stderrors.New("b"), CodeQueryCanceled)),
	}
}

func TestGoldenEncodings(t *testing.T) {
	ctx := context.Background()
	noStacks, err := NewCodec(Options{MaxBytes: 1 << 20, MaxDepth: 1000, MaxNodes: 10_000, DropStacks: true})
	require.NoError(t, err)
	check := func(t *testing.T, codec *Codec, name string, want error) {
		data, err := codec.Encode(ctx, want)
		require.NoError(t, err)
		path := filepath.Join("testdata", "golden", name+".bin")
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, data, 0o644))
			writeFuzzSeed(t, "golden_"+name, data)
		}
		golden, err := os.ReadFile(path)
		require.NoError(t, err, "run go test -run TestGoldenEncodings -update to create it")
		require.Equal(t, golden, data, "the wire format of %q changed; if on purpose, run with -update", name)
		decoded, err := splitDecode(codec, ctx, golden)
		require.NoError(t, err)
		require.Equal(t, want.Error(), decoded.Error())
		require.Equal(t, Flatten(want), Flatten(decoded))
	}
	for name, e := range goldenCases() {
		t.Run(name, func(t *testing.T) { check(t, defaultCodec, name, e) })
	}
	for name, e := range goldenStackless() {
		t.Run(name, func(t *testing.T) { check(t, noStacks, name, e) })
	}
}

// writeFuzzSeed stores data in the seed corpus of FuzzDecode, in the
// format go test reads.
func writeFuzzSeed(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
}

// prependHeader puts a length-delimited field header (tag for field num,
// then the length of buf[pos:]) in front of buf[pos:], building an
// encoding from the inside out in linear time.
func prependHeader(buf []byte, pos int, num uint64) int {
	n := uint64(len(buf) - pos)
	var tmp [20]byte
	k := 0
	for v := num<<3 | wireBytes; ; v >>= 7 {
		if v < 0x80 {
			tmp[k] = byte(v)
			k++
			break
		}
		tmp[k] = byte(v) | 0x80
		k++
	}
	for v := n; ; v >>= 7 {
		if v < 0x80 {
			tmp[k] = byte(v)
			k++
			break
		}
		tmp[k] = byte(v) | 0x80
		k++
	}
	pos -= k
	copy(buf[pos:], tmp[:k])
	return pos
}

// deepEncoding is an encoded error nesting n wrappers around a leaf.
func deepEncoding(n int) []byte {
	buf := make([]byte, 16+n*12)
	pos := len(buf)
	pos = prependHeader(buf, pos, 1) // EncodedErrorLeaf{} as EncodedError.leaf
	for range n {
		pos = prependHeader(buf, pos, 1) // EncodedWrapper.cause
		pos = prependHeader(buf, pos, 2) // EncodedError.wrapper
	}
	return buf[pos:]
}

// deepPayload is an encoded leaf whose Any payload nests n messages.
func deepPayload(n int) []byte {
	buf := make([]byte, 64+n*6)
	pos := len(buf)
	for range n {
		pos = prependHeader(buf, pos, 1)
	}
	pos = prependHeader(buf, pos, 2) // Any.value
	pos = prependHeader(buf, pos, 4) // details.full_details
	pos = prependHeader(buf, pos, 2) // leaf.details
	pos = prependHeader(buf, pos, 1) // EncodedError.leaf
	return buf[pos:]
}

func TestDecodeBadInput(t *testing.T) {
	ctx := context.Background()
	wide := make([]byte, 0, 3*20_001)
	for range 20_001 {
		wide = append(wide, 0x1a, 0x02, 0x0a, 0x00) // multierror_causes: {leaf: {}}
	}
	wideLeaf := append([]byte{0x0a}, appendVarint(nil, uint64(len(wide)))...)
	wideLeaf = append(wideLeaf, wide...)

	for _, tc := range []struct {
		name   string
		data   []byte
		kind   error
		reason string
	}{
		{"zero tag", []byte{0x00}, ErrMalformed, "invalid field number"},
		{"truncated tag", []byte{0x80}, ErrMalformed, "truncated or overlong field tag"},
		{"overlong varint", append([]byte{0x0a}, bytes.Repeat([]byte{0xff}, 11)...), ErrMalformed, "truncated or overlong length"},
		{"length past end", []byte{0x0a, 0x05, 0x01}, ErrMalformed, "length runs past the end"},
		{"group", []byte{0x0b}, ErrMalformed, "unsupported wire type"},
		{"wrong wire type", []byte{0x08, 0x01}, ErrMalformed, "EncodedError field 1 has wire type 0"},
		{"neither leaf nor wrapper", []byte{0x18, 0x01}, ErrMalformed, "error node has neither leaf nor wrapper"},
		{"wrapper without cause", []byte{0x12, 0x00}, ErrMalformed, "wrapper has no cause"},
		{"wrapper with empty cause", []byte{0x12, 0x02, 0x0a, 0x00}, ErrMalformed, "error node has neither leaf nor wrapper"},
		{"10,000 layers deep", deepEncoding(10_000), ErrLimit, "more than Options.MaxDepth = 1000 nested error layers"},
		{"20,001 causes wide", wideLeaf, ErrLimit, "more than Options.MaxNodes = 10000"},
		{"payload 10,000 deep", deepPayload(10_000), ErrLimit, "payload nests more than 2016 messages"},
		{"over MaxBytes", make([]byte, 1<<20+1), ErrLimit, "input is 1048577 bytes, more than Options.MaxBytes = 1048576"},
		{"decoder panics", secondaryWithEmptyPayload(t), ErrMalformed, "a registered error decoder panicked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			decoded, err := splitDecode(defaultCodec, ctx, tc.data)
			require.Nil(t, decoded)
			require.ErrorIs(t, err, tc.kind)
			var we *WireError
			require.ErrorAs(t, err, &we)
			require.Equal(t, "decode", we.Op)
			require.Contains(t, err.Error(), tc.reason)
			require.True(t, strings.HasPrefix(err.Error(), "errprio: decode: "), err.Error())
		})
	}

	t.Run("a wider limit admits what the default refuses", func(t *testing.T) {
		c, err := NewCodec(Options{MaxBytes: 1 << 20, MaxDepth: 20_000, MaxNodes: 30_000})
		require.NoError(t, err)
		decoded, err := splitDecode(c, ctx, deepEncoding(10_000))
		require.NoError(t, err)
		require.Equal(t, CodeUncategorized, CodeOf(decoded))
	})

	t.Run("empty is nil", func(t *testing.T) {
		decoded, err := splitDecode(defaultCodec, ctx, nil)
		require.NoError(t, err)
		require.Nil(t, decoded)
	})

	t.Run("every prefix of a real encoding", func(t *testing.T) {
		g := &treeGen{r: rand.New(rand.NewPCG(3, 4))}
		data, err := Encode(ctx, stderrors.Join(g.tree(4), g.tree(4), WithCode(errors.New("x"), CodeInternal)))
		require.NoError(t, err)
		for i := 1; i < len(data); i++ {
			decoded, err := splitDecode(defaultCodec, ctx, data[:i])
			if err != nil {
				require.Nil(t, decoded)
				var we *WireError
				require.ErrorAs(t, err, &we, "prefix %d", i)
			} else {
				require.NotNil(t, decoded)
			}
		}
	})

	t.Run("random bytes", func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for range 5000 {
			data := make([]byte, r.IntN(64))
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			decoded, err := splitDecode(defaultCodec, ctx, data)
			require.True(t, (decoded == nil) != (err == nil) || len(data) == 0, "data %x", data)
		}
	})

	t.Run("unknown payload type stays opaque and relays", func(t *testing.T) {
		enc := errbase.EncodedError{Error: &errorspb.EncodedError_Leaf{Leaf: &errorspb.EncodedErrorLeaf{
			Message: "from a newer service",
			Details: errorspb.EncodedErrorDetails{
				OriginalTypeName:  "example.com/newer/store/*store.ConflictError",
				ErrorTypeMark:     errorspb.ErrorTypeMark{FamilyName: "example.com/newer/store/*store.ConflictError"},
				ReportablePayload: []string{"range 7"},
				FullDetails:       &types.Any{TypeUrl: "type.googleapis.com/newer.store.Conflict", Value: []byte{0x0a, 0x01, 'x'}},
			},
		}}}
		inner, err := enc.Marshal()
		require.NoError(t, err)
		coded, err := Encode(ctx, WithCode(mustDecode(t, inner), CodeSerializationFailure))
		require.NoError(t, err)
		decoded := mustDecode(t, coded)
		require.Equal(t, "from a newer service", decoded.Error())
		require.Equal(t, CodeSerializationFailure, CodeOf(decoded))
		again, err := Encode(ctx, decoded)
		require.NoError(t, err)
		require.Equal(t, coded, again)
		require.True(t, bytes.Contains(again, inner), "the unknown leaf's bytes are relayed as they came")
	})
}

func mustDecode(t *testing.T, data []byte) error {
	t.Helper()
	decoded, err := splitDecode(defaultCodec, context.Background(), data)
	require.NoError(t, err)
	require.NotNil(t, decoded)
	return decoded
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// secondaryWithEmptyPayload is a secondary-error wrapper whose payload is
// an EncodedError with nothing in it: the library's decoder for it
// dereferences the missing leaf and panics.
func secondaryWithEmptyPayload(t *testing.T) []byte {
	t.Helper()
	enc := errbase.EncodeError(context.Background(), errors.WithSecondaryError(stderrors.New("a"), stderrors.New("b")))
	w := enc.GetWrapper()
	require.NotNil(t, w)
	empty, err := types.MarshalAny(&errorspb.EncodedError{})
	require.NoError(t, err)
	w.Details.FullDetails = empty
	data, err := enc.Marshal()
	require.NoError(t, err)
	return data
}

func TestEncodeLimits(t *testing.T) {
	ctx := context.Background()
	_, err := NewCodec(Options{})
	require.Error(t, err)
	for _, f := range []string{"MaxBytes", "MaxDepth", "MaxNodes"} {
		require.Contains(t, err.Error(), "options: "+f+" = 0: must be > 0")
	}
	require.Equal(t, DefaultOptions(), defaultCodec.Options())

	// Code wrappers have their own encoder, so the chain encodes in
	// linear time (a fmt.Errorf chain makes the library compare messages
	// at every layer).
	deep := error(stderrors.New("bottom"))
	for range 10_000 {
		deep = WithCode(deep, CodeInternal)
	}
	for _, tc := range []struct {
		name   string
		err    error
		reason string
	}{
		{"deep", deep, "error has more than Options.MaxDepth = 1000 nested layers"},
		{"wide", stderrors.Join(make20k()...), "error has more than Options.MaxNodes = 10000 layers"},
		{"big", stderrors.New(strings.Repeat("x", 1<<20)), "bytes, more than Options.MaxBytes = 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Encode(ctx, tc.err)
			require.Nil(t, data)
			require.ErrorIs(t, err, ErrLimit)
			require.True(t, strings.HasPrefix(err.Error(), "errprio: encode: limit exceeded: "), err.Error())
			require.Contains(t, err.Error(), tc.reason)
		})
	}
	data, err := Encode(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, data)
}

func make20k() []error {
	errs := make([]error, 20_000)
	for i := range errs {
		errs[i] = stderrors.New("e")
	}
	return errs
}

// stackChain is depth layers made by cockroachdb/errors, each with a
// stack trace, under a code.
func stackChain(depth int) error {
	err := errors.Newf("leaf %d", 0)
	for i := 1; i < depth; i++ {
		err = errors.Wrapf(err, "layer %d", i)
	}
	return WithCode(err, CodeSerializationFailure)
}

func TestDropStacks(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions()
	opts.DropStacks = true
	c, err := NewCodec(opts)
	require.NoError(t, err)
	orig := stderrors.Join(stackChain(4), stackChain(2))
	full, err := Encode(ctx, orig)
	require.NoError(t, err)
	slim, err := c.Encode(ctx, orig)
	require.NoError(t, err)
	require.Less(t, len(slim), len(full))
	require.Contains(t, string(full), "wire_test.go", "the full encoding holds the stack traces")
	require.NotContains(t, string(slim), "wire_test.go", "DropStacks removes every stack trace")
	decoded, err := splitDecode(defaultCodec, ctx, slim)
	require.NoError(t, err)
	require.Equal(t, orig.Error(), decoded.Error())
	require.Equal(t, Flatten(orig), Flatten(decoded))
	require.Contains(t, fmt.Sprintf("%+v", mustDecode(t, full)), "wire_test.go")
	require.NotContains(t, fmt.Sprintf("%+v", decoded), "wire_test.go")
	// Dropping again is a no-op, so relaying a slim error keeps it slim.
	again, err := c.Encode(ctx, decoded)
	require.NoError(t, err)
	require.Equal(t, slim, again)
}

// TestWireSizes logs the encoded size of chains of cockroachdb/errors
// layers with and without their stacks; the package documentation quotes
// them. Stack sizes depend on file paths, so only the bounds are checked.
func TestWireSizes(t *testing.T) {
	ctx := context.Background()
	opts := DefaultOptions()
	opts.DropStacks = true
	slim, err := NewCodec(opts)
	require.NoError(t, err)
	for _, depth := range []int{1, 4, 16} {
		e := stackChain(depth)
		full, err := Encode(ctx, e)
		require.NoError(t, err)
		noStacks, err := slim.Encode(ctx, e)
		require.NoError(t, err)
		std := error(stderrors.New("leaf 0"))
		for i := 1; i < depth; i++ {
			std = fmt.Errorf("layer %d: %w", i, std)
		}
		stdData, err := Encode(ctx, WithCode(std, CodeSerializationFailure))
		require.NoError(t, err)
		t.Logf("depth %2d: with stacks %6d B, DropStacks %5d B, fmt.Errorf chain %5d B", depth, len(full), len(noStacks), len(stdData))
		require.Less(t, len(noStacks), len(full))
	}
}

// Only safe details reach the reportable payload: the code and priority,
// type names, and what the error's own encoder marks safe; the message's
// user data does not.
func TestRedaction(t *testing.T) {
	const pii = "alice@example.com"
	err := WithCode(errors.Wrapf(errors.Newf("no account for %s", pii), "login %d", errors.Safe(3)), CodeNoData)
	data, decoded := roundTrip(t, err)
	var enc errbase.EncodedError
	require.NoError(t, enc.Unmarshal(data))
	var reportable []string
	for e := &enc; e != nil; {
		if w := e.GetWrapper(); w != nil {
			reportable = append(reportable, w.Details.ReportablePayload...)
			e = &w.Cause
			continue
		}
		reportable = append(reportable, e.GetLeaf().Details.ReportablePayload...)
		break
	}
	require.Contains(t, reportable, "02000")
	for _, r := range reportable {
		require.NotContains(t, r, pii)
	}
	redacted := errors.Redact(decoded)
	require.NotContains(t, redacted, pii)
	require.Contains(t, redacted, "login 3")
	require.Contains(t, fmt.Sprintf("%+v", decoded), "code: 02000")
	require.Contains(t, decoded.Error(), pii, "the message itself crosses the wire whole")
}
