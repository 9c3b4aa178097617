package testmodetest

import (
	"context"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// NewMemoryEngine returns a MemoryEngine built from opts that is stopped
// when the test ends, within StopTimeout. The test fails at once if opts do
// not validate, and at the end if the stop returns an error (jobs still
// running, named with their stacks).
func NewMemoryEngine(t testing.TB, opts testmode.MemoryOptions) *testmode.MemoryEngine {
	t.Helper()
	e, err := testmode.NewMemoryEngine(opts)
	if err != nil {
		t.Fatalf("testmodetest: NewMemoryEngine: %v", err)
		return nil
	}
	t.Cleanup(func() {
		t.Helper()
		// The cleanup needs a context of its own: the test's has ended.
		ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
		defer cancel()
		if err := e.Stop(ctx); err != nil {
			t.Errorf("testmodetest: %v", err)
		}
	})
	return e
}

// StopTimeout bounds the Stop that NewMemoryEngine's cleanup runs.
const StopTimeout = 10 * time.Second
