package testmode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Worker runs jobs whose args are of type T.
type Worker[T Args] interface {
	// Perform runs one attempt of job. Its return value is the attempt's
	// outcome (see Outcome): nil completes the job, Cancel cancels it,
	// Snooze reschedules it, and any other error (or a panic, recovered as
	// a *PanicError) fails the attempt.
	//
	// Perform must return when ctx is cancelled: at the job's Timeout, or
	// when its engine shuts down. It may run concurrently with other
	// attempts of the same worker, so it must be safe for concurrent use.
	// job belongs to this attempt; Perform must not modify its slices and
	// maps (see Job).
	Perform(ctx context.Context, job *Job[T]) error
}

// WorkerFunc adapts a function to Worker.
type WorkerFunc[T Args] func(ctx context.Context, job *Job[T]) error

// Perform calls f.
func (f WorkerFunc[T]) Perform(ctx context.Context, job *Job[T]) error { return f(ctx, job) }

// Timeouter is implemented by workers whose jobs have a deadline. To
// enforce it, a Perform with a timeout runs in a goroutine of its own, in
// Inline mode too; the caller waits for it.
type Timeouter[T Args] interface {
	// Timeout returns the longest the attempt of job may run; 0 or less
	// means no limit. It is called before each attempt, with the job
	// Perform is about to receive. At the deadline the attempt's context is
	// cancelled with cause ErrJobTimeout and the attempt fails with an
	// error wrapping ErrJobTimeout, even if Perform has not returned: a
	// Perform that ignores its context is left running in the background
	// (and named as a stuck task when its engine stops).
	Timeout(job *Job[T]) time.Duration
}

// Backoffer is implemented by workers that choose how long to wait before
// retrying a failed attempt. Workers without it use DefaultBackoff.
type Backoffer[T Args] interface {
	// Backoff returns how long to wait before retrying job after its
	// attempt failed with err; a negative duration retries at once. job is
	// the failed attempt's (Attempt is its number, Errors holds the
	// previous attempts' errors, not yet err), so Backoff can honour a rate
	// limit's retry-after. It is called only for attempts that will be
	// retried: not after Cancel, Snooze or the last allowed attempt.
	Backoff(job *Job[T], err error) time.Duration
}

// Workers is a registry of workers by kind, shared by the clients and
// engines that run its jobs. Add workers with AddWorker. The zero value is
// an empty registry ready to use; a Workers must not be copied after first
// use. It is safe for concurrent use; lookups take no lock.
type Workers struct {
	mu    sync.Mutex // serializes AddWorker
	kinds atomic.Pointer[map[string]runner]
}

// NewWorkers returns an empty registry.
func NewWorkers() *Workers { return &Workers{} }

// AddWorker registers w for the kind of T's zero value (for a pointer type
// T, of a pointer to a zero value). It returns an error, and registers
// nothing, when ws or w is nil, when T's Kind is empty or panics, when T is
// an interface type, or (ErrDuplicateKind) when a worker is registered for
// the kind already.
func AddWorker[T Args](ws *Workers, w Worker[T]) error {
	if ws == nil {
		return errors.New("testmode: AddWorker: workers is nil")
	}
	if w == nil {
		return errors.New("testmode: AddWorker: worker is nil")
	}
	if f, ok := w.(WorkerFunc[T]); ok && f == nil {
		return errors.New("testmode: AddWorker: worker is a nil WorkerFunc")
	}
	kind, err := zeroKind[T]()
	if err != nil {
		return fmt.Errorf("testmode: AddWorker: %w", err)
	}
	r := &typedRunner[T]{k: kind, w: w, plain: plainType(reflect.TypeFor[T]())}
	r.timeouter, _ = w.(Timeouter[T])
	r.backoffer, _ = w.(Backoffer[T])

	ws.mu.Lock()
	defer ws.mu.Unlock()
	old := ws.snapshot()
	if _, dup := old[kind]; dup {
		return fmt.Errorf("testmode: AddWorker: %w %q", ErrDuplicateKind, kind)
	}
	next := make(map[string]runner, len(old)+1)
	maps.Copy(next, old)
	next[kind] = r
	ws.kinds.Store(&next)
	return nil
}

