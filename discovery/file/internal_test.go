package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// fakeWatcher stands for fsnotify in tests that control time.
type fakeWatcher struct {
	events chan fsnotify.Event
	errs   chan error
	mu     sync.Mutex
	added  []string
	addErr func(dir string) error
	closed bool
}

func newFakeWatcher() *fakeWatcher {
	return &fakeWatcher{events: make(chan fsnotify.Event), errs: make(chan error)}
}

func (f *fakeWatcher) Add(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		if err := f.addErr(dir); err != nil {
			return err
		}
	}
	f.added = append(f.added, dir)
	return nil
}

// dirs returns the directories added so far, once every goroutine is
// blocked.
func (f *fakeWatcher) dirs() []string {
	synctest.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.added...)
}

func (f *fakeWatcher) Events() <-chan fsnotify.Event { return f.events }
func (f *fakeWatcher) Errors() <-chan error          { return f.errs }

func (f *fakeWatcher) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// harness runs a discoverer with a fake watcher inside a synctest bubble.
type harness struct {
	d        *discoverer
	w        *fakeWatcher
	up       chan []*discovery.Group
	mu       sync.Mutex
	reported []string
}

func newHarness(t *testing.T, cfg *Config, w *fakeWatcher, watchErr error) *harness {
	t.Helper()
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)
	h := &harness{d: d.(*discoverer), w: w, up: make(chan []*discovery.Group)}
	h.d.newWatcher = func() (watcher, error) {
		if watchErr != nil {
			return nil, watchErr
		}
		return w, nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	ctx = discovery.WithErrorReporter(ctx, func(err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.reported = append(h.reported, err.Error())
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.d.Run(ctx, h.up)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// next returns the update ready once every goroutine is blocked, rendered
// without directories and file path labels, or "none".
func (h *harness) next() string {
	synctest.Wait()
	select {
	case g := <-h.up:
		var lines []string
		for _, line := range strings.Split(discoverytest.String(g), "\n") {
			if i := strings.Index(line, " "+FilepathLabel); i >= 0 {
				line = line[:i]
			}
			if line != "" {
				line = filepath.Base(line)
			}
			lines = append(lines, line)
		}
		return strings.Join(lines, "\n")
	default:
		return "none"
	}
}

func (h *harness) errors() []string {
	synctest.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.reported
	h.reported = nil
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// The periodic reread finds changes that no event announced.
func TestRefreshIntervalIsABackstop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.json")
		writeFile(t, a, `[{"targets": ["a:1"]}]`)
		cfg := DefaultConfig()
		cfg.Files = []string{a}
		w := newFakeWatcher()
		h := newHarness(t, cfg, w, nil)
		require.Equal(t, "a.json:0: a:1", h.next())
		require.Equal(t, []string{dir}, w.dirs())

		writeFile(t, a, `[{"targets": ["a:2"]}]`)
		time.Sleep(5*time.Minute - time.Nanosecond)
		require.Equal(t, "none", h.next())
		time.Sleep(time.Nanosecond)
		require.Equal(t, "a.json:0: a:2", h.next())

		// An event rereads at once.
		writeFile(t, a, `[{"targets": ["a:3"]}]`)
		w.events <- fsnotify.Event{Name: a, Op: fsnotify.Write}
		require.Equal(t, "a.json:0: a:3", h.next())
		// Attribute changes do not.
		writeFile(t, a, `[{"targets": ["a:4"]}]`)
		w.events <- fsnotify.Event{Name: a, Op: fsnotify.Chmod}
		require.Equal(t, "none", h.next())
		require.Empty(t, h.errors())
	})
}

func TestBadFilesKeepLastGoodGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.yaml")
		writeFile(t, a, "- targets: [a:1]\n- targets: [b:1]\n")
		cfg := DefaultConfig()
		cfg.Files = []string{a}
		cfg.MaxFileSize = 64
		w := newFakeWatcher()
		h := newHarness(t, cfg, w, nil)
		require.Equal(t, "a.yaml:0: a:1\na.yaml:1: b:1", h.next())

		for _, bad := range []struct{ content, err string }{
			{"- targets: [a:1\n", "yaml:"},
			{"- target: [a:1]\n", `entry 0: discovery: group: line 1: unknown key "target" (did you mean "targets"?)`},
			{"- targets: ['']\n", "entry 0: discovery: group: targets[0]: empty target"},
			{"- ~\n", "entry 0 (line 1) is null"},
			{"targets: [a:1]\n", "line 1: want a YAML list of groups"},
			{" \n", "empty file; write [] for a file without targets"},
			{"- targets: [" + strings.Repeat("x", 100) + "]\n", "bytes, more than max_file_size (64)"},
		} {
			writeFile(t, a, bad.content)
			w.events <- fsnotify.Event{Name: a, Op: fsnotify.Write}
			require.Equal(t, "none", h.next(), "the last good groups stay: %q", bad.content)
			errs := h.errors()
			require.Len(t, errs, 1)
			require.Contains(t, errs[0], "file: "+a+": ")
			require.Contains(t, errs[0], bad.err)
		}
		writeFile(t, a, "[]")
		w.events <- fsnotify.Event{Name: a, Op: fsnotify.Write}
		require.Equal(t, "a.yaml:0: \na.yaml:1: ", h.next(), "an explicit empty list deletes")
		require.Empty(t, h.errors())
	})
}

