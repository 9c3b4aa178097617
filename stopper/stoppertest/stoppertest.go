package stoppertest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// StopTimeout bounds the Stop that New's cleanup runs.
const StopTimeout = 10 * time.Second

// New returns a Stopper that is stopped when the test ends, with a deadline
// of StopTimeout. The test fails if the options do not validate or if Stop
// returns an error: tasks that ignore their context and remain past the
// deadline (named, with their stacks), or panics recovered under
// RecoverOnPanic.
//
// It is the test's form of the defer s.Stop(ctx) idiom with a deadline
// (see the stopper package doc): the stop runs however the test ends, is
// bounded, and its error is not dropped. A test may still stop s itself,
// with defer or not, to check what Stop returns: Stop is idempotent, and
// the cleanup's Stop then returns at once.
//
// With no opts it uses stopper.DefaultOptions named after the test. At most
// one Options value may be passed.
func New(t testing.TB, opts ...stopper.Options) *stopper.Stopper {
	t.Helper()
	o := stopper.DefaultOptions()
	o.Name = t.Name()
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		t.Fatalf("stoppertest: New: got %d Options, want at most 1", len(opts))
		return nil
	}
	s, err := stopper.New(o)
	if err != nil {
		t.Fatalf("stoppertest: New: %v", err)
		return nil
	}
	t.Cleanup(func() {
		t.Helper()
		// The cleanup needs a context of its own: the test's has ended.
		ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			var stuck *stopper.StuckTasksError
			if errors.As(err, &stuck) && stuck.Stacks != "" {
				t.Errorf("stoppertest: stopping %q: %v\nstacks of its tasks:\n%s", s.Name(), err, stuck.Stacks)
				return
			}
			t.Errorf("stoppertest: stopping %q: %v", s.Name(), err)
		}
	})
	return s
}

// VerifyNone fails the test, when it ends, if a Stopper created by the test
// after this call has not finished stopping. Call it first in the test. The
// report names each leaked stopper and the stack that created it.
func VerifyNone(t testing.TB) {
	t.Helper()
	pc, _, _, ok := runtime.Caller(1)
	fn := runtime.FuncForPC(pc)
	if !ok || fn == nil {
		t.Fatalf("stoppertest: VerifyNone: cannot find the calling test function")
		return
	}
	owner := fn.Name()
	var baseline uint64
	if live := stopper.LiveStoppers(); len(live) > 0 {
		baseline = live[len(live)-1].ID
	}
	// IDs only grow, but stoppers older than the newest live one may have
	// been created by this test's goroutine already; they were created
	// before the call and are not this test's business.
	t.Cleanup(func() {
		t.Helper()
		var leaks []string
		for _, l := range stopper.LiveStoppers() {
			if l.ID <= baseline || !createdBy(l.Stack, owner) {
				continue
			}
			leaks = append(leaks, fmt.Sprintf("stopper %q created %s ago at\n%s", l.Name, time.Since(l.Created).Round(time.Millisecond), indent(l.Stack)))
		}
		if len(leaks) > 0 {
			t.Errorf("stoppertest: %d stopper(s) not stopped:\n%s", len(leaks), strings.Join(leaks, "\n"))
		}
	})
}

// createdBy reports whether a creation stack has a frame in function owner
// or in a function literal nested in it.
func createdBy(stack, owner string) bool {
	for _, line := range strings.Split(stack, "\n") {
		if strings.HasPrefix(line, "\t") {
			continue
		}
		if line == owner || strings.HasPrefix(line, owner+".") {
			return true
		}
	}
	return false
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
