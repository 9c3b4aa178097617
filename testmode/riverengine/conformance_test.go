package riverengine

import (
	"testing"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/enginetest"
)

// TestConforms runs testmode's engine conformance suite, each subtest on a
// schema of its own.
func TestConforms(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
		return newEngine(t, newPool(t, false), testOptions(workers, enginetest.DefaultQueue, enginetest.OtherQueue))
	})
}