// Without a watcher the files are still reread every interval; a
// directory that cannot be watched yet is reported once and retried.
func TestWatchFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.json")
		writeFile(t, a, `[{"targets": ["a:1"]}]`)
		cfg := DefaultConfig()
		cfg.Files = []string{a}
		h := newHarness(t, cfg, nil, errors.New("too many open files"))
		require.Equal(t, "a.json:0: a:1", h.next())
		require.Equal(t, []string{"file: cannot watch for changes, rereading every 5m0s only: too many open files"}, h.errors())
		writeFile(t, a, `[{"targets": ["a:2"]}]`)
		time.Sleep(5 * time.Minute)
		require.Equal(t, "a.json:0: a:2", h.next())
	})
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		later := filepath.Join(dir, "later")
		cfg := DefaultConfig()
		cfg.Files = []string{filepath.Join(later, "*.json")}
		w := newFakeWatcher()
		w.addErr = func(d string) error {
			if _, err := os.Stat(d); err != nil {
				return err
			}
			return nil
		}
		h := newHarness(t, cfg, w, nil)
		require.Equal(t, "", h.next(), "an empty first set")
		errs := h.errors()
		require.Len(t, errs, 1)
		require.Contains(t, errs[0], "file: cannot watch "+later)
		time.Sleep(5 * time.Minute)
		require.Equal(t, "none", h.next())
		require.Empty(t, h.errors(), "the same failure is reported once")

		require.NoError(t, os.Mkdir(later, 0o755))
		writeFile(t, filepath.Join(later, "x.json"), `[{"targets": ["x:1"]}]`)
		time.Sleep(5 * time.Minute)
		require.Equal(t, "x.json:0: x:1", h.next())
		require.Equal(t, []string{later}, w.dirs())

		// A watched directory that goes away is watched again once back.
		w.events <- fsnotify.Event{Name: later, Op: fsnotify.Remove}
		require.Equal(t, []string{later, later}, w.dirs())
	})
}

func TestParse(t *testing.T) {
	groups, err := parse([]byte(`[{"targets": ["a:1"], "labels": {"x": "y"}}, {"targets": []}]`), "json", 10)
	require.NoError(t, err)
	require.Len(t, groups, 2)
	require.Equal(t, discovery.Labels{"x": "y"}, groups[0].Labels)
	for _, bad := range []struct{ data, format, want string }{
		{`{"targets": []}`, "json", "want a JSON list of groups"},
		{`[null]`, "json", "entry 0 is null"},
		{" null ", "json", "want a JSON list of groups, got null"},
		{"null\n", "yaml", "want a YAML list of groups"},
		{`[] []`, "json", "trailing data"},
		{`[{"targets": ["a:1"], "x": 1}]`, "json", `entry 0: discovery: group: json: unknown field "x"`},
		{"\t\n", "json", "empty file"},
		{"[]", "toml", `unknown format "toml"`},
		{`[{"targets": ["a:1", "b:1", "c:1", "d:1", "e:1", "f:1"]}, {"targets": ["g:1", "h:1", "i:1", "j:1", "k:1"]}]`, "json", "11 targets, more than max_targets (10)"},
	} {
		_, err := parse([]byte(bad.data), bad.format, 10)
		require.ErrorContains(t, err, bad.want, bad.data)
	}
}

// FuzzParse checks that the file decoder never panics on either format and
// that what it accepts survives being written as YAML and parsed again.
// Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"targets": ["a:1"], "labels": {"env": "prod"}}]`), true)
	f.Add([]byte("- targets: [a:1]\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		format := "yaml"
		if isJSON {
			format = "json"
		}
		groups, err := parse(data, format, 1<<20)
		if err != nil {
			return
		}
		y, err := yaml.Marshal(groups)
		require.NoError(t, err)
		again, err := parse(y, "yaml", 1<<20)
		require.NoError(t, err, "%s", y)
		require.Len(t, again, len(groups))
		for i := range groups {
			require.True(t, groups[i].Equal(again[i]), "%s", y)
		}
	})
}
