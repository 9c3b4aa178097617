package stopper

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrUnavailable is returned by every Run* method once the stopper is
	// quiescing, and by a limiter wait that quiesce interrupted.
	ErrUnavailable = errors.New("stopper: unavailable: quiescing")
	// ErrThrottled is returned by RunAsyncTaskEx when its limiter is full
	// and WaitForLimiter is false.
	ErrThrottled = errors.New("stopper: throttled: limiter full")
	// ErrQuiescing is the cause (context.Cause) of task contexts cancelled
	// because the stopper is quiescing.
	ErrQuiescing = errors.New("stopper: quiescing")
	// ErrCalledFromTask is returned by Stop and Quiesce when ctx is the
	// context of one of the stopper's own tasks (or of a child's task):
	// waiting for that task from inside it could never finish.
	ErrCalledFromTask = errors.New("stopper: called from one of its own tasks")
)

// StuckTask describes one task still running when a deadline passed.
type StuckTask struct {
	// Stopper names the stopper that runs the task: the one Stop was
	// called on or one of its children.
	Stopper string
	// Name is the task's name.
	Name string
	// Age is how long the task had been running.
	Age time.Duration
	// Func is the task function's name and Location where it is defined
	// (for a function literal, next to where the task was started).
	Func, Location string
	// Waiting reports that the task's stopper had not begun quiescing
	// when the deadline passed, because it was waiting for its children
	// to drain: its context was cancelled only then, so the task is
	// running, but not known to be stuck.
	Waiting bool
}

// StuckTasksError is returned by Stop and Quiesce when their context ends
// before every task returned. errors.Is(err, context.DeadlineExceeded) (or
// context.Canceled) holds. Closers still run after the tasks finish.
type StuckTasksError struct {
	// Stopper is the stopper's name.
	Stopper string
	// Tasks are the tasks still running: those asked to stop before the
	// deadline first, oldest first, then the Waiting ones. It is empty
	// when every task had returned but the closers had not finished.
	Tasks []StuckTask
	// Stacks holds the goroutine profile entries (debug=1 format) of the
	// asynchronous task goroutines of the stopper and its children only,
	// selected by their pprof label ecopatterns.stopper (and of goroutines
	// those tasks started, which inherit the label).
	Stacks string
	cause  error
}

func (e *StuckTasksError) Error() string {
	var b strings.Builder
	stuck := 0
	for stuck < len(e.Tasks) && !e.Tasks[stuck].Waiting {
		stuck++
	}
	fmt.Fprintf(&b, "stopper %q: %d task(s) still running: ", e.Stopper, stuck)
	writeTasks(&b, e.Tasks[:stuck])
	if waiting := e.Tasks[stuck:]; len(waiting) > 0 {
		fmt.Fprintf(&b, "; and %d task(s) asked to stop only at the deadline, as their stopper waited for its children: ", len(waiting))
		writeTasks(&b, waiting)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %v", e.cause)
	}
	return b.String()
}

func writeTasks(b *strings.Builder, tasks []StuckTask) {
	for i, t := range tasks {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(b, "%q in %q for %s (%s at %s)", t.Name, t.Stopper, t.Age.Round(time.Millisecond), t.Func, t.Location)
	}
}

// Unwrap returns the context error that ended the wait.
func (e *StuckTasksError) Unwrap() error { return e.cause }

// TaskPanicError is a task panic recovered under RecoverOnPanic.
type TaskPanicError struct {
	// Task is the name of the task that panicked.
	Task string
	// Value is the panic value.
	Value any
	// Stack is the panicking goroutine's stack.
	Stack []byte
}

func (e *TaskPanicError) Error() string {
	return fmt.Sprintf("stopper: task %q panicked: %v", e.Task, e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *TaskPanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// CloserPanicError is a closer panic recovered under RecoverOnPanic; Stop's
// error holds one per panicking closer.
type CloserPanicError struct {
	// Stopper names the stopper the closer was added to.
	Stopper string
	// Closer names the closer: a CloserFn's function, or another closer's
	// type, as package.Name.
	Closer string
	// Value is the panic value.
	Value any
	// Stack is the stack of the goroutine that ran the closer.
	Stack []byte
}

func (e *CloserPanicError) Error() string {
	return fmt.Sprintf("stopper %q: closer %s panicked: %v", e.Stopper, e.Closer, e.Value)
}

// Unwrap returns the panic value when it is an error.
func (e *CloserPanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}
