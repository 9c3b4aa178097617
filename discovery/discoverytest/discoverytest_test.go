package discoverytest_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeT records failures. Fatalf ends the calling goroutine, as testing.T
// does.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	logs     []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func (f *fakeT) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

// check runs the suite on fn with a fake T and returns its failures.
func check(fn func(ctx context.Context, up chan<- []*discovery.Group)) (failures, logs []string) {
	f := &fakeT{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		discoverytest.Run(f, funcConfig{fn})
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f.failures, f.logs
}

type funcConfig struct {
	fn func(ctx context.Context, up chan<- []*discovery.Group)
}

func (funcConfig) Name() string { return "probe" }

func (c funcConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if c.fn == nil {
		return nil, errors.New("no function")
	}
	return discovery.DiscovererFunc(c.fn), nil
}

func target(source, addr string) *discovery.Group {
	return &discovery.Group{Source: source, Targets: []discovery.Labels{{discovery.AddressLabel: addr}}}
}

// good follows the contract.
func good(ctx context.Context, up chan<- []*discovery.Group) {
	select {
	case up <- []*discovery.Group{target("b", "b:1"), target("a", "a:1"), {Source: "empty"}}:
	case <-ctx.Done():
		return
	}
	<-ctx.Done()
}

func TestAcceptsAConformingDiscoverer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		failures, _ := check(good)
		require.Empty(t, failures)
	})
	groups := discoverytest.Run(t, funcConfig{good})
	require.Equal(t, "a: a:1\nb: b:1", discoverytest.String(groups))
}

// In a synctest bubble, where t.Run panics, Run judges every rule in t.
func TestRunsInASynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		groups := discoverytest.Run(t, funcConfig{good})
		require.Equal(t, "a: a:1\nb: b:1", discoverytest.String(groups))
	})
}

// A violation is a discoverer that breaks a rule of the contract, and the
// start of the failure Run reports, which names the rule.
type violation struct {
	name string
	fn   func(ctx context.Context, up chan<- []*discovery.Group) // nil: NewDiscoverer fails
	want string
}

// violations returns at least one violation of every rule. It builds them
// afresh for each test, as some count their runs.
func violations() []violation {
	return []violation{
		{"closes instead of sending", func(ctx context.Context, up chan<- []*discovery.Group) {
			close(up)
			<-ctx.Done()
		}, "rule FirstFullSet: closed its channel instead of sending a first full set"},
		{"returns at once", func(ctx context.Context, up chan<- []*discovery.Group) {}, "rule FirstFullSet: Run returned before its context was cancelled"},
		{"never sends", func(ctx context.Context, up chan<- []*discovery.Group) { <-ctx.Done() }, "rule FirstFullSet: no first send within 10s"},
		{"nil first send", func(ctx context.Context, up chan<- []*discovery.Group) {
			select {
			case up <- nil:
			case <-ctx.Done():
			}
			<-ctx.Done()
		}, "rule FirstFullSet: the first send is a nil slice"},
		{"nil group", func(ctx context.Context, up chan<- []*discovery.Group) {
			select {
			case up <- []*discovery.Group{nil}:
			case <-ctx.Done():
			}
			<-ctx.Done()
		}, "rule WellFormedUpdates: update 1: group 0 is nil"},
		{"duplicate sources", func(ctx context.Context, up chan<- []*discovery.Group) {
			select {
			case up <- []*discovery.Group{target("s", "a:1"), target("s", "b:1")}:
			case <-ctx.Done():
			}
			<-ctx.Done()
		}, `rule WellFormedUpdates: update 1: groups 0 and 1 have the same Source "s"`},
		{"no address", func(ctx context.Context, up chan<- []*discovery.Group) {
			select {
			case up <- []*discovery.Group{{Source: "s", Targets: []discovery.Labels{{"x": "y"}}}}:
			case <-ctx.Done():
			}
			<-ctx.Done()
		}, `rule WellFormedUpdates: update 1: group "s": target 0 has no __address__`},
		{"ignores ctx when sending", func(ctx context.Context, up chan<- []*discovery.Group) {
			up <- []*discovery.Group{}
			up <- []*discovery.Group{target("a", "a:1")} // no select: blocks until cleanup receives
		}, "rule ReturnsWhenCancelled: Run did not return within 10s of its context being cancelled"},
		{"closes when cancelled", func(ctx context.Context, up chan<- []*discovery.Group) {
			defer close(up)
			good(ctx, up)
		}, "rule NeverClosesChannel: closed its channel; the contract says never close it"},
		{"sends on a cancelled context", func() func(ctx context.Context, up chan<- []*discovery.Group) {
			calls := 0
			return func(ctx context.Context, up chan<- []*discovery.Group) {
				calls++
				if calls == 2 {
					up <- []*discovery.Group{} // blocks: nobody receives
					return
				}
				good(ctx, up)
			}
		}(), "rule CancelledBeforeRun: Run given a cancelled context did not return within 10s"},
		{"left behind, sending", leaves(true), "rule NothingSentAfterReturn: sent after Run returned"},
		{"left behind, silent", leaves(false), "rule NoGoroutineLeft: goroutines left behind after Run returned"},
		{"NewDiscoverer fails", nil, "rule NewDiscoverer: NewDiscoverer: no function"},
	}
}

