package stoppertest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/stopper/stoppertest"
)

// exampleT stands in for the *testing.T a test function receives, so the
// example can run outside a test.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Name() string                      { return "TestWorker" }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf("FAIL: "+format+"\n", args...) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// end runs the cleanups, as the testing package does when a test ends.
func (t *exampleT) end() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func ExampleNew() {
	t := &exampleT{} // in a test: func TestWorker(t *testing.T)
	defer t.end()

	stoppertest.VerifyNone(t)
	// Stopped when the test ends, with a deadline and its error reported:
	// the test's form of
	//	defer func() { ctx, cancel := context.WithTimeout(...); defer cancel(); check(s.Stop(ctx)) }()
	s := stoppertest.New(t)
	// A server-like task that runs until the stopper quiesces.
	if err := s.RunAsyncTask(context.Background(), "worker", func(ctx context.Context) { <-ctx.Done() }); err != nil {
		t.Fatalf("%v", err)
	}
	err := s.RunTask(context.Background(), "check", func(context.Context) {
		fmt.Println("tasks running in", s.Name()+":", s.NumTasks())
	})
	if err != nil {
		t.Fatalf("%v", err)
	}
	// Output:
	// tasks running in TestWorker: 2
}
