package stoppertest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/stopper/stoppertest"
)

func ExampleNew() {
	// In a real test, t comes from the test function; it is run by hand here
	// so the example can print.
	testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: "TestWorker",
		F: func(t *testing.T) {
			stoppertest.VerifyNone(t)
			s := stoppertest.New(t) // stopped when the test ends
			// A server-like task that runs until the stopper quiesces.
			if err := s.RunAsyncTask(context.Background(), "worker", func(ctx context.Context) { <-ctx.Done() }); err != nil {
				t.Fatal(err)
			}
			err := s.RunTask(context.Background(), "check", func(context.Context) {
				fmt.Println("tasks running in", s.Name()+":", s.NumTasks())
			})
			if err != nil {
				t.Fatal(err)
			}
		},
	}})
	// Output:
	// tasks running in TestWorker: 2
}