// zeroKind returns the kind of T's zero value.
func zeroKind[T Args]() (kind string, err error) {
	t := reflect.TypeFor[T]()
	var zero T
	switch t.Kind() {
	case reflect.Interface:
		return "", fmt.Errorf("args type %s is an interface; register a concrete type", t)
	case reflect.Pointer:
		zero = reflect.New(t.Elem()).Interface().(T)
	}
	defer func() {
		if v := recover(); v != nil {
			kind, err = "", fmt.Errorf("%s.Kind panicked on the zero value: %v", t, v)
		}
	}()
	kind = zero.Kind()
	if kind == "" {
		return "", fmt.Errorf("%w (args type %s)", ErrEmptyKind, t)
	}
	return kind, nil
}

func (ws *Workers) snapshot() map[string]runner {
	if m := ws.kinds.Load(); m != nil {
		return *m
	}
	return nil
}

func (ws *Workers) lookup(kind string) (runner, bool) {
	r, ok := ws.snapshot()[kind]
	return r, ok
}

// Kinds returns the registered kinds, sorted.
func (ws *Workers) Kinds() []string {
	return slices.Sorted(maps.Keys(ws.snapshot()))
}

// runner is a registered worker with its type erased.
type runner interface {
	// prepare builds the job for one attempt of row, decoding the row's
	// args. args is nil, or the value the job was inserted with when
	// takes(args) held at insert: the job then gets a copy of it, which is
	// the value decoding would give.
	prepare(row *JobRow, args Args) (prepared, error)
	// takes reports whether prepare can use args as inserted instead of
	// decoding them: args are of the worker's type, which is plain.
	takes(args Args) bool
}

// prepared is one attempt of a job, ready to run.
type prepared interface {
	perform(ctx context.Context) error
	// timeout returns the attempt's time limit, or 0 for none.
	timeout() time.Duration
	// backoff returns the worker's wait before a retry, or false when the
	// worker has no Backoff method.
	backoff(err error) (time.Duration, bool)
}

type typedRunner[T Args] struct {
	k         string
	w         Worker[T]
	timeouter Timeouter[T]
	backoffer Backoffer[T]
	plain     bool // T is plain (see plainType)
}

// typedJob is the Job given to Perform, with the runner that performs it:
// one allocation per attempt.
type typedJob[T Args] struct {
	r   *typedRunner[T]
	job Job[T]
}

func (r *typedRunner[T]) prepare(row *JobRow, args Args) (prepared, error) {
	j := &typedJob[T]{r: r}
	if a, ok := args.(T); ok && r.plain {
		j.job.Args = a
		fillJob(row, &j.job)
		return j, nil
	}
	if err := decodeJob(row, &j.job); err != nil {
		return nil, err
	}
	return j, nil
}

func (r *typedRunner[T]) takes(args Args) bool {
	_, ok := args.(T)
	return ok && r.plain
}

// decodeJob fills job from row, decoding the args.
func decodeJob[T Args](row *JobRow, job *Job[T]) error {
	if err := json.Unmarshal(row.EncodedArgs, &job.Args); err != nil {
		return fmt.Errorf("testmode: decoding args of job %d (kind %q): %w", row.ID, row.Kind, err)
	}
	if reflect.TypeFor[T]().Kind() == reflect.Pointer && reflect.ValueOf(job.Args).IsNil() {
		return fmt.Errorf("testmode: decoding args of job %d (kind %q): %w: encoded as null", row.ID, row.Kind, ErrNilArgs)
	}
	fillJob(row, job)
	return nil
}

// fillJob fills the fields of job other than Args from row.
func fillJob[T Args](row *JobRow, job *Job[T]) {
	job.ID = row.ID
	job.Kind = row.Kind
	job.Queue = row.Queue
	job.Priority = row.Priority
	job.Attempt = row.Attempt
	job.MaxAttempts = row.MaxAttempts
	job.InsertedAt = row.InsertedAt
	job.ScheduledAt = row.ScheduledAt
	job.AttemptedAt = row.AttemptedAt
	job.Tags = row.Tags
	job.Meta = row.Meta
	job.Errors = row.Errors
}

func (j *typedJob[T]) perform(ctx context.Context) error { return j.r.w.Perform(ctx, &j.job) }

func (j *typedJob[T]) timeout() time.Duration {
	if j.r.timeouter == nil {
		return 0
	}
	return max(j.r.timeouter.Timeout(&j.job), 0)
}

func (j *typedJob[T]) backoff(err error) (time.Duration, bool) {
	if j.r.backoffer == nil {
		return 0, false
	}
	return max(j.r.backoffer.Backoff(&j.job, err), 0), true
}
