package grpcerr

import (
	"context"
	"testing"

	"github.com/cockroachdb/errors"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// cockroachdb/errors logs through the log package when a payload's
	// type is unknown, which the malformed-detail tests do on purpose.
	errors.SetWarningFn(func(context.Context, string, ...any) {})
	goleak.VerifyTestMain(m)
}
