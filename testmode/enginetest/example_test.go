package enginetest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/enginetest"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

// newMemoryEngine is the engine TestMemoryEngineConforms hands Run: a
// MemoryEngine serving both of the suite's queues with the workers it is
// given, stopped when the test ends.
func newMemoryEngine(t testing.TB, workers *testmode.Workers) *testmode.MemoryEngine {
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = workers
	opts.Queues = map[string]testmode.QueueOptions{
		enginetest.DefaultQueue: {Limit: 2},
		enginetest.OtherQueue:   {Limit: 1},
	}
	return testmodetest.NewMemoryEngine(t, opts)
}

// Run needs a test's *testing.T, which an example cannot have, so this
// example does not call it. It checks what Run expects of the engines
// newEngine returns, on the engine TestMemoryEngineConforms gives Run: the
// engine serves both of the suite's queues and runs ProbeArgs jobs with the
// workers it is handed. In a test, the whole suite is one call:
//
//	func TestMemoryEngineConforms(t *testing.T) {
//		enginetest.Run(t, func(t *testing.T, workers *testmode.Workers) testmode.Engine {
//			return newMemoryEngine(t, workers)
//		})
//	}
func ExampleRun() {
	t := &exampleT{} // stands in for the test's t
	defer t.end()

	workers := testmode.NewWorkers()
	ran := make(chan string, 1)
	_ = testmode.AddWorker(workers, testmode.WorkerFunc[enginetest.ProbeArgs](func(_ context.Context, job *testmode.Job[enginetest.ProbeArgs]) error {
		ran <- fmt.Sprintf("%s ran in queue %s", job.Kind, job.Queue)
		return nil
	}))
	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = workers, newMemoryEngine(t, workers)
	client, err := testmode.NewClient(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, queue := range []string{enginetest.DefaultQueue, enginetest.OtherQueue} {
		if _, err := client.Insert(context.Background(), enginetest.ProbeArgs{Case: "example"}, &testmode.InsertOpts{Queue: queue}); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(<-ran)
	}
	// Output:
	// enginetest.probe ran in queue default
	// enginetest.probe ran in queue enginetest_other
}

// exampleT stands in for the *testing.T that an example cannot have.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (*exampleT) Helper()                             {}
func (*exampleT) Errorf(format string, args ...any)   { fmt.Printf("FAIL: "+format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { t.Errorf(format, args...) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }

// end runs the cleanups, as the end of a test does.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
