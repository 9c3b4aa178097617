package file_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/file" // registers file_sd_configs
)

// Targets listed in a file, configured under file_sd_configs and served by
// a Manager. Editing the file (by renaming a new version over it) changes
// the targets within milliseconds.
func Example() {
	dir, _ := os.MkdirTemp("", "targets")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "web.json")
	_ = os.WriteFile(path, []byte(`[{"targets": ["web-1:8080", "web-2:8080"], "labels": {"env": "prod"}}]`), 0o644)

	var sets map[string]discovery.Configs
	config := fmt.Sprintf("web:\n  file_sd_configs:\n    - files: [%q]\n", filepath.Join(dir, "*.json"))
	if err := yaml.Unmarshal([]byte(config), &sets); err != nil {
		fmt.Println(err)
		return
	}
	m, _ := discovery.NewManager(discovery.DefaultManagerOptions())
	_ = m.ApplyConfig(sets)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	snapshot := <-m.SyncCh()
	fmt.Println(filepath.ToSlash(strings.ReplaceAll(discoverytest.String(snapshot["web"]), dir, "DIR")))

	tmp := path + ".tmp"
	_ = os.WriteFile(tmp, []byte(`[{"targets": ["web-3:8080"]}]`), 0o644)
	_ = os.Rename(tmp, path)
	snapshot = <-m.SyncCh()
	fmt.Println(filepath.ToSlash(strings.ReplaceAll(discoverytest.String(snapshot["web"]), dir, "DIR")))

	cancel()
	for range m.SyncCh() {
	}
	fmt.Println("run:", <-done)
	// Output:
	// DIR/web.json:0: web-1:8080 web-2:8080 __meta_filepath="DIR/web.json" env="prod"
	// DIR/web.json:0: web-3:8080 __meta_filepath="DIR/web.json"
	// run: <nil>
}

// DefaultConfig returns the *Config that goes into discovery.Configs as it
// is, holding the defaults a decoded entry starts from.
func ExampleDefaultConfig() {
	cfg := file.DefaultConfig()
	cfg.Files = []string{"/etc/targets/*.json"}
	sets := map[string]discovery.Configs{"web": {cfg}}
	fmt.Println(sets["web"][0].Name(), cfg.RefreshInterval, cfg.MaxFileSize, cfg.MaxTargets)
	// Output:
	// file 5m0s 16777216 100000
}