// leaves follows the contract on its first run but leaves a goroutine
// behind that, when sends is set, sends after Run returned. The goroutine
// ends after leftoverLife, for which a test in a synctest bubble waits.
const leftoverLife = time.Hour

func leaves(sends bool) func(ctx context.Context, up chan<- []*discovery.Group) {
	calls := 0
	return func(ctx context.Context, up chan<- []*discovery.Group) {
		calls++
		good(ctx, up)
		if calls > 1 {
			return
		}
		go func() {
			if sends {
				time.Sleep(time.Millisecond)
				select {
				case up <- []*discovery.Group{}:
				case <-time.After(leftoverLife):
				}
			}
			time.Sleep(leftoverLife)
		}()
	}
}

func TestCatchesViolations(t *testing.T) {
	for _, c := range violations() {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				failures, _ := check(c.fn)
				require.NotEmpty(t, failures)
				require.Contains(t, strings.Join(failures, "\n"), c.want)
				time.Sleep(2 * leftoverLife) // the goroutines leaves starts end
			})
		})
	}
}

// Every rule in Run's table has a violation above that proves it can fail.
func TestEveryRuleCanFail(t *testing.T) {
	broken := map[string]bool{}
	for _, c := range violations() {
		name, _, ok := strings.Cut(strings.TrimPrefix(c.want, "rule "), ":")
		require.True(t, ok && strings.HasPrefix(c.want, "rule "), "%s: want names no rule: %q", c.name, c.want)
		broken[name] = true
	}
	for _, name := range discoverytest.RuleNames() {
		require.True(t, broken[name], "no violation breaks rule %s", name)
	}
	require.Len(t, broken, len(discoverytest.RuleNames()), "a violation names a rule that is not in the table")
}

func TestLogsReportedErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, logs := check(func(ctx context.Context, up chan<- []*discovery.Group) {
			discovery.ReportError(ctx, fmt.Errorf("backend slow"))
			good(ctx, up)
		})
		require.Equal(t, []string{"discoverytest: probe reported: backend slow"}, logs)
	})
}

func TestMock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mock := discoverytest.NewMock("m")
		m, err := discovery.NewManager(discovery.DefaultManagerOptions())
		require.NoError(t, err)
		require.NoError(t, m.ApplyConfig(map[string]discovery.Configs{"a": {mock}, "b": {discoverytest.NewMock("m")}}))
		require.Len(t, m.Providers(), 1, "mocks with the same id are one provider")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		require.NoError(t, mock.Send(ctx, target("x", "x:1")))
		synctest.Wait()
		s := <-m.SyncCh()
		require.Equal(t, "x: x:1", discoverytest.String(s["a"]))
		require.Equal(t, "x: x:1", discoverytest.String(s["b"]))
		require.Equal(t, 1, mock.Runs())

		short, stop := context.WithCancel(ctx)
		stop()
		require.ErrorIs(t, mock.Send(short), context.Canceled)
		cancel()
		require.NoError(t, <-done)
	})
}

func TestString(t *testing.T) {
	require.Equal(t, "s: a:1 b:1 x=\"1\"\n<nil>", discoverytest.String([]*discovery.Group{
		{Source: "s", Targets: []discovery.Labels{{discovery.AddressLabel: "a:1"}, {discovery.AddressLabel: "b:1"}}, Labels: discovery.Labels{"x": "1"}},
		nil,
	}))
}

// Run's doc comment lists every rule of the table, by name, in its order.
func TestRunDocListsTheRules(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "discoverytest.go", nil, parser.ParseComments)
	require.NoError(t, err)
	var listed []string
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "Run" && fd.Recv == nil {
			for _, line := range strings.Split(fd.Doc.Text(), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok {
					name, _, _ := strings.Cut(rest, ":")
					listed = append(listed, name)
				}
			}
		}
	}
	require.Equal(t, discoverytest.RuleNames(), listed)
}
