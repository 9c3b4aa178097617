package stopper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Stopper owns the goroutines of one component. It admits tasks until it
// starts quiescing; from then on every Run* method returns ErrUnavailable,
// the contexts of running tasks are cancelled with cause ErrQuiescing, and
// Quiesce and Stop wait for those tasks to return. Stop then runs the
// closers, newest first, and closes IsStopped.
//
// A Stopper is created with New and is safe for concurrent use. It has no
// useful zero value.
type Stopper struct {
	opts   Options
	tel    *telemetry.Registry
	epoch  time.Time // ages are measured from here
	labels context.Context
	id     uint64

	quiescing atomic.Bool
	qctx      context.Context // cancelled, with cause ErrQuiescing, at quiesce
	qcancel   context.CancelCauseFunc
	drained   chan struct{} // closed when quiescing and no task runs
	drainOnce sync.Once
	quiesced  chan struct{} // closed after drained, once the drain is reported
	beginOnce sync.Once

	shardMask uint32
	shards    []*shard

	// lastCtx caches the context handed to tasks started with the same
	// parent context as the previous one, which saves an allocation per
	// task in the common case of a loop or server using one context.
	lastCtx atomic.Pointer[taskCtx]

	stopOnce sync.Once
	stopped  chan struct{}

	mu       sync.Mutex // guards the fields below; never held while user code runs
	closers  []Closer
	children []*Stopper
	panics   []error
	parent   *Stopper
	// isStop is set when the stop procedure takes the closers to run them,
	// before they run: a closer added after that runs at once, in AddCloser.
	isStop bool
}

// shard is one of several independently locked sets of running tasks, so
// that admissions on different cores do not contend. A shard is one 64-byte
// cache line holding its lock, its counts and its first slot: admitting and
// releasing a task in a shard that runs one task at a time touch that line
// alone. Each shard is allocated on its own: Go's allocator places 64-byte
// objects on multiples of 64 bytes, so every shard fills a line of its own.
type shard struct {
	mu    sync.Mutex
	n     int32   // running tasks
	free  int32   // index+1 of the first free slot; 0: none
	first slot    // slot 0
	more  *[]slot // slots 1, 2, ...; nil until two tasks run at once
}

// slot holds what reports need about a running task, written when it is
// admitted and read only when somebody asks.
type slot struct {
	name  string         // "" while the slot is free
	start time.Duration  // since the stopper's epoch
	fn    unsafe.Pointer // the task function's record (funcPtr), for reports
	next  int32          // index+1 of the next free slot, while free
}

// at returns slot i of sh. sh.mu must be held.
func (sh *shard) at(i int32) *slot {
	if i == 0 {
		return &sh.first
	}
	return &(*sh.more)[i-1]
}

// Closer is something the stopper closes at the end of Stop.
type Closer interface {
	Close()
}

// CloserFn adapts a function to Closer.
type CloserFn func()

// Close calls f.
func (f CloserFn) Close() { f() }

var stopperIDs atomic.Uint64

// New returns a running Stopper. It returns an error naming every bad field
// when opts does not validate.
func New(opts Options) (*Stopper, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("stopper: invalid options: %w", err)
	}
	return newStopper(opts, nil), nil
}

func newStopper(opts Options, parent *Stopper) *Stopper {
	tel := opts.Telemetry
	if tel == nil {
		tel = telemetry.Default()
	}
	n := 16 * runtime.GOMAXPROCS(0)
	n = 1 << bits.Len(uint(n-1)) // round up to a power of two
	n = min(n, 64)
	s := &Stopper{
		opts:      opts,
		tel:       tel,
		epoch:     time.Now(),
		id:        stopperIDs.Add(1),
		drained:   make(chan struct{}),
		quiesced:  make(chan struct{}),
		stopped:   make(chan struct{}),
		shardMask: uint32(n - 1),
		shards:    make([]*shard, n),
		parent:    parent,
	}
	for i := range s.shards {
		s.shards[i] = &shard{free: 1} // slot 0, the shard's own, is free
	}
	s.labels = pprof.WithLabels(context.Background(), pprof.Labels(labelKey, s.label()))
	// The quiesce context is a root on purpose: it belongs to the stopper,
	// not to any caller, and is cancelled only by quiescing.
	s.qctx, s.qcancel = context.WithCancelCause(context.Background())
	track(s)
	return s
}

// labelKey is the pprof label set on every asynchronous task goroutine.
const labelKey = "ecopatterns.stopper"

