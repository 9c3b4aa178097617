package otelbridge_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/telemetry/otelbridge"
)

// CodedError is an exported error type of this test package.
type CodedError struct{ Code string }

func (e *CodedError) Error() string { return "coded " + e.Code }

// loop is an error whose Unwrap returns itself.
type loop struct{}

func (l loop) Error() string { return "loop" }
func (l loop) Unwrap() error { return l }

func TestInnermostType(t *testing.T) {
	pathErr := &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrNotExist}
	const coded = "*github.com/ecopatterns/ecopatterns/telemetry/otelbridge_test.CodedError"
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"leaf of errors.New", errors.New("boom"), "*errors.errorString"},
		{"wrapped leaf of errors.New", fmt.Errorf("b: %w", fmt.Errorf("a: %w", errors.New("boom"))), "*errors.errorString"},
		{"wrapped exported type", fmt.Errorf("read config: %w", pathErr), "*io/fs.PathError"},
		{"innermost exported wins", &CodedError{Code: "X"}, coded},
		{"exported type under an unexported leaf", fmt.Errorf("a: %w", pathErr), "*io/fs.PathError"},
		{"value type", fmt.Errorf("a: %w", loopless("v")), "github.com/ecopatterns/ecopatterns/telemetry/otelbridge_test.Plain"},
		{"join follows its first error", errors.Join(nil, fmt.Errorf("x: %w", &CodedError{}), pathErr), coded},
		{"multi-%w follows its first error", fmt.Errorf("%w and %w", pathErr, &CodedError{}), "*io/fs.PathError"},
		{"panic", &telemetry.PanicError{Value: "kaboom"}, "*github.com/ecopatterns/ecopatterns/telemetry.PanicError"},
		{"self-unwrapping error ends", loop{}, "github.com/ecopatterns/ecopatterns/telemetry/otelbridge_test.loop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, otelbridge.InnermostType(tc.err))
		})
	}
}

// Plain is an exported error type used by value.
type Plain string

func (p Plain) Error() string { return string(p) }

func loopless(s string) error { return Plain(s) }

// TestExceptionType checks the exception.type of recorded exceptions: the
// innermost exported type by default, not the *fmt.wrapError of the
// outermost wrapper, and what Options.ExceptionType says when set.
func TestExceptionType(t *testing.T) {
	pathErr := &fs.PathError{Op: "open", Path: "/etc/app.json", Err: fs.ErrNotExist}
	t.Run("default", func(t *testing.T) {
		f := newFixture(t)
		err := f.reg.Span(context.Background(), jobSpan, nil, func(context.Context, *telemetry.Scope) error {
			return fmt.Errorf("load config: %w", pathErr)
		})
		require.Error(t, err)
		ev := f.span(t, "ecopatterns.test.job").Events[0]
		require.Equal(t, "*io/fs.PathError", attrMap(ev.Attributes)["exception.type"])
		require.Equal(t, "load config: open /etc/app.json: file does not exist", attrMap(ev.Attributes)["exception.message"])
	})
	t.Run("Options.ExceptionType", func(t *testing.T) {
		f := newFixtureWith(t, func(o *otelbridge.Options) {
			o.ExceptionType = func(err error) string {
				var ce *CodedError
				if errors.As(err, &ce) {
					return "code " + ce.Code
				}
				return otelbridge.InnermostType(err)
			}
		})
		err := f.reg.Span(context.Background(), jobSpan, nil, func(context.Context, *telemetry.Scope) error {
			return fmt.Errorf("charge: %w", &CodedError{Code: "22023"})
		})
		require.Error(t, err)
		ev := f.span(t, "ecopatterns.test.job").Events[0]
		require.Equal(t, "code 22023", attrMap(ev.Attributes)["exception.type"])
	})
}
