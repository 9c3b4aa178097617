package errprio

import (
	"context"
	stderrors "errors"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/cockroachdb/errors/errbase"
	"github.com/cockroachdb/errors/errorspb"
	"github.com/stretchr/testify/require"
)

// Decode returns one error: the decoded one, or a coded *WireError for
// bad input, which no decoded error can be mistaken for.
func TestDecodeReturnsOneError(t *testing.T) {
	ctx := context.Background()
	bad := Decode(ctx, []byte{0x0a, 0x05, 0x01})
	var we *WireError
	require.True(t, stderrors.As(bad, &we))
	require.ErrorIs(t, bad, ErrMalformed)
	require.Equal(t, CodeInternal, CodeOf(bad))
	require.False(t, Retryable(bad))
	require.Equal(t, "errprio: decode: malformed encoding at byte 1: length runs past the end of the enclosing message", bad.Error())

	over := Decode(ctx, make([]byte, DefaultOptions().MaxBytes+1))
	require.ErrorIs(t, over, ErrLimit)
	require.Equal(t, CodeInternal, CodeOf(over))

	// A remote error that was itself a decode failure stays the remote's:
	// it is not a *WireError of this process.
	data, err := Encode(ctx, errors.Wrap(bad, "upstream"))
	require.NoError(t, err)
	relayed := Decode(ctx, data)
	require.False(t, stderrors.As(relayed, &we))
	require.Equal(t, "upstream: "+bad.Error(), relayed.Error())
	require.Equal(t, CodeInternal, CodeOf(relayed))

	require.NoError(t, Decode(ctx, nil))
	require.NoError(t, Decode(ctx, []byte{}))
}

// encodedWithSentCode is the encoding of a leaf under a code wrapper whose
// reportable payload is code and priority, as another process writes it.
func encodedWithSentCode(t *testing.T, code, prio string) []byte {
	t.Helper()
	family := string(errbase.GetTypeKey((*withCode)(nil)))
	enc := errorspb.EncodedError{Error: &errorspb.EncodedError_Wrapper{Wrapper: &errorspb.EncodedWrapper{
		Cause: errbase.EncodeError(context.Background(), stderrors.New("from afar")),
		Details: errorspb.EncodedErrorDetails{
			OriginalTypeName:  family,
			ErrorTypeMark:     errorspb.ErrorTypeMark{FamilyName: family},
			ReportablePayload: []string{code, prio},
		},
	}}}
	data, err := enc.Marshal()
	require.NoError(t, err)
	return data
}

func TestWireCode(t *testing.T) {
	ctx := context.Background()

	// A code this process never registered ranks as its sender said.
	decoded := mustDecode(t, encodedWithSentCode(t, "ZZ777", "250"))
	code, sent, ok := WireCode(decoded)
	require.True(t, ok)
	require.Equal(t, Code("ZZ777"), code)
	require.Equal(t, Priority(250), sent)
	require.Equal(t, Priority(250), PriorityOf(decoded))

	// A registered code ranks by the local registry; WireCode still shows
	// what the sender said.
	decoded = mustDecode(t, encodedWithSentCode(t, string(CodeNoData), "390"))
	code, sent, ok = WireCode(decoded)
	require.True(t, ok)
	require.Equal(t, CodeNoData, code)
	require.Equal(t, Priority(390), sent)
	require.Equal(t, PriorityUnambiguous, PriorityOf(decoded))

	// A relay sends the unknown code on with the sender's priority.
	again, err := Encode(ctx, errors.Wrap(mustDecode(t, encodedWithSentCode(t, "ZZ777", "250")), "relay"))
	require.NoError(t, err)
	code, sent, ok = WireCode(mustDecode(t, again))
	require.True(t, ok)
	require.Equal(t, Code("ZZ777"), code)
	require.Equal(t, Priority(250), sent)

	// The code that decides CodeOf is the one reported, among several.
	joined := stderrors.Join(WithCode(stderrors.New("local"), CodeSerializationFailure), mustDecode(t, encodedWithSentCode(t, "ZZ777", "250")))
	code, sent, ok = WireCode(joined)
	require.True(t, ok)
	require.Equal(t, Code("ZZ777"), code)
	require.Equal(t, Priority(250), sent)
	code, _, ok = WireCode(stderrors.Join(WithCode(stderrors.New("local"), CodeInternal), mustDecode(t, encodedWithSentCode(t, "ZZ777", "250"))))
	require.False(t, ok, "the deciding code was made here")
	require.Equal(t, CodeInternal, code)

	// Made here, no code, nil.
	code, sent, ok = WireCode(WithCode(stderrors.New("x"), CodeNoData))
	require.Equal(t, CodeNoData, code)
	require.Equal(t, PriorityNone, sent)
	require.False(t, ok)
	code, _, ok = WireCode(stderrors.New("x"))
	require.Equal(t, CodeUncategorized, code)
	require.False(t, ok)
	code, _, ok = WireCode(nil)
	require.Equal(t, Code(""), code)
	require.False(t, ok)

	// A malformed priority is not a priority.
	_, _, ok = WireCode(mustDecode(t, encodedWithSentCode(t, "ZZ777", "high")))
	require.False(t, ok)
}