func (s *Stopper) label() string { return fmt.Sprintf("%s#%d", s.opts.Name, s.id) }

// Name returns the stopper's name.
func (s *Stopper) Name() string { return s.opts.Name }

// NewChild returns a stopper whose quiesce is part of s's: when s quiesces
// it first quiesces every child and waits for them to drain, and when s
// stops it first stops every child. The child has s's options with the name
// parent-name/name. It returns ErrUnavailable when s is already quiescing and
// an error for an empty name.
func (s *Stopper) NewChild(name string) (*Stopper, error) {
	if name == "" {
		return nil, errors.New("stopper: NewChild: name is empty")
	}
	opts := s.opts
	opts.Name = s.opts.Name + "/" + name
	opts.Telemetry = s.tel
	c := newStopper(opts, s)
	s.mu.Lock()
	if s.quiescing.Load() {
		s.mu.Unlock()
		c.markStopped()
		return nil, ErrUnavailable
	}
	s.children = append(s.children, c)
	s.mu.Unlock()
	return c, nil
}

// monoSince returns the time since the stopper's epoch on the monotonic
// clock.
func (s *Stopper) monoSince() time.Duration { return time.Since(s.epoch) }

// admit registers a task in the shard that hint picks, or reports false
// when the stopper is quiescing. Its callers have already checked the flag
// without the lock, so that a refused task costs one atomic load.
//
// A synchronous task is admitted and released by the same goroutine, so it
// uses the shard of that goroutine's stack (shardHint), which stays warm in
// its core's cache. An asynchronous task is released by a new goroutine that
// will likely run on another core, so spreading those at random keeps the
// spawner and the finishing tasks off one lock.
func (s *Stopper) admit(hint uint32, name string, fn unsafe.Pointer) (slotRef, bool) {
	ref := slotRef{shard: hint & s.shardMask}
	sh := s.shards[ref.shard]
	start := s.monoSince()
	sh.mu.Lock()
	// Checked under the shard lock: Quiesce sets the flag and then locks
	// every shard to count, so a task either sees the flag here or is
	// counted there.
	if s.quiescing.Load() {
		sh.mu.Unlock()
		return slotRef{}, false
	}
	var i int32
	if sh.free > 0 {
		i = sh.free - 1
		sh.free = sh.at(i).next
	} else {
		i = sh.grow()
	}
	*sh.at(i) = slot{name: name, start: start, fn: fn}
	sh.n++
	sh.mu.Unlock()
	ref.i = i
	return ref, true
}

// grow adds a slot to sh and returns its index. sh.mu must be held.
func (sh *shard) grow() int32 {
	if sh.more == nil {
		sh.more = new([]slot)
	}
	*sh.more = append(*sh.more, slot{})
	return int32(len(*sh.more))
}

// slotRef names the slot of a running task: shard and index. It is small
// so that an asynchronous task's goroutine, which keeps it, stays small.
type slotRef struct {
	shard uint32
	i     int32
}

// slotName returns the name of the running task in ref.
func (s *Stopper) slotName(ref slotRef) string {
	sh := s.shards[ref.shard]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.at(ref.i).name
}

// release unregisters a task and, when it was the last one of a quiescing
// stopper, signals the drain.
func (s *Stopper) release(ref slotRef) {
	sh, i := s.shards[ref.shard], ref.i
	sh.mu.Lock()
	*sh.at(i) = slot{next: sh.free}
	sh.free = i + 1
	sh.n--
	last := sh.n == 0
	sh.mu.Unlock()
	if last && s.quiescing.Load() {
		s.checkDrained()
	}
}

// checkDrained closes drained when no task runs. Only called once quiescing,
// when counts only go down.
func (s *Stopper) checkDrained() {
	if s.NumTasks() == 0 {
		s.drainOnce.Do(func() { close(s.drained) })
	}
}

// NumTasks returns the number of tasks of s running now. A child stopper's
// tasks are its own, not its parent's: they are counted by the child's
// NumTasks and by NumTasksWithChildren.
func (s *Stopper) NumTasks() int {
	n := 0
	for _, sh := range s.shards {
		sh.mu.Lock()
		n += int(sh.n)
		sh.mu.Unlock()
	}
	return n
}

// NumTasksWithChildren returns the number of tasks running now in s and in
// its descendants (children, their children, ...).
func (s *Stopper) NumTasksWithChildren() int {
	n := 0
	for _, st := range s.tree() {
		n += st.NumTasks()
	}
	return n
}

