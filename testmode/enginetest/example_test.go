package enginetest_test

import (
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/enginetest"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

// The suite runs inside a test function; an example can only show the
// engine a test hands it: one that serves both of the suite's queues.
func ExampleRun() {
	newEngine := func(t *testing.T, workers *testmode.Workers) testmode.Engine {
		opts := testmode.DefaultMemoryOptions()
		opts.Workers = workers
		opts.Queues = map[string]testmode.QueueOptions{
			enginetest.DefaultQueue: {Limit: 2},
			enginetest.OtherQueue:   {Limit: 1},
		}
		return testmodetest.NewMemoryEngine(t, opts)
	}
	_ = newEngine // in a test: enginetest.Run(t, newEngine)
	fmt.Println(enginetest.DefaultQueue, enginetest.OtherQueue, enginetest.ProbeArgs{}.Kind())
	// Output: default enginetest_other enginetest.probe
}
