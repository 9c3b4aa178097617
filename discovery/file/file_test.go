package file_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/file"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func write(t *testing.T, path, content string) {
	t.Helper()
	// Write beside, then rename: readers never see half a file.
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o644))
	require.NoError(t, os.Rename(tmp, path))
}

func config(files ...string) *file.Config {
	c := file.DefaultConfig()
	c.Files = files
	return c
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.json"), `[{"targets": ["a:1", "b:1"], "labels": {"env": "prod"}}, {"targets": []}]`)
	write(t, filepath.Join(dir, "b.yml"), "- targets: [c:1]\n")
	write(t, filepath.Join(dir, "ignored.txt"), "not matched")
	groups := discoverytest.Run(t, config(filepath.Join(dir, "*.json"), filepath.Join(dir, "b.yml"), filepath.Join(dir, "missing.yaml")))
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.yml")
	require.Equal(t, a+":0: a:1 b:1 "+file.FilepathLabel+"="+`"`+a+`"`+` env="prod"`+"\n"+
		b+":0: c:1 "+file.FilepathLabel+"="+`"`+b+`"`, discoverytest.String(groups))
}

// run runs a discoverer of cfg and returns its updates and reported
// errors.
type run struct {
	up       chan []*discovery.Group
	mu       sync.Mutex
	reported []error
	onReport chan struct{} // signalled on every report
}

func start(t *testing.T, cfg *file.Config) *run {
	t.Helper()
	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
	require.NoError(t, err)
	r := &run{up: make(chan []*discovery.Group), onReport: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	ctx = discovery.WithErrorReporter(ctx, func(err error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.reported = append(r.reported, err)
		select {
		case r.onReport <- struct{}{}:
		default:
		}
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, r.up)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r
}

// next waits for the next update; fsnotify delivers in milliseconds, and
// the timeout only bounds a failure.
func (r *run) next(t *testing.T) string {
	t.Helper()
	select {
	case g := <-r.up:
		return discoverytest.String(g)
	case <-time.After(10 * time.Second):
		t.Fatal("no update")
		return ""
	}
}

// waitError waits until a reported error contains want and returns all
// reported errors as errors does.
func (r *run) waitError(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if got := r.errors(); strings.Contains(got, want) {
			return got
		}
		select {
		case <-r.onReport:
		case <-timeout:
			t.Fatalf("no reported error contains %q: %s", want, r.errors())
		}
	}
}

func (r *run) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, e := range r.reported {
		s = append(s, e.Error())
	}
	return strings.Join(s, "\n")
}

// addrs strips the file path label from a rendering, for brevity.
func addrs(s, dir string) string {
	s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, " "+file.FilepathLabel); i >= 0 {
			line = line[:i]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestWatchesChanges(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	write(t, a, `[{"targets": ["a:1"]}, {"targets": ["b:1"]}]`)
	r := start(t, config(filepath.Join(dir, "*.json")))
	require.Equal(t, "a.json:0: a:1\na.json:1: b:1", addrs(r.next(t), dir))

	write(t, a, `[{"targets": ["a:2"]}, {"targets": ["b:1"]}]`)
	require.Equal(t, "a.json:0: a:2", addrs(r.next(t), dir), "only the changed group")

	write(t, filepath.Join(dir, "new.json"), `[{"targets": ["n:1"]}]`)
	require.Equal(t, "new.json:0: n:1", addrs(r.next(t), dir), "a new file matching the pattern")

	write(t, a, `[{"targets": ["a:2"]}]`)
	require.Equal(t, "a.json:1: ", addrs(r.next(t), dir), "a shrunk file deletes its missing groups")

	require.NoError(t, os.Remove(a))
	require.Equal(t, "a.json:0: ", addrs(r.next(t), dir), "a removed file deletes its groups")
	require.Empty(t, r.errors())
}

func TestConfigValidation(t *testing.T) {
	c := file.Config{Files: []string{"", "x.txt", "dir*/x.json", "[.json"}}
	_, err := c.NewDiscoverer(discovery.DiscovererOptions{})
	for _, want := range []string{
		`files[0] = "": must not be empty`,
		`files[1] = "x.txt": must end in .json, .yml or .yaml`,
		`files[2] = "dir*/x.json": may hold a * in its last path element only`,
		`files[3] = "[.json": is not a valid pattern`,
		"refresh_interval = 0s: must be > 0",
		"max_file_size = 0: must be > 0",
		"max_targets = 0: must be > 0",
	} {
		require.ErrorContains(t, err, want)
	}
	_, err = (&file.Config{RefreshInterval: time.Second, MaxFileSize: 1, MaxTargets: 1}).NewDiscoverer(discovery.DiscovererOptions{})
	require.ErrorContains(t, err, "files = []: must list at least one file or pattern")
	require.NoError(t, config("/etc/targets/*.JSON", "a.yml", "b.YAML").Validate())
}

func TestDecodeFromYAML(t *testing.T) {
	var cs discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(`
file_sd_configs:
  - files: [/etc/targets/*.json]
  - files: [a.yaml]
    refresh_interval: 30s
    max_file_size: 1024
`), &cs))
	require.Equal(t, &file.Config{Files: []string{"/etc/targets/*.json"}, RefreshInterval: 5 * time.Minute, MaxFileSize: 16 << 20, MaxTargets: 100_000}, cs[0])
	require.Equal(t, &file.Config{Files: []string{"a.yaml"}, RefreshInterval: 30 * time.Second, MaxFileSize: 1024, MaxTargets: 100_000}, cs[1])
	err := yaml.Unmarshal([]byte("file_sd_configs: [{files: [a.txt]}]"), &cs)
	require.ErrorContains(t, err, `discovery: file_sd_configs[0]: options: files[0] = "a.txt": must end in .json, .yml or .yaml`)
	err = yaml.Unmarshal([]byte("file_sd_configs: [{file: [a.json]}]"), &cs)
	require.ErrorContains(t, err, `unknown field "file" (did you mean "files"?)`)
}