// TaskInfo describes the running tasks of one stopper that share a name.
type TaskInfo struct {
	// Stopper is the name of the stopper that runs the tasks.
	Stopper string
	// Name is the tasks' name.
	Name string
	// Started is when the oldest of them started.
	Started time.Time
	// Count is how many are running.
	Count int
}

type running struct {
	name  string
	start time.Duration
	fn    unsafe.Pointer
}

func (s *Stopper) running() []running {
	var out []running
	add := func(sl *slot) {
		if sl.name != "" {
			out = append(out, running{name: sl.name, start: sl.start, fn: sl.fn})
		}
	}
	for _, sh := range s.shards {
		sh.mu.Lock()
		if sh.n > 0 {
			add(&sh.first)
			if sh.more != nil {
				for j := range *sh.more {
					add(&(*sh.more)[j])
				}
			}
		}
		sh.mu.Unlock()
	}
	sort.Slice(out, func(a, b int) bool { return out[a].start < out[b].start })
	return out
}

// RunningTasks returns the running tasks of s grouped by name, oldest group
// first. A child stopper's tasks are left out, as in NumTasks;
// RunningTasksWithChildren includes them.
func (s *Stopper) RunningTasks() []TaskInfo { return s.appendRunning(nil) }

// RunningTasksWithChildren returns the running tasks of s and of its
// descendants, grouped by stopper and name (TaskInfo.Stopper tells them
// apart), oldest group first.
func (s *Stopper) RunningTasksWithChildren() []TaskInfo {
	var out []TaskInfo
	for _, st := range s.tree() {
		out = st.appendRunning(out)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Started.Before(out[b].Started) })
	return out
}

// appendRunning appends the running tasks of s, grouped by name, oldest
// group first.
func (s *Stopper) appendRunning(out []TaskInfo) []TaskInfo {
	index := map[string]int{}
	for _, r := range s.running() {
		if i, ok := index[r.name]; ok {
			out[i].Count++
			continue
		}
		index[r.name] = len(out)
		out = append(out, TaskInfo{Stopper: s.opts.Name, Name: r.name, Started: s.epoch.Add(r.start), Count: 1})
	}
	return out
}

// ShouldQuiesce returns a channel that is closed when the stopper starts
// quiescing. Long-running tasks select on it (or on their context, which is
// cancelled at the same moment).
func (s *Stopper) ShouldQuiesce() <-chan struct{} { return s.qctx.Done() }

// IsStopped returns a channel that is closed when Stop has finished: every
// task returned and every closer ran.
func (s *Stopper) IsStopped() <-chan struct{} { return s.stopped }

// WithCancelOnQuiesce returns a context derived from ctx that is also
// cancelled, with cause ErrQuiescing, when the stopper quiesces; when it
// already has, the returned context is already cancelled. Call cancel when
// done with the context to release its resources.
func (s *Stopper) WithCancelOnQuiesce(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = s.qctx
	}
	cctx, cancel := context.WithCancelCause(ctx)
	if s.quiescing.Load() {
		cancel(ErrQuiescing)
		return cctx, func() {}
	}
	stop := context.AfterFunc(s.qctx, func() { cancel(ErrQuiescing) })
	return cctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// AddCloser registers c to be closed at the end of Stop, after every task
// has returned. Closers run newest first, in the goroutine that runs the
// stop. After Stop has run the closers, AddCloser closes c at once, in the
// caller's goroutine. A nil c is ignored.
//
// A closer that panics is treated as a task that panics, under
// Options.OnPanic. Either way the panic is logged and emitted as
// CloserPanicked. Under RecoverOnPanic it becomes a *CloserPanicError in
// Stop's error and the remaining closers still run. Under RepanicOnPanic
// (the default) it is re-raised from the closer's own frames, which crashes
// the process: the closers registered before it do not run and Stop does
// not return.
//
// A closer that calls runtime.Goexit (as t.FailNow does) ends the goroutine
// running it; under either policy that is a *CloserPanicError in Stop's
// error, and the remaining closers still run.
func (s *Stopper) AddCloser(c Closer) {
	if c == nil {
		return
	}
	if f, ok := c.(CloserFn); ok && f == nil {
		return
	}
	s.mu.Lock()
	if s.isStop {
		s.mu.Unlock()
		// The caller's goroutine has no context to give; the report's
		// values come from none.
		s.runCloser(context.Background(), c, nil)
		return
	}
	s.closers = append(s.closers, c)
	s.mu.Unlock()
}

