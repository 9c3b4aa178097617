package discoverytest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// Timeout bounds every wait of Run: for the first send, and for Run to
// return after cancellation.
const Timeout = 10 * time.Second

// quietFor is how long Run watches the channel after a discoverer
// returned, to catch a goroutine it left behind that still sends.
const quietFor = 20 * time.Millisecond

// Run checks that the discoverers cfg builds honour the contract of
// discovery.Discoverer, in the way of testing/slogtest. It runs a
// discoverer of cfg, cancels it while nobody receives, and runs another
// with a context cancelled before the call; then it judges what it saw
// against each rule of the table rules in this file, in a subtest of t
// named after the rule. The rules, in the table's order:
//
//   - NewDiscoverer: NewDiscoverer succeeds and returns a non-nil Discoverer;
//   - FirstFullSet: Run sends a first full set, a non-nil slice, within
//     Timeout, without returning or closing the channel first;
//   - WellFormedUpdates: no update holds a nil group or two groups with
//     the same Source, and every target has a non-empty address label;
//   - ReturnsWhenCancelled: once its context is cancelled, Run returns
//     within Timeout without anyone receiving from the channel (it selects
//     on ctx.Done() around its sends);
//   - NeverClosesChannel: Run never closes the channel;
//   - NothingSentAfterReturn: nothing arrives on the channel once Run has
//     returned;
//   - NoGoroutineLeft: once Run has returned, no goroutine it started is
//     left;
//   - CancelledBeforeRun: given a context cancelled before the call, Run
//     returns within Timeout.
//
// Every rule is judged even when another fails. A rule that what Run saw
// cannot decide (there was no first set to look at, or Run never
// returned) is skipped, saying why, and the rule that explains it fails.
// Where
// t is not a *testing.T, or is one inside a testing/synctest bubble (which
// cannot run subtests), the rules are judged in t itself, each message
// naming its rule ("rule FirstFullSet: ...").
//
// Errors the discoverer reports with discovery.ReportError are logged with
// t.Logf. Run returns the groups of the first send that have targets,
// sorted by Source, for the caller to check what was found.
func Run(t testing.TB, cfg discovery.Config) []*discovery.Group {
	t.Helper()
	if cfg == nil {
		t.Fatalf("discoverytest: config is nil")
		return nil
	}
	o := observe(t, cfg)
	if tt, ok := t.(*testing.T); ok && judgeInSubtest(tt, rules[0], o) {
		for _, r := range rules[1:] {
			judgeInSubtest(tt, r, o)
		}
	} else {
		for _, r := range rules {
			report(t, r, o.judge(r), false)
		}
	}
	return withTargets(o.groups)
}

// judgeInSubtest judges o by r in a subtest of t named after r, and
// reports whether t could run one: inside a testing/synctest bubble
// t.Run panics before it starts anything.
func judgeInSubtest(t *testing.T, r rule, o *observation) (ran bool) {
	t.Helper()
	defer func() {
		if ran {
			return
		}
		if p := recover(); p != nil {
			if msg, ok := p.(string); !ok || !strings.HasPrefix(msg, "testing: t.Run called") {
				panic(p)
			}
		}
	}()
	t.Run(r.name, func(t *testing.T) {
		t.Helper()
		report(t, r, o.judge(r), true)
	})
	return true
}

// report fails t with each problem f found, in messages that start with
// "discoverytest: " and the discoverer's name, or says why r could not be
// judged: a subtest of its own is skipped, and otherwise it is logged. Out
// of a subtest of its own, every message names r after the discoverer.
func report(t testing.TB, r rule, f finding, own bool) {
	t.Helper()
	prefix := ""
	if !own {
		prefix = "rule " + r.name + ": "
	}
	for _, p := range f.problems {
		t.Errorf("discoverytest: %s: %s%s", f.name, prefix, p)
	}
	switch {
	case f.unjudged == "":
	case own:
		t.Skipf("discoverytest: %s: not judged: %s", f.name, f.unjudged)
	default:
		t.Logf("discoverytest: %s: %snot judged: %s", f.name, prefix, f.unjudged)
	}
}

// A rule is one rule of the Discoverer contract: the subtest's name, the
// rule in one sentence, and the check that judges an observation by it.
type rule struct {
	name  string
	about string
	check func(o *observation) finding
}

// A finding is what a rule's check concluded: the problems it found, none
// when the rule holds, or why the observation cannot decide it.
type finding struct {
	name     string // the discoverer's, for messages
	problems []string
	unjudged string
}

// ruleNewDiscoverer names the one rule judged when NewDiscoverer gave no
// discoverer to run.
const ruleNewDiscoverer = "NewDiscoverer"

// rules is the contract Run checks, one subtest per row; a new rule is a
// new row.
var rules = []rule{
	{ruleNewDiscoverer,
		"NewDiscoverer succeeds and returns a non-nil Discoverer.",
		checkNewDiscoverer},
	{"FirstFullSet",
		"Run sends a first full set, a non-nil slice, within Timeout, without returning or closing the channel first.",
		checkFirstFullSet},
	{"WellFormedUpdates",
		"No update holds a nil group or two groups with the same Source, and every target has a non-empty address label.",
		checkWellFormed},
	{"ReturnsWhenCancelled",
		"Once its context is cancelled, Run returns within Timeout while nobody receives: it selects on ctx.Done() around every send.",
		checkReturnsWhenCancelled},
	{"NeverClosesChannel",
		"Run never closes the channel.",
		checkNeverCloses},
	{"NothingSentAfterReturn",
		"Once Run has returned, nothing more arrives on the channel.",
		checkNothingAfterReturn},
	{"NoGoroutineLeft",
		"Once Run has returned, no goroutine it started is left running.",
		checkNoGoroutineLeft},
	{"CancelledBeforeRun",
		"Given a context cancelled before the call, Run returns within Timeout.",
		checkCancelledBeforeRun},
}

