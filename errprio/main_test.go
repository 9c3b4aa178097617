package errprio

import (
	"context"
	"testing"

	"github.com/cockroachdb/errors"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// cockroachdb/errors logs through the log package when a payload's
	// type is unknown, which the bad-input tests and the fuzzer do on
	// purpose. The hook is process-wide, so only the test binary sets it.
	errors.SetWarningFn(func(context.Context, string, ...any) {})
	goleak.VerifyTestMain(m)
}