// calledFromTask reports whether ctx belongs to a task of s or of one of its
// descendants.
func (s *Stopper) calledFromTask(ctx context.Context) bool {
	for ctx != nil {
		m, ok := ctx.Value(taskKey{}).(taskMark)
		if !ok {
			return false
		}
		for p := m.s; p != nil; p = p.parent {
			if p == s {
				return true
			}
		}
		ctx = m.outer
	}
	return false
}

// beginQuiesce makes the stopper refuse tasks and cancels task contexts,
// after quiescing its children. It does not wait for the drain.
func (s *Stopper) beginQuiesce(ctx context.Context) {
	s.beginOnce.Do(func() {
		s.mu.Lock()
		s.quiescing.Store(true) // under mu: NewChild checks it under mu
		s.mu.Unlock()
		s.qcancel(ErrQuiescing)
		n := s.NumTasks()
		s.checkDrained()
		go s.watchDrain(ctx, n)
	})
}

// watchDrain reports the drain: the quiesce span, and a DrainStalled event
// and log record every SlowQuiesceInterval until the last task returns.
func (s *Stopper) watchDrain(ctx context.Context, n int) {
	defer close(s.quiesced)
	// The drain belongs to the stopper; the caller's cancellation must not
	// cut the reports short, but its values (trace ids) are kept.
	ctx = context.WithoutCancel(ctx)
	meta := []slog.Attr{slog.String("stopper", s.opts.Name)}
	_ = s.tel.Span(ctx, QuiesceSpan, meta, func(ctx context.Context, sc *telemetry.Scope) error {
		sc.AddMeasurements(telemetry.Int("tasks", int64(n)))
		t := time.NewTicker(s.opts.SlowQuiesceInterval)
		defer t.Stop()
		for {
			select {
			case <-s.drained:
				return nil
			case <-t.C:
				s.reportStalled(ctx)
			}
		}
	})
}

func (s *Stopper) reportStalled(ctx context.Context) {
	rs := s.running()
	if len(rs) == 0 {
		return
	}
	now := s.monoSince()
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%s (%s)", r.name, (now-r.start).Round(time.Millisecond)))
	}
	list := strings.Join(parts, ", ")
	oldest := now - rs[0].start
	s.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "stopper: still draining",
		slog.String("stopper", s.opts.Name), slog.Int("tasks", len(rs)),
		slog.Duration("oldest", oldest), slog.String("running", list))
	s.tel.Emit(ctx, DrainStalled, []telemetry.Measurement{telemetry.Int("tasks", int64(len(rs))), telemetry.Dur("oldest", oldest)},
		slog.String("stopper", s.opts.Name), slog.String("running", list))
}

// Quiesce makes the stopper refuse new tasks, cancels the contexts of the
// running ones (cause ErrQuiescing) and waits until they have returned. It
// first does the same for every child stopper. When ctx ends first it
// returns a *StuckTasksError naming the tasks still running; the drain goes
// on. Calling it with the context of one of the stopper's own tasks returns
// ErrCalledFromTask and does nothing.
func (s *Stopper) Quiesce(ctx context.Context) error {
	if ctx == nil {
		return errors.New("stopper: Quiesce: ctx is nil")
	}
	if s.calledFromTask(ctx) {
		return fmt.Errorf("stopper %q: Quiesce: %w", s.opts.Name, ErrCalledFromTask)
	}
	return s.quiesce(ctx)
}

// quiesce drains the children, then s. When ctx ends
// first, every stopper of the tree starts quiescing at once, so that none
// admits tasks after the call returns, and the error names what still runs.
func (s *Stopper) quiesce(ctx context.Context) error {
	// Children drain side by side, each in its own order, and s begins
	// only once all of them have drained.
	children := s.childList()
	errs := make([]error, len(children))
	var wg sync.WaitGroup
	for i, c := range children {
		wg.Go(func() { errs[i] = c.quiesce(ctx) })
	}
	wg.Wait()
	if errors.Join(errs...) != nil {
		return s.stuckError(ctx)
	}
	s.beginQuiesce(ctx)
	select {
	case <-s.quiesced:
		return nil
	case <-ctx.Done():
		return s.stuckError(ctx)
	}
}

func (s *Stopper) childList() []*Stopper {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.children)
}

