package errprio

import (
	stderrors "errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
)

func TestCodeOfAndPriorityOf(t *testing.T) {
	leaf := func(s string) error { return stderrors.New(s) }
	wrap := func(err error) error { return fmt.Errorf("ctx: %w", err) }
	retry := func(s string) error { return WithCode(leaf(s), CodeSerializationFailure) }
	for _, tc := range []struct {
		name string
		err  error
		code Code
		prio Priority
	}{
		{"nil", nil, "", PriorityNone},
		{"no code", leaf("a"), CodeUncategorized, PriorityNonRetriable},
		{"plain wraps, no code", wrap(errors.Wrap(leaf("a"), "b")), CodeUncategorized, PriorityNonRetriable},
		{"one code", retry("a"), CodeSerializationFailure, PriorityRetry},
		{"code under wraps", wrap(errors.Wrap(retry("a"), "b")), CodeSerializationFailure, PriorityRetry},
		{"code above wraps", WithCode(wrap(leaf("a")), CodeNoData), CodeNoData, PriorityUnambiguous},
		// pgerror lets an outer XX code override; here XX000 wins by rank
		// wherever it is.
		{"internal inside retry", WithCode(WithCode(leaf("a"), CodeInternal), CodeSerializationFailure), CodeInternal, PriorityInternal},
		{"internal outside retry", WithCode(WithCode(leaf("a"), CodeSerializationFailure), CodeInternal), CodeInternal, PriorityInternal},
		{"abort over internal", WithCode(WithCode(leaf("a"), CodeInternal), CodeQueryCanceled), CodeQueryCanceled, PriorityAbort},
		{"tie keeps outer (first depth-first)", WithCode(WithCode(leaf("a"), CodeNoData), CodeUndefinedObject), CodeUndefinedObject, PriorityUnambiguous},
		{"tie keeps outer, other order", WithCode(WithCode(leaf("a"), CodeUndefinedObject), CodeNoData), CodeNoData, PriorityUnambiguous},
		{"user-ranked code between levels", WithCode(WithCode(leaf("a"), CodeSerializationFailure), codeTestRanked), codeTestRanked, PriorityRetry + 50},
		{"unregistered code", WithCode(leaf("a"), "ZZ999"), "ZZ999", PriorityNonRetriable},
		{"unregistered ties uncategorized, first wins", stderrors.Join(leaf("a"), WithCode(leaf("b"), "ZZ999")), CodeUncategorized, PriorityNonRetriable},

		// Join: every branch counts; CockroachDB's GetPGCode sees none.
		{"join of retries", stderrors.Join(retry("a"), retry("b")), CodeSerializationFailure, PriorityRetry},
		{"join: internal in second branch", stderrors.Join(retry("a"), WithCode(leaf("b"), CodeInternal)), CodeInternal, PriorityInternal},
		{"join: internal in first branch", stderrors.Join(WithCode(leaf("b"), CodeInternal), retry("a")), CodeInternal, PriorityInternal},
		{"join: uncoded branch is not retryable", stderrors.Join(retry("a"), leaf("b")), CodeUncategorized, PriorityNonRetriable},
		{"join: unambiguous over retry", stderrors.Join(retry("a"), WithCode(leaf("b"), CodeUniqueViolation)), CodeUniqueViolation, PriorityUnambiguous},
		{"join: tie keeps first branch", stderrors.Join(WithCode(leaf("a"), CodeNoData), WithCode(leaf("b"), CodeUndefinedObject)), CodeNoData, PriorityUnambiguous},
		{"join covered by an outer code", WithCode(stderrors.Join(leaf("a"), retry("b")), CodeSerializationFailure), CodeSerializationFailure, PriorityRetry},
		{"join wrapped, code deep", wrap(stderrors.Join(leaf("x"), wrap(WithCode(wrap(leaf("y")), CodeQueryCanceled)))), CodeQueryCanceled, PriorityAbort},
		{"crdb join", errors.Join(retry("a"), WithCode(leaf("b"), CodePermissionDenied)), CodePermissionDenied, PriorityNonRetriable},
		{"nested joins", stderrors.Join(stderrors.Join(retry("a"), stderrors.Join(retry("b"), WithCode(leaf("c"), CodeInternal))), retry("d")), CodeInternal, PriorityInternal},
		{"combine", Combine(retry("a"), WithCode(leaf("b"), CodeNoData)), CodeNoData, PriorityUnambiguous},
		{"join with only nil causes", emptyMulti{}, CodeUncategorized, PriorityNonRetriable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.code, CodeOf(tc.err))
			require.Equal(t, tc.prio, PriorityOf(tc.err))
			if tc.err != nil {
				s, ok := Lookup(tc.code)
				require.Equal(t, ok && s.Retryable, Retryable(tc.err))
			}
		})
	}
}

