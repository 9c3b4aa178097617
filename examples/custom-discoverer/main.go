// Command custom-discoverer shows a third-party discovery mechanism from end
// to end: the inventory package registers the key inventory_sd_configs from
// its init function, a YAML configuration names it next to a static_configs
// entry, and a discovery.Manager runs both and sends their targets as
// snapshots.
//
// It needs no setup and no network: it writes a demo inventory directory (one
// file per host) into a temporary directory, then adds a host, removes one and
// breaks one while the Manager runs, printing every snapshot it receives and
// the error the broken file causes, and exits 0 in about a second:
//
//	go run ./examples/custom-discoverer
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	_ "github.com/ecopatterns/ecopatterns/examples/custom-discoverer/inventory" // registers inventory_sd_configs
	"github.com/ecopatterns/ecopatterns/telemetry"
)

// config is the discovery configuration: one target set, node_exporter,
// whose targets come from the inventory directory and from a static entry.
// %q is replaced by the directory.
const config = `
node_exporter:
  inventory_sd_configs:
    - dir: %q
      refresh_interval: 100ms # port: 9100 by default
  static_configs:
    - targets: ["localhost:9100"]
      labels: {role: self}
`

// waitTimeout bounds every wait for the Manager, so that a broken
// discoverer ends the program with an error instead of hanging it.
const waitTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it builds the demo inventory, runs a
// Manager over it until the demo's changes have been seen or ctx is
// cancelled, and writes what it received to out.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("custom-discoverer", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	dir, err := os.MkdirTemp("", "inventory")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := writeInventory(dir); err != nil {
		return err
	}
	sets, err := decodeSets(dir, out)
	if err != nil {
		return err
	}
	reg, reported, err := reportErrors()
	if err != nil {
		return err
	}

	opts := discovery.DefaultManagerOptions()
	opts.Telemetry = reg
	m, err := discovery.NewManager(opts)
	if err != nil {
		return err
	}
	if err := m.ApplyConfig(sets); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	// stop cancels the Manager and waits for Run, which waits for every
	// discoverer. However the demo ends, it runs once.
	stop := sync.OnceValue(func() error {
		cancel()
		for range m.SyncCh() { // closed when Run returns
		}
		return <-done
	})
	defer stop()

	if err := changeInventory(ctx, out, m, dir, reported); err != nil {
		return err
	}
	if err := stop(); err != nil {
		return err
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

// writeInventory writes the demo's first hosts into dir.
func writeInventory(dir string) error {
	for host, labels := range map[string]string{
		"web-1": "role: web\n",
		"web-2": "role: web\n",
		"db-1":  "role: db\nzone: b\n",
	} {
		if err := writeHost(dir, host, labels); err != nil {
			return err
		}
	}
	return nil
}

// decodeSets decodes config for the inventory in dir and prints which
// mechanisms each target set uses.
func decodeSets(dir string, out io.Writer) (map[string]discovery.Configs, error) {
	// Decoding finds inventory_sd_configs because importing the inventory
	// package registered it; a typo in the key or a field is an error here.
	var sets map[string]discovery.Configs
	if err := yaml.Unmarshal(fmt.Appendf(nil, config, dir), &sets); err != nil {
		return nil, err
	}
	for _, set := range slices.Sorted(maps.Keys(sets)) {
		var names []string
		for _, c := range sets[set] {
			names = append(names, c.Name())
		}
		fmt.Fprintf(out, "config: set %s from %s\n", set, strings.Join(names, ", "))
	}
	return sets, nil
}

// reportErrors returns a registry for the Manager and the channel on which
// it hands over the errors discoverers report.
func reportErrors() (*telemetry.Registry, <-chan string, error) {
	// The errors a discoverer reports with discovery.ReportError arrive as
	// ProviderErrored events; the handler hands them to the demo.
	reg, err := telemetry.New(telemetry.DefaultOptions())
	if err != nil {
		return nil, nil, err
	}
	reported := make(chan string, 1)
	err = reg.Attach("demo", []string{discovery.ProviderErrored.String()}, telemetry.HandlerFunc(func(_ context.Context, e *telemetry.Event) {
		provider, _ := e.Attr("provider")
		select { // never block the Manager
		case reported <- fmt.Sprintf("%s: %v", provider, e.Error()):
		default:
		}
	}))
	return reg, reported, err
}

// changeInventory waits for m to be ready and prints its first snapshot,
// then adds a host, removes one and breaks one, printing the snapshot or
// the reported error that each change causes, and the providers' states.
func changeInventory(ctx context.Context, out io.Writer, m *discovery.Manager, dir string, reported <-chan string) error {
	select {
	case <-m.Ready(): // every provider has sent its first set
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(waitTimeout):
		return errors.New("discovery not ready within " + waitTimeout.String())
	}
	if err := printNext(ctx, out, m, "first snapshot"); err != nil {
		return err
	}

	if err := writeHost(dir, "cache-1", "role: cache\n"); err != nil {
		return err
	}
	if err := printNext(ctx, out, m, "added host cache-1"); err != nil {
		return err
	}

	if err := os.Remove(filepath.Join(dir, "web-2")); err != nil {
		return err
	}
	if err := printNext(ctx, out, m, "removed host web-2"); err != nil {
		return err
	}

	// A file that does not parse: the discoverer reports it and keeps the
	// host's last good labels, so no snapshot follows.
	if err := writeHost(dir, "db-1", "role: [db\n"); err != nil {
		return err
	}
	select {
	case msg := <-reported:
		fmt.Fprintf(out, "-- broke host db-1: reported %s\n", msg)
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(waitTimeout):
		return errors.New("no error reported within " + waitTimeout.String())
	}
	for _, p := range m.Providers() {
		fmt.Fprintf(out, "provider %s: %s\n", p.Name, p.State)
	}
	return nil
}

// writeHost writes a host file the way the inventory package asks writers
// to: under a temporary name, renamed into place, so that a read never sees
// half a file.
func writeHost(dir, host, labels string) error {
	tmp := filepath.Join(dir, host+".tmp")
	if err := os.WriteFile(tmp, []byte(labels), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, host))
}

// printNext waits for the next snapshot and prints it under a heading.
func printNext(ctx context.Context, out io.Writer, m *discovery.Manager, heading string) error {
	select {
	case snapshot, ok := <-m.SyncCh():
		if !ok { // Run returned: ctx was cancelled
			return context.Cause(ctx)
		}
		fmt.Fprintf(out, "-- %s\n", heading)
		printSnapshot(out, snapshot)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(waitTimeout):
		return fmt.Errorf("%s: no snapshot within %s", heading, waitTimeout)
	}
}

// printSnapshot prints each set and its groups, one line per group: its
// Source, its targets' addresses, then its labels sorted by name.
func printSnapshot(out io.Writer, snapshot map[string][]*discovery.Group) {
	for _, set := range slices.Sorted(maps.Keys(snapshot)) {
		fmt.Fprintf(out, "%s:\n", set)
		for _, g := range snapshot[set] {
			var b strings.Builder
			fmt.Fprintf(&b, "  %s:", g.Source)
			for _, t := range g.Targets {
				b.WriteString(" " + t[discovery.AddressLabel])
			}
			for _, name := range slices.Sorted(maps.Keys(g.Labels)) {
				fmt.Fprintf(&b, " %s=%q", name, g.Labels[name])
			}
			fmt.Fprintln(out, b.String())
		}
	}
}