// tree returns s and its descendants.
func (s *Stopper) tree() []*Stopper {
	out := []*Stopper{s}
	for i := 0; i < len(out); i++ {
		out = append(out, out[i].childList()...)
	}
	return out
}

// stuckError begins quiescing the whole tree of s, so that nothing is
// admitted any more, and describes the tasks of s and its descendants still
// running when ctx ended. Tasks of stoppers that had not begun quiescing
// before (they were waiting for their children) are marked Waiting.
func (s *Stopper) stuckError(ctx context.Context) error {
	tree := s.tree()
	waiting := make([]bool, len(tree))
	for i, st := range tree {
		waiting[i] = !st.quiescing.Load()
	}
	s.beginAll(ctx)
	e := &StuckTasksError{Stopper: s.opts.Name, cause: context.Cause(ctx)}
	var marks []string
	for i, st := range tree {
		now := st.monoSince()
		for _, r := range st.running() {
			t := StuckTask{Stopper: st.opts.Name, Name: r.name, Age: now - r.start, Func: "?", Location: "?", Waiting: waiting[i]}
			pc := *(*uintptr)(r.fn)
			if f := runtime.FuncForPC(pc); f != nil {
				file, line := f.FileLine(pc)
				t.Func, t.Location = f.Name(), fmt.Sprintf("%s:%d", file, line)
			}
			e.Tasks = append(e.Tasks, t)
		}
		marks = append(marks, fmt.Sprintf("%q:%q", labelKey, st.label()))
	}
	if len(e.Tasks) == 0 {
		return nil // the drain won the race against ctx
	}
	sort.SliceStable(e.Tasks, func(a, b int) bool {
		ta, tb := e.Tasks[a], e.Tasks[b]
		if ta.Waiting != tb.Waiting {
			return !ta.Waiting
		}
		return ta.Age > tb.Age
	})
	e.Stacks = taskStacks(marks)
	return e
}

// taskStacks returns the goroutine profile entries whose labels hold one of
// marks.
func taskStacks(marks []string) string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return ""
	}
	var out []string
	for _, block := range strings.Split(buf.String(), "\n\n") {
		for _, m := range marks {
			if strings.Contains(block, m) {
				out = append(out, strings.TrimSpace(block))
				break
			}
		}
	}
	return strings.Join(out, "\n\n")
}

// Stop quiesces the stopper (children first), waits for every task to
// return, stops the children, runs the closers newest first, and closes
// IsStopped. It returns nil when all that finished, joined with the
// *TaskPanicError of every panic recovered under RecoverOnPanic.
//
// When ctx ends first, Stop returns a *StuckTasksError naming the tasks still
// running, with their stacks; the stop goes on in the background and the
// closers run once those tasks return. Stop is idempotent and safe to call
// concurrently: every call waits for the same stop, each bounded by its own
// ctx. Calling it with the context of one of the stopper's own tasks returns
// ErrCalledFromTask and does nothing.
func (s *Stopper) Stop(ctx context.Context) error {
	if ctx == nil {
		return errors.New("stopper: Stop: ctx is nil")
	}
	if s.calledFromTask(ctx) {
		return fmt.Errorf("stopper %q: Stop: %w", s.opts.Name, ErrCalledFromTask)
	}
	s.stopOnce.Do(func() {
		go s.stopProcedure(context.WithoutCancel(ctx))
	})
	select {
	case <-s.stopped:
		s.mu.Lock()
		defer s.mu.Unlock()
		return errors.Join(s.panics...)
	case <-ctx.Done():
		select {
		case <-s.stopped: // finished meanwhile
			s.mu.Lock()
			defer s.mu.Unlock()
			return errors.Join(s.panics...)
		default:
		}
		if err := s.stuckError(ctx); err != nil {
			return err
		}
		// Every task has returned; what remains (closers) is quick or the
		// closers' own business.
		return &StuckTasksError{Stopper: s.opts.Name, cause: context.Cause(ctx)}
	}
}

// beginAll begins quiescing s and its descendants, children first, without
// waiting.
func (s *Stopper) beginAll(ctx context.Context) {
	for _, c := range s.childList() {
		c.beginAll(ctx)
	}
	s.beginQuiesce(ctx)
}

