package errprio

import (
	stderrors "errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/options"
)

// codeTestRanked is registered by this file to rank between the named
// levels, as a program ranks its own codes.
const codeTestRanked Code = "EP901"

func init() {
	RegisterCode(CodeSpec{Code: codeTestRanked, Name: "test_ranked", Priority: PriorityRetry + 50, Retryable: true, HTTPStatus: 409, GRPCCode: 10})
}

func TestBuiltinCodes(t *testing.T) {
	want := map[Code]struct {
		prio      Priority
		retryable bool
		http      int
		grpc      uint32
	}{
		CodeSerializationFailure:  {PriorityRetry, true, 409, 10},
		CodeAmbiguousResult:       {PriorityNonRetriable, false, 500, 2},
		CodeQueryCanceled:         {PriorityAbort, false, 499, 1},
		CodeCannotConnectNow:      {PriorityRetry, true, 503, 14},
		CodeTooManyRequests:       {PriorityRetry, true, 429, 8},
		CodeInsufficientResources: {PriorityRetry, true, 503, 8},
		CodeInvalidInput:          {PriorityNonRetriable, false, 400, 3},
		CodeNoData:                {PriorityUnambiguous, false, 404, 5},
		CodeUndefinedObject:       {PriorityUnambiguous, false, 404, 5},
		CodeUniqueViolation:       {PriorityUnambiguous, false, 409, 6},
		CodePermissionDenied:      {PriorityNonRetriable, false, 403, 7},
		CodeInternal:              {PriorityInternal, false, 500, 13},
		CodeUncategorized:         {PriorityNonRetriable, false, 500, 2},
	}
	for code, w := range want {
		s, ok := Lookup(code)
		require.True(t, ok, code)
		require.Equal(t, code, s.Code)
		require.NotEmpty(t, s.Name)
		require.Equal(t, w.prio, s.Priority, code)
		require.Equal(t, w.retryable, s.Retryable, code)
		require.Equal(t, w.http, s.HTTPStatus, code)
		require.Equal(t, w.grpc, s.GRPCCode, code)
	}
	all := Codes()
	seen := 0
	for _, s := range all {
		if _, ok := want[s.Code]; ok {
			seen++
		}
	}
	require.Equal(t, len(want), seen)
	for i := 1; i < len(all); i++ {
		require.Less(t, all[i-1].Code, all[i].Code)
	}
	_, ok := Lookup("ZZ999")
	require.False(t, ok)
}

func TestRegisterCodeRefusesBadSpecs(t *testing.T) {
	valid := CodeSpec{Code: "EP999", Name: "x", Priority: PriorityRetry, HTTPStatus: 400, GRPCCode: 3}
	for _, tc := range []struct {
		name  string
		edit  func(*CodeSpec)
		field string
		msg   string
	}{
		{"short", func(s *CodeSpec) { s.Code = "4000" }, "Code", `Code = "4000": must be exactly 5 characters`},
		{"long", func(s *CodeSpec) { s.Code = "400011" }, "Code", "must be exactly 5 characters"},
		{"lowercase", func(s *CodeSpec) { s.Code = "4000a" }, "Code", "from 0-9 and A-Z"},
		{"empty name", func(s *CodeSpec) { s.Name = "" }, "Name", "must not be empty"},
		{"zero priority", func(s *CodeSpec) { s.Priority = 0 }, "Priority", "must be > 0"},
		{"success status", func(s *CodeSpec) { s.HTTPStatus = 200 }, "HTTPStatus", "between 400 and 599"},
		{"grpc OK", func(s *CodeSpec) { s.GRPCCode = 0 }, "GRPCCode", "between 1 and 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := valid
			tc.edit(&s)
			var fe *options.FieldError
			require.True(t, stderrors.As(s.Validate(), &fe))
			require.Equal(t, tc.field, fe.Path)
			msg := panicMessage(t, func() { RegisterCode(s) })
			require.Contains(t, msg, "errprio: RegisterCode(")
			require.Contains(t, msg, tc.msg)
		})
	}
	t.Run("every field at once", func(t *testing.T) {
		err := CodeSpec{}.Validate()
		require.Error(t, err)
		for _, f := range []string{"Code", "Name", "Priority", "HTTPStatus", "GRPCCode"} {
			require.Contains(t, err.Error(), "options: "+f+" = ")
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		s := valid
		s.Code = CodeSerializationFailure
		msg := panicMessage(t, func() { RegisterCode(s) })
		require.Equal(t, `errprio: RegisterCode("40001"): code already registered as "serialization_failure"`, msg)
	})
	_, ok := Lookup("EP999")
	require.False(t, ok, "a refused spec must not be registered")
}

func panicMessage(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		require.NotNil(t, r, "expected a panic")
		err, ok := r.(error)
		require.True(t, ok, "panic value %T is not an error", r)
		msg = err.Error()
	}()
	f()
	return ""
}

// registered counts the codes TestRegisterCodeConcurrently registers, so
// that repeated runs (-count) register new ones.
var registered atomic.Int64

func TestRegisterCodeConcurrently(t *testing.T) {
	err := fmt.Errorf("w: %w", WithCode(stderrors.New("x"), CodeSerializationFailure))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				n := registered.Add(1)
				RegisterCode(CodeSpec{Code: Code(fmt.Sprintf("EQ%03d", n%1000)), Name: "concurrent", Priority: 1, HTTPStatus: 500, GRPCCode: 2})
			}
		})
		wg.Go(func() {
			for range 200 {
				if CodeOf(err) != CodeSerializationFailure || !Retryable(err) {
					t.Error("ranking changed during registration")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWithCode(t *testing.T) {
	require.Nil(t, WithCode(nil, CodeInternal))
	base := stderrors.New("boom")
	require.Same(t, base, WithCode(base, ""))

	err := WithCode(base, CodeSerializationFailure)
	require.Equal(t, "boom", err.Error())
	require.ErrorIs(t, err, base)
	require.True(t, errors.Is(err, base))
	require.Equal(t, CodeSerializationFailure, CodeOf(err))
	require.Contains(t, fmt.Sprintf("%+v", err), "code: 40001")

	// An unregistered code is reported as given and ranks as an unknown
	// failure.
	un := WithCode(base, "ZZ999")
	require.Equal(t, Code("ZZ999"), CodeOf(un))
	require.Equal(t, PriorityNonRetriable, PriorityOf(un))
	require.False(t, Retryable(un))
	f := Flatten(un)
	require.Equal(t, Flat{Code: "ZZ999", Priority: PriorityNonRetriable, Message: "boom", HTTPStatus: 500, GRPCCode: 2}, f)
}

func TestPriorityString(t *testing.T) {
	for p, s := range map[Priority]string{
		PriorityNone: "none", PriorityRetry: "retry", PriorityUnambiguous: "unambiguous",
		PriorityNonRetriable: "non-retriable", PriorityInternal: "internal", PriorityAbort: "abort",
		150: "priority(150)",
	} {
		require.Equal(t, s, p.String())
	}
	require.True(t, PriorityAbort > PriorityInternal && PriorityInternal > PriorityNonRetriable &&
		PriorityNonRetriable > PriorityUnambiguous && PriorityUnambiguous > PriorityRetry && PriorityRetry > PriorityNone)
}
