package errprio

import (
	"context"
	stderrors "errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/gogo/protobuf/proto"
	"github.com/gogo/protobuf/types"
	"github.com/stretchr/testify/require"
)

// unknownFamily is a type no process registered: its nodes decode as
// opaque errors that keep every detail, the most a decode can keep.
const unknownFamily = "example.com/attacker/*attacker.Err"

func unknownDetails(reportable []string, payload proto.Message) errorspb.EncodedErrorDetails {
	d := errorspb.EncodedErrorDetails{
		OriginalTypeName:  unknownFamily,
		ErrorTypeMark:     errorspb.ErrorTypeMark{FamilyName: unknownFamily},
		ReportablePayload: reportable,
	}
	if payload != nil {
		any, err := types.MarshalAny(payload)
		if err != nil {
			panic(err)
		}
		d.FullDetails = any
	}
	return d
}

func leafNode(msg string, d errorspb.EncodedErrorDetails, causes ...*errorspb.EncodedError) *errorspb.EncodedError {
	return &errorspb.EncodedError{Error: &errorspb.EncodedError_Leaf{Leaf: &errorspb.EncodedErrorLeaf{
		Message: msg, Details: d, MultierrorCauses: causes,
	}}}
}

func wrapperNode(cause *errorspb.EncodedError, prefix string, d errorspb.EncodedErrorDetails) *errorspb.EncodedError {
	return &errorspb.EncodedError{Error: &errorspb.EncodedError_Wrapper{Wrapper: &errorspb.EncodedWrapper{
		Cause: *cause, Message: prefix, Details: d,
	}}}
}

func marshalNode(t testing.TB, e *errorspb.EncodedError) []byte {
	t.Helper()
	data, err := e.Marshal()
	require.NoError(t, err)
	return data
}

