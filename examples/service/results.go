package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/telemetry"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// The program's own events, logged by the default handler.
var (
	roundFinished  = telemetry.MustName("prober.round.finished")
	targetsChanged = telemetry.MustName("prober.targets.changed")
)

// outcomeOK is the outcome of a probe that succeeded; failed probes are
// counted under the name of their code.
const outcomeOK = "ok"

// targetResult is the latest final result of one target, as state.json
// keeps it.
type targetResult struct {
	Outcome  string    `json:"outcome"`
	Code     string    `json:"code,omitempty"`
	Error    string    `json:"error,omitempty"`
	Hint     string    `json:"hint,omitempty"`
	Attempts int       `json:"attempts"`
	Round    int       `json:"round"`
	At       time.Time `json:"at"`
}

// round counts the final results of the probes of one round.
type round struct {
	expected, done, retries int
	failures                []error
	started                 time.Time
}

// roundReport is a finished round.
type roundReport struct {
	n, probes, retries int
	failures           []error
	took               time.Duration
}

// results gathers what the probes of every round came to. Workers report
// to it from the engine's goroutines, from Insert in Inline mode, and from
// Drain in tests.
type results struct {
	reg      *telemetry.Registry
	finished func(roundReport) // called without the lock held

	mu        sync.Mutex
	rounds    map[int]*round
	completed int
	probes    int
	retries   int
	outcomes  map[string]int            // outcome -> final probes
	byTarget  map[string]map[string]int // target -> outcome -> final probes
	latest    map[string]targetResult
	lastRound int // the number of the latest round started
}

func newResults(reg *telemetry.Registry, finished func(roundReport)) *results {
	return &results{
		reg:      reg,
		finished: finished,
		rounds:   map[int]*round{},
		outcomes: map[string]int{},
		byTarget: map[string]map[string]int{},
		latest:   map[string]targetResult{},
	}
}

// start opens the next round, which expects one final result per target,
// and returns its number, from 1.
func (r *results) start(targets int, now time.Time) int {
	r.mu.Lock()
	r.lastRound++
	n := r.lastRound
	r.rounds[n] = &round{expected: targets, started: now}
	rep, done := r.closeLocked(n, now)
	r.mu.Unlock()
	if done {
		r.report(rep)
	}
	return n
}

// retry counts an attempt that failed and will run again.
func (r *results) retry(job *testmode.Job[ProbeArgs]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries++
	if rd := r.rounds[job.Args.Round]; rd != nil {
		rd.retries++
	}
}

// finish records the final result of a probe job: err is nil when the
// target answered.
func (r *results) finish(job *testmode.Job[ProbeArgs], err error) {
	now := time.Now()
	res := targetResult{Outcome: outcomeOK, Attempts: job.Attempt, Round: job.Args.Round, At: now}
	if err != nil {
		flat := errprio.Flatten(err)
		res = targetResult{
			Outcome: codeName(flat.Code), Code: string(flat.Code), Error: flat.Message, Hint: flat.Hint,
			Attempts: job.Attempt, Round: job.Args.Round, At: now,
		}
	}
	r.mu.Lock()
	r.probes++
	r.outcomes[res.Outcome]++
	t := job.Args.Target
	if r.byTarget[t] == nil {
		r.byTarget[t] = map[string]int{}
	}
	r.byTarget[t][res.Outcome]++
	if prev, ok := r.latest[t]; !ok || prev.Round <= res.Round {
		r.latest[t] = res
	}
	var rep roundReport
	done := false
	if rd := r.rounds[job.Args.Round]; rd != nil {
		rd.done++
		if err != nil {
			rd.failures = append(rd.failures, err)
		}
		rep, done = r.closeLocked(job.Args.Round, now)
	}
	r.mu.Unlock()
	if done {
		r.report(rep)
	}
}

// closeLocked removes round n when every probe of it is final.
func (r *results) closeLocked(n int, now time.Time) (roundReport, bool) {
	rd := r.rounds[n]
	if rd == nil || rd.done < rd.expected {
		return roundReport{}, false
	}
	delete(r.rounds, n)
	r.completed++
	return roundReport{n: n, probes: rd.done, retries: rd.retries, failures: rd.failures, took: now.Sub(rd.started)}, true
}

// report emits the round's event, whose line names the failure that
// matters most, then hands the round on.
func (r *results) report(rep roundReport) {
	attrs := []slog.Attr{slog.Int("round", rep.n)}
	if worst := errprio.Highest(rep.failures...); worst != nil {
		attrs = append(attrs, slog.String("worst", consumerLine(worst)))
	}
	r.reg.Emit(context.Background(), roundFinished, []telemetry.Measurement{
		telemetry.Int("probes", int64(rep.probes)),
		telemetry.Int("failed", int64(len(rep.failures))),
		telemetry.Int("retries", int64(rep.retries)),
		telemetry.Dur("took", rep.took),
	}, attrs...)
	if r.finished != nil {
		r.finished(rep)
	}
}

// consumerLine is the one line a person reads about err: the code's name
// and value, the message, and the hints.
func consumerLine(err error) string {
	flat := errprio.Flatten(err)
	line := fmt.Sprintf("%s (%s): %s", codeName(flat.Code), flat.Code, flat.Message)
	if flat.Retryable {
		line += " [retryable]"
	}
	if flat.Hint != "" {
		line += "; hint: " + strings.ReplaceAll(flat.Hint, "\n--\n", "; ")
	}
	return line
}

// snapshot returns the latest result of every target, for state.json.
func (r *results) snapshot() state {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := state{Round: r.lastRound, Targets: make(map[string]targetResult, len(r.latest))}
	for t, res := range r.latest {
		st.Targets[t] = res
	}
	return st
}

// summary is what the run came to.
type summary struct {
	targets, rounds, completed, probes, retries int
	pending                                     int
	outcomes                                    map[string]int
	byTarget                                    map[string]map[string]int
	stopTook                                    time.Duration
	statePath                                   string
}

func (r *results) summary() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := summary{
		rounds: r.lastRound, completed: r.completed, probes: r.probes, retries: r.retries,
		outcomes: map[string]int{}, byTarget: map[string]map[string]int{},
	}
	for o, n := range r.outcomes {
		s.outcomes[o] = n
	}
	for t, m := range r.byTarget {
		s.byTarget[t] = map[string]int{}
		for o, n := range m {
			s.byTarget[t][o] = n
		}
	}
	return s
}

// print writes the summary in a stable order.
func (s summary) print(w io.Writer) {
	fmt.Fprintf(w, "summary: %d targets, %d rounds (%d finished), %d probes, %d retries, %d jobs pending at stop, stopped in %s\n",
		s.targets, s.rounds, s.completed, s.probes, s.retries, s.pending, s.stopTook.Round(time.Millisecond))
	fmt.Fprintf(w, "  outcomes: %s\n", counts(s.outcomes))
	for _, t := range slices.Sorted(maps.Keys(s.byTarget)) {
		fmt.Fprintf(w, "  %s: %s\n", t, counts(s.byTarget[t]))
	}
	fmt.Fprintf(w, "  state: %s\n", s.statePath)
}

// counts formats outcome counts as "ok=3 probe_timeout=2", ok first.
func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	names := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == outcomeOK:
			return -1
		case b == outcomeOK:
			return 1
		}
		return 0
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, m[n])
	}
	return strings.Join(parts, " ")
}