// judge applies r to o. Only NewDiscoverer is judged when there was no
// discoverer to run.
func (o *observation) judge(r rule) finding {
	if o.built != nil && r.name != ruleNewDiscoverer {
		return finding{name: o.name, unjudged: "NewDiscoverer gave no discoverer to run"}
	}
	f := r.check(o)
	f.name = o.name
	return f
}

// problem is a finding of one problem.
func problem(format string, args ...any) finding {
	return finding{problems: []string{fmt.Sprintf(format, args...)}}
}

// Why a rule about what follows cancellation cannot be judged.
const notReturned = "Run did not return after its context was cancelled (see ReturnsWhenCancelled)"

func checkNewDiscoverer(o *observation) finding {
	if o.built != nil {
		return problem("%v", o.built)
	}
	return finding{}
}

func checkFirstFullSet(o *observation) finding {
	switch o.first {
	case closedFirst:
		return problem("closed its channel instead of sending a first full set")
	case returnedFirst:
		return problem("Run returned before its context was cancelled, without sending a first full set")
	case noFirst:
		return problem("no first send within %s", Timeout)
	}
	if o.groups == nil {
		return problem("the first send is a nil slice; send an empty, non-nil slice when nothing was found")
	}
	return finding{}
}

func checkWellFormed(o *observation) finding {
	if o.first != sentFirst {
		return finding{unjudged: "no first send to look at (see FirstFullSet)"}
	}
	return finding{problems: updateProblems(1, o.groups)}
}

func checkReturnsWhenCancelled(o *observation) finding {
	if !o.returned {
		return problem("Run did not return within %s of its context being cancelled while nobody received; select on ctx.Done() around every send", Timeout)
	}
	return finding{}
}

func checkNeverCloses(o *observation) finding {
	switch {
	case o.first == closedFirst || o.returned && o.after == closedFound:
		return problem("closed its channel; the contract says never close it")
	case !o.returned:
		return finding{unjudged: notReturned}
	}
	return finding{}
}

func checkNothingAfterReturn(o *observation) finding {
	switch {
	case !o.returned:
		return finding{unjudged: notReturned}
	case o.after == sentAfter:
		return problem("sent after Run returned")
	}
	return finding{}
}

func checkNoGoroutineLeft(o *observation) finding {
	switch {
	case !o.returned:
		return finding{unjudged: notReturned}
	case o.leaked != nil:
		return problem("goroutines left behind after Run returned: %v", o.leaked)
	}
	return finding{}
}

func checkCancelledBeforeRun(o *observation) finding {
	switch {
	case o.preBuilt != nil:
		return problem("for the run with a cancelled context: %v", o.preBuilt)
	case !o.preReturned:
		return problem("Run given a cancelled context did not return within %s", Timeout)
	}
	return finding{}
}

// withTargets returns the groups of groups that have targets, sorted by
// Source.
func withTargets(groups []*discovery.Group) []*discovery.Group {
	var found []*discovery.Group
	for _, g := range groups {
		if g != nil && len(g.Targets) > 0 {
			found = append(found, g)
		}
	}
	slices.SortFunc(found, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
	return found
}

// updateProblems lists how the nth update breaks the rules every update
// must follow: no nil group, no two groups with the same Source, an
// address for every target.
func updateProblems(n int, groups []*discovery.Group) []string {
	var out []string
	seen := make(map[string]int, len(groups))
	for i, g := range groups {
		if g == nil {
			out = append(out, fmt.Sprintf("update %d: group %d is nil", n, i))
			continue
		}
		if j, dup := seen[g.Source]; dup {
			out = append(out, fmt.Sprintf("update %d: groups %d and %d have the same Source %q", n, j, i, g.Source))
		}
		seen[g.Source] = i
		for k, target := range g.Targets {
			if target[discovery.AddressLabel] == "" {
				out = append(out, fmt.Sprintf("update %d: group %q: target %d has no %s", n, g.Source, k, discovery.AddressLabel))
			}
		}
	}
	return out
}

// String describes groups compactly, one per line, for failure messages
// and examples: Source, then addresses, then labels.
func String(groups []*discovery.Group) string {
	var b strings.Builder
	for i, g := range groups {
		if i > 0 {
			b.WriteByte('\n')
		}
		if g == nil {
			b.WriteString("<nil>")
			continue
		}
		addrs := make([]string, len(g.Targets))
		for j, t := range g.Targets {
			addrs[j] = t[discovery.AddressLabel]
		}
		fmt.Fprintf(&b, "%s: %s", g.Source, strings.Join(addrs, " "))
		keys := slices.Sorted(maps.Keys(g.Labels))
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%q", k, g.Labels[k])
		}
	}
	return b.String()
}
