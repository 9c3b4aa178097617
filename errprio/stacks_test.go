package errprio

import (
	"context"
	stderrors "errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errbase"
	"github.com/stretchr/testify/require"
)

// stackCases are the matrix's errors, random trees, and the shapes in
// which a payload holds a stack layer of the tree itself.
func stackCases() map[string]error {
	cases := matrixErrors()
	g := &treeGen{r: rand.New(rand.NewPCG(3, 4))}
	for i := range 200 {
		cases[fmt.Sprintf("tree %d", i)] = g.tree(1 + i%6)
	}
	s := errors.WithStack(errCrdbSentinel)
	cases["secondary is the cause"] = errors.WithSecondaryError(s, s)
	cases["secondary is a deeper stack of the tree"] = errors.Wrap(errors.WithSecondaryError(errors.Wrap(s, "w"), s), "top")
	cases["secondary is an earlier branch"] = stderrors.Join(s, errors.WithSecondaryError(stderrors.New("x"), s))
	n := errors.New("errprio_test: twice")
	cases["CombineErrors with itself"] = errors.CombineErrors(n, n)
	cases["stack only in a payload"] = errors.WithSecondaryError(stderrors.New("plain"), n)
	return cases
}

// The encoder this package registers for the library's stack wrapper
// produces what the library produces without it.
func TestStackEncoder(t *testing.T) {
	ctx := context.Background()
	cases := stackCases()
	ours := map[string][]byte{}
	for name, err := range cases {
		enc := errbase.EncodeError(ctx, err)
		data, merr := enc.Marshal()
		require.NoError(t, merr)
		ours[name] = data
	}
	errbase.RegisterWrapperEncoderWithMessageType(errbase.TypeKey(stackFamily), nil) // back to the default
	defer errbase.RegisterWrapperEncoder(errbase.TypeKey(stackFamily), encodeStack)
	for name, err := range cases {
		enc := errbase.EncodeError(ctx, err)
		data, merr := enc.Marshal()
		require.NoError(t, merr)
		require.Equal(t, data, ours[name], name)
	}
}

// DropStacks gives what encoding with the stacks and emptying the stack
// layers gives, and formats no trace of the tree unless a payload holds
// the next stack layer of the tree or one already met (then it encodes
// again, the slow way). Traces inside payloads are formatted: they stay.
func TestDropStacksFormatsNoTrace(t *testing.T) {
	ctx := context.Background()
	formattedCases := 0
	for name, err := range stackCases() {
		want := errbase.EncodeError(ctx, err)
		dropStacks(&want)
		got, formatted := encodeWithoutStacks(ctx, err)
		require.Equal(t, want, got, name)
		wantFormatted := strings.HasSuffix(name, "secondary is the cause") ||
			name == "secondary is an earlier branch" || name == "CombineErrors with itself"
		require.Equal(t, wantFormatted, formatted, name)
		if formatted {
			formattedCases++
		}
	}
	require.Equal(t, 3+len(matrixSentinels()), formattedCases)
}