// worstShapes are encodings of about budget bytes built to make a decode
// allocate, keep and print as much as possible per input byte: the
// densest repeated fields (empty and one-byte strings), many details,
// payload messages of registered types with many entries, multi-error
// fan-out, chains as deep as allowed, and repeated singular fields.
func worstShapes(t testing.TB, budget, maxDepth, maxNodes int) map[string][]byte {
	fill := func(per int) int { return (budget - 256) / per }
	strs := func(n int, s string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	shapes := map[string][]byte{}
	entries := maxNodes - 8 // what MaxNodes admits besides a few layers
	shapes["empty reportable strings filling MaxBytes"] = marshalNode(t, leafNode("", unknownDetails(strs(fill(2), ""), nil)))
	shapes["empty reportable strings"] = marshalNode(t, leafNode("", unknownDetails(strs(entries, ""), nil)))
	shapes["long reportable strings"] = marshalNode(t, leafNode("", unknownDetails(strs(entries, strings.Repeat("r", max(fill(entries)-4, 1))), nil)))
	shapes["one-byte strings payload"] = marshalNode(t, leafNode("m", unknownDetails(nil, &errorspb.StringsPayload{Details: strs(entries, "x")})))
	shapes["empty strings payload"] = marshalNode(t, leafNode("m", unknownDetails(nil, &errorspb.StringsPayload{Details: strs(entries, "")})))
	shapes["mark payload types"] = marshalNode(t, wrapperNode(leafNode("m", unknownDetails(nil, nil)), "", errorspb.EncodedErrorDetails{
		OriginalTypeName: markFamily, ErrorTypeMark: errorspb.ErrorTypeMark{FamilyName: markFamily},
		FullDetails: mustAny(&errorspb.MarkPayload{Msg: "m", Types: make([]errorspb.ErrorTypeMark, entries/2-2)}),
	}))
	var secondary []*errorspb.EncodedError
	for range entries/4 - 2 {
		secondary = append(secondary, leafNode("", errorspb.EncodedErrorDetails{}))
	}
	shapes["secondary error fan-out"] = marshalNode(t, wrapperNode(leafNode("m", unknownDetails(nil, nil)), "", errorspb.EncodedErrorDetails{
		OriginalTypeName: secondaryFamily, ErrorTypeMark: errorspb.ErrorTypeMark{FamilyName: secondaryFamily},
		FullDetails: mustAny(leafNode("", errorspb.EncodedErrorDetails{}, secondary...)),
	}))
	longType := strings.Repeat("t", max((budget/(maxNodes/4))/2-24, 1))
	var typed []*errorspb.EncodedError
	for range maxNodes/4 - 2 {
		typed = append(typed, leafNode("", errorspb.EncodedErrorDetails{OriginalTypeName: longType, ErrorTypeMark: errorspb.ErrorTypeMark{FamilyName: longType}}))
	}
	shapes["long type names"] = marshalNode(t, leafNode("", unknownDetails(nil, nil), typed...))

	var causes []*errorspb.EncodedError
	for range maxNodes - 1 {
		causes = append(causes, leafNode("", errorspb.EncodedErrorDetails{}))
	}
	shapes["fan-out of empty leaves"] = marshalNode(t, leafNode("", errorspb.EncodedErrorDetails{}, causes...))
	causes = causes[:0]
	per := budget / (maxNodes / 2)
	for range maxNodes/2 - 1 {
		causes = append(causes, leafNode(strings.Repeat("m", max(per-len(unknownFamily)*2-24, 1)), unknownDetails([]string{"d"}, nil)))
	}
	shapes["fan-out of opaque leaves"] = marshalNode(t, leafNode("", unknownDetails(nil, nil), causes...))

	details := make([]string, max(maxNodes/maxDepth-2, 1))
	for i := range details {
		details[i] = "d"
	}
	chain := leafNode("leaf", unknownDetails(details, nil))
	prefix := strings.Repeat("p", max(budget/maxDepth-len(unknownFamily)*2-3*len(details)-40, 1))
	for range maxDepth - 1 {
		chain = wrapperNode(chain, prefix, unknownDetails(details, nil))
	}
	shapes["deep chain with prefixes and details"] = marshalNode(t, chain)
	chain = leafNode("", errorspb.EncodedErrorDetails{})
	for range maxDepth - 1 {
		chain = wrapperNode(chain, "", errorspb.EncodedErrorDetails{})
	}
	shapes["deep chain of empty wrappers"] = marshalNode(t, chain)

	// Singular fields sent again and again: protobuf keeps the last, but
	// may allocate for each.
	var inner []byte
	for len(inner) < budget-64 {
		inner = append(inner, 0x0a, 0x08, 'm', 'e', 's', 's', 'a', 'g', 'e', 's') // leaf.message
	}
	shapes["repeated message field"] = append(appendVarint([]byte{0x0a}, uint64(len(inner))), inner...)
	var leaves []byte
	for len(leaves) < budget-8 {
		leaves = append(leaves, 0x0a, 0x00) // EncodedError.leaf, again
	}
	shapes["repeated leaf field"] = leaves
	return shapes
}

var (
	markFamily      = string(errbase.GetTypeKey(errors.Mark(stderrors.New("a"), stderrors.New("b"))))
	secondaryFamily = string(errbase.GetTypeKey(errors.WithSecondaryError(stderrors.New("a"), stderrors.New("b"))))
)

func mustAny(m proto.Message) *types.Any {
	any, err := types.MarshalAny(m)
	if err != nil {
		panic(err)
	}
	return any
}

type decodeCost struct {
	alloc, kept uint64
	printed     int
}

func measureDecode(t *testing.T, c *Codec, data []byte) (decodeCost, error) {
	t.Helper()
	ctx := context.Background()
	var before, after, held runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	decoded, err := splitDecode(c, ctx, data)
	runtime.ReadMemStats(&after)
	runtime.GC()
	runtime.ReadMemStats(&held)
	cost := decodeCost{alloc: after.TotalAlloc - before.TotalAlloc}
	if held.HeapAlloc > before.HeapAlloc {
		cost.kept = held.HeapAlloc - before.HeapAlloc
	}
	runtime.KeepAlive(decoded)
	if decoded != nil {
		cost.printed = len(fmt.Sprintf("%+v", decoded))
	}
	return cost, err
}

// The bound Options.MaxBytes documents, for an input of n bytes in which
// Decode's scan counts m entries against MaxNodes.
func allocBound(n, m int) uint64   { return uint64(4*n + 512*m) }
func keptBound(n, m int) uint64    { return uint64(2*n + 256*m) }
func printedBound(n, m int) uint64 { return uint64(3*n + 128*m) }

// Decode holds the memory bound Options.MaxBytes states on the worst
// shapes of input, with the default limits and with others: what it
// allocates, what the decoded error keeps, and what %+v prints of it.
func TestDecodeMemoryBound(t *testing.T) {
	for _, opts := range []Options{
		DefaultOptions(),
		{MaxBytes: 64 << 10, MaxDepth: 100, MaxNodes: 1000},
		{MaxBytes: 256 << 10, MaxDepth: 2000, MaxNodes: 20_000},
	} {
		c, err := NewCodec(opts)
		require.NoError(t, err)
		accepted := 0
		for name, data := range worstShapes(t, opts.MaxBytes, opts.MaxDepth, opts.MaxNodes) {
			where := fmt.Sprintf("%s with %+v", name, opts)
			cost, err := measureDecode(t, c, data)
			if err != nil {
				require.ErrorIs(t, err, ErrLimit, where)
				continue
			}
			accepted++
			n, m := len(data), countNodes(opts, data)
			t.Logf("%-38s n=%7d m=%5d: alloc %8d (bound %8d) kept %8d (%8d) printed %8d (%8d)", name, n, m,
				cost.alloc, allocBound(n, m), cost.kept, keptBound(n, m), cost.printed, printedBound(n, m))
			require.LessOrEqual(t, cost.alloc, allocBound(n, m), "%s: allocated", where)
			require.LessOrEqual(t, cost.kept, keptBound(n, m), "%s: kept", where)
			require.LessOrEqual(t, uint64(cost.printed), printedBound(n, m), "%s: printed with %%+v", where)
		}
		require.Greater(t, accepted, 8, "the shapes are built to fit the limits")
	}
}

// The input of the report that led to the bound: 1 MiB of empty
// reportable strings decoded into 42.6 MiB allocated and printed as
// 14 MB. Each string now counts against MaxNodes.
func TestDecodeRefusesMegabyteOfEmptyStrings(t *testing.T) {
	strs := make([]string, (1<<20-256)/2)
	data := marshalNode(t, leafNode("", unknownDetails(strs, nil)))
	require.Less(t, len(data), 1<<20)
	decoded, err := splitDecode(defaultCodec, context.Background(), data)
	require.Nil(t, decoded)
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "more than Options.MaxNodes = 10000 error layers, reportable strings and payload fields")
	// Encode refuses to send what Decode would refuse: two errors that
	// each fit are too many strings together.
	half := mustDecode(t, marshalNode(t, leafNode("", unknownDetails(make([]string, 6000), nil))))
	_, err = Encode(context.Background(), stderrors.Join(half, half))
	require.ErrorIs(t, err, ErrLimit)
	require.Contains(t, err.Error(), "error has more than Options.MaxNodes = 10000 layers, reportable strings and payload fields")
}

// countNodes is what Decode's scan counts against MaxNodes in data.
func countNodes(opts Options, data []byte) int {
	s := scanner{maxDepth: opts.MaxDepth, maxNodes: 1 << 30}
	if err := s.errorNode(data, 0, 1); err != nil {
		return -1
	}
	return s.nodes
}