func (s *Stopper) stopProcedure(ctx context.Context) {
	_ = s.quiesce(ctx) // ctx never ends: waits for the drain
	for _, c := range s.childList() {
		if err := c.Stop(ctx); err != nil {
			s.mu.Lock()
			s.panics = append(s.panics, err)
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.isStop = true
	s.mu.Unlock()
	s.closeAll(ctx, closers)
}

// closeAll runs closers newest first, then marks s stopped. A closer that
// calls runtime.Goexit (t.FailNow does) ends the goroutine that runs it,
// which nothing can prevent: the remaining closers and the end of the stop
// then go on in a new goroutine, so Stop still returns.
func (s *Stopper) closeAll(ctx context.Context, closers []Closer) {
	for i := len(closers) - 1; i >= 0; i-- {
		s.runCloser(ctx, closers[i], func() { go s.closeAll(ctx, closers[:i]) })
	}
	s.markStopped()
}

// errCloserGoexit is the Value of the *CloserPanicError of a closer that
// called runtime.Goexit.
var errCloserGoexit = errors.New("stopper: the closer called runtime.Goexit")

// runCloser closes c under the stopper's panic policy: a panic is logged
// and emitted as CloserPanicked, then re-raised from the closer's own frames
// (RepanicOnPanic) or kept for Stop's error (RecoverOnPanic). A closer that
// calls runtime.Goexit is reported and kept for Stop's error under either
// policy, and onGoexit (when not nil) runs as its goroutine ends.
func (s *Stopper) runCloser(ctx context.Context, c Closer, onGoexit func()) {
	returned := false
	defer func() {
		v := recover()
		if v == nil && returned {
			return
		}
		goexit := v == nil // only Goexit ends Close without a return or a panic
		if goexit {
			v = errCloserGoexit
		}
		perr := &CloserPanicError{Stopper: s.opts.Name, Closer: closerName(c), Value: v, Stack: debug.Stack()}
		s.opts.Logger.LogAttrs(ctx, slog.LevelError, "stopper: closer panicked",
			slog.String("stopper", s.opts.Name), slog.String("closer", perr.Closer), slog.Any("panic", v),
			slog.String("stack", string(perr.Stack)), slog.String("policy", string(s.opts.OnPanic)))
		s.tel.Emit(ctx, CloserPanicked, nil, slog.String("stopper", s.opts.Name),
			slog.String("closer", perr.Closer), slog.Any(telemetry.KeyError, perr),
			slog.String(telemetry.KeyStack, string(perr.Stack)))
		if !goexit && s.opts.OnPanic == RepanicOnPanic {
			panic(v)
		}
		s.mu.Lock()
		s.panics = append(s.panics, perr)
		s.mu.Unlock()
		if goexit && onGoexit != nil {
			onGoexit()
		}
	}()
	c.Close()
	returned = true
}

// closerName names a closer in reports as the fmt package names types: a
// CloserFn by its function (package.Func), any other closer by its type.
func closerName(c Closer) string {
	if f, ok := c.(CloserFn); ok {
		if fn := runtime.FuncForPC(funcPC(f)); fn != nil {
			name := fn.Name()
			return name[strings.LastIndexByte(name, '/')+1:]
		}
	}
	return fmt.Sprintf("%T", c)
}

func (s *Stopper) markStopped() {
	if p := s.parent; p != nil {
		p.mu.Lock()
		p.children = slices.DeleteFunc(p.children, func(c *Stopper) bool { return c == s })
		p.mu.Unlock()
	}
	untrack(s)
	s.mu.Lock()
	s.isStop = true
	s.mu.Unlock()
	select {
	case <-s.stopped:
	default:
		close(s.stopped)
	}
}

// sameCtx reports whether a and b are the same interface value (same
// dynamic type, same data word), which is safe even when their dynamic type
// is not comparable (== would panic).
func sameCtx(a, b context.Context) bool {
	// Word by word: a copy of both words at once would read back what was
	// just stored a word at a time, which stalls the CPU's store forwarding.
	wa, wb := (*[2]unsafe.Pointer)(unsafe.Pointer(&a)), (*[2]unsafe.Pointer)(unsafe.Pointer(&b))
	return wa[0] == wb[0] && wa[1] == wb[1]
}

// shardHint spreads goroutines over shards by the address of their stack:
// goroutines have distinct stacks, and one goroutine keeps picking the same
// shard, which keeps its cache lines warm. It costs a multiply, where a
// random number would cost a few nanoseconds more.
func shardHint() uint32 {
	var local byte
	a := uint64(uintptr(unsafe.Pointer(&local))) >> 10
	return uint32((a * 0x9E3779B97F4A7C15) >> 32)
}
