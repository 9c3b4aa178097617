package options_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/options"
	"github.com/ecopatterns/ecopatterns/stopper"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

// TestEveryPackageDefaultsValidate checks the DefaultOptions of every
// package of the module: each validates, two calls return equal but
// independent values, and each binds to flags and environment without error
// (every field has a text form or is tagged out).
func TestEveryPackageDefaultsValidate(t *testing.T) {
	type validator interface{ Validate() error }
	cases := map[string]func() any{
		"discovery": func() any { o := discovery.DefaultManagerOptions(); return &o },
		"errprio":   func() any { o := errprio.DefaultOptions(); return &o },
		"fileops":   func() any { o := fileops.DefaultOptions(); return &o },
		"stopper":   func() any { o := stopper.DefaultOptions(); return &o },
		"telemetry": func() any { o := telemetry.DefaultOptions(); return &o },
		// A Client's Config needs an Engine in Disabled mode, which no default
		// can provide; the engine's options are the defaults to check.
		"testmode": func() any { o := testmode.DefaultMemoryOptions(); return &o },
	}
	for name, defaults := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := defaults(), defaults()
			require.Empty(t, options.Diff(a, b), "two DefaultOptions values differ")
			require.NotSame(t, a, b)
			if o, ok := a.(*testmode.MemoryOptions); ok {
				// The engine's defaults validate once they hold the one
				// worker any engine needs.
				require.NoError(t, testmode.AddWorker(o.Workers, testmode.WorkerFunc[noopArgs](
					func(context.Context, *testmode.Job[noopArgs]) error { return nil })))
			}
			require.NoError(t, a.(validator).Validate())
			require.NoError(t, options.BindFlags(newFlagSet(), name, a))
			require.NoError(t, options.LoadEnv("ECOPATTERNS_TEST_"+name, a))
		})
	}
}