// emptyMulti is a multi-cause error whose causes are all nil.
type emptyMulti struct{}

func (emptyMulti) Error() string   { return "empty" }
func (emptyMulti) Unwrap() []error { return []error{nil} }

// A decoded code this process never registered ranks with the priority
// its sender gave it; a registered one ranks by the local registry.
func TestWirePriorityOfUnknownCode(t *testing.T) {
	base := stderrors.New("x")
	require.Equal(t, Priority(150), PriorityOf(&withCode{cause: base, code: "QQ001", sent: 150}))
	require.Equal(t, PriorityRetry, PriorityOf(&withCode{cause: base, code: CodeSerializationFailure, sent: PriorityAbort}))
}

func TestHighest(t *testing.T) {
	retry := WithCode(stderrors.New("retry"), CodeSerializationFailure)
	retry2 := WithCode(stderrors.New("retry 2"), CodeCannotConnectNow)
	notFound := WithCode(stderrors.New("not found"), CodeNoData)
	plain := stderrors.New("plain")
	internal := WithCode(stderrors.New("bug"), CodeInternal)
	canceled := WithCode(stderrors.New("canceled"), CodeQueryCanceled)

	require.Nil(t, Highest())
	require.Nil(t, Highest(nil, nil))
	require.Same(t, retry, Highest(nil, retry))
	require.Same(t, retry, Highest(retry, retry2), "ties keep the first")
	require.Same(t, retry2, Highest(retry2, retry), "ties keep the first")
	require.Same(t, notFound, Highest(retry, notFound))
	require.Same(t, plain, Highest(retry, notFound, plain))
	require.Same(t, internal, Highest(retry, plain, internal, notFound))
	require.Same(t, canceled, Highest(internal, canceled, plain))
}

func TestCombine(t *testing.T) {
	retry := WithCode(stderrors.New("retry"), CodeSerializationFailure)
	internal := WithCode(errors.WithHint(stderrors.New("bug"), "file an issue"), CodeInternal)
	other := stderrors.New("other")

	require.Nil(t, Combine())
	require.Nil(t, Combine(nil, nil))
	require.Same(t, retry, Combine(nil, retry, nil))
	require.Nil(t, Suppressed(retry))
	require.Nil(t, Suppressed(nil))

	err := Combine(retry, nil, internal, other)
	require.Equal(t, "bug", err.Error())
	require.Equal(t, CodeInternal, CodeOf(err))
	require.Equal(t, CodeOf(Highest(retry, internal, other)), CodeOf(err))
	require.Equal(t, []error{retry, other}, Suppressed(err))
	require.Equal(t, []error{retry, other}, Suppressed(fmt.Errorf("wrapped: %w", err)))
	for _, e := range []error{retry, internal, other} {
		require.ErrorIs(t, err, e)
		require.True(t, errors.Is(err, e))
	}
	require.Equal(t, "file an issue", Flatten(err).Hint)
	verbose := fmt.Sprintf("%+v", err)
	for _, s := range []string{"retry", "bug", "other", "surfaced error 2 of 3"} {
		require.Contains(t, verbose, s)
	}
}

func TestFlatten(t *testing.T) {
	require.Equal(t, Flat{}, Flatten(nil))

	a := errors.WithDetail(errors.WithHint(stderrors.New("a"), "hint a"), "detail a")
	b := errors.WithHint(errors.WithHint(WithCode(stderrors.New("b"), CodeSerializationFailure), "hint b1"), "hint b2")
	c := errors.WithHint(errors.WithDetail(stderrors.New("c"), "detail c"), "hint a") // duplicate hint
	err := WithCode(errors.Wrap(stderrors.Join(a, b, c), "batch"), CodeSerializationFailure)
	f := Flatten(err)
	require.Equal(t, Flat{
		Code:       CodeSerializationFailure,
		Priority:   PriorityRetry,
		Message:    "batch: a\nb\nc",
		Hint:       "hint a\n--\nhint b1\n--\nhint b2",
		Detail:     "detail a\n--\ndetail c",
		Retryable:  true,
		HTTPStatus: 409,
		GRPCCode:   10,
	}, f)
	// cockroachdb/errors does not see hints under a Join.
	require.Empty(t, errors.FlattenHints(err))
}
