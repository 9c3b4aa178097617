package testmodetest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/testmode"
	"github.com/ecopatterns/ecopatterns/testmode/testmodetest"
)

type PingArgs struct{}

func (PingArgs) Kind() string { return "ping" }

func ExampleNewMemoryEngine() {
	t := &exampleT{} // in a real test: t *testing.T

	done := make(chan struct{})
	workers := testmode.NewWorkers()
	_ = testmode.AddWorker(workers, testmode.WorkerFunc[PingArgs](func(context.Context, *testmode.Job[PingArgs]) error {
		close(done)
		return nil
	}))
	opts := testmode.DefaultMemoryOptions()
	opts.Workers = workers
	engine := testmodetest.NewMemoryEngine(t, opts) // stopped when the test ends

	cfg := testmode.DefaultConfig()
	cfg.Workers, cfg.Engine = workers, engine
	client, _ := testmode.NewClient(cfg)
	_, _ = client.Insert(context.Background(), PingArgs{}, nil)
	<-done
	fmt.Println("ping ran")

	t.end() // the test ends: its cleanups run
	_, err := client.Insert(context.Background(), PingArgs{}, nil)
	fmt.Println(errors.Is(err, testmode.ErrEngineStopped))
	// Output:
	// ping ran
	// true
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

func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
