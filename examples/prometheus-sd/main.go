// Command prometheus-sd reads the scrape_configs of a Prometheus
// configuration file, as Prometheus users already have it, and runs the
// service discovery of every job under one ecopatterns discovery.Manager:
// Consul and Kubernetes through discovery/promsd, file_sd_configs and
// static_configs natively. It prints each job's targets whenever they
// change.
//
// With no -config it runs a demonstration: a fake Consul agent on
// 127.0.0.1, a targets file, and a prometheus.yml that uses both, then a
// service appearing in Consul and a target added to the file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/discovery/consul"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/file" // file_sd_configs, natively
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "prometheus-sd:", err)
		os.Exit(1)
	}
}

func init() {
	// The mechanisms this program understands besides the native ones.
	for _, err := range []error{
		promsd.Register(&consul.SDConfig{}, promsd.DefaultOptions()),
		promsd.Register(&kubernetes.SDConfig{}, promsd.DefaultOptions()),
	} {
		if err != nil {
			panic(err)
		}
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("prometheus-sd", flag.ContinueOnError)
	configPath := fs.String("config", "", "Prometheus configuration file; empty runs the demonstration")
	duration := fs.Duration("duration", 0, "stop after this long (0: until interrupted, or the end of the demonstration)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	if *configPath == "" {
		return demo(ctx, out)
	}
	sets, err := loadScrapeConfigs(*configPath)
	if err != nil {
		return err
	}
	return watch(ctx, sets, out, nil)
}

// loadScrapeConfigs reads the service discovery sections of every job of a
// Prometheus configuration file: the keys static_configs and
// <name>_sd_configs of each scrape_configs entry, decoded unchanged. The
// other keys of a job (scrape_interval, relabel_configs, ...) are
// Prometheus's business and are skipped; the other top-level sections too.
func loadScrapeConfigs(path string) (map[string]discovery.Configs, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		ScrapeConfigs []yaml.Node `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sets := make(map[string]discovery.Configs)
	for i := range file.ScrapeConfigs {
		job := &file.ScrapeConfigs[i]
		if job.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: line %d: a scrape config is a mapping", path, job.Line)
		}
		name := ""
		sd := &yaml.Node{Kind: yaml.MappingNode}
		for k := 0; k+1 < len(job.Content); k += 2 {
			key := job.Content[k].Value
			switch {
			case key == "job_name":
				name = job.Content[k+1].Value
			case key == "static_configs" || strings.HasSuffix(key, "_sd_configs"):
				sd.Content = append(sd.Content, job.Content[k], job.Content[k+1])
			}
		}
		if name == "" {
			return nil, fmt.Errorf("%s: line %d: scrape config without job_name", path, job.Line)
		}
		var cfgs discovery.Configs
		if err := sd.Decode(&cfgs); err != nil {
			return nil, fmt.Errorf("%s: job %q: %w", path, name, err)
		}
		// Relative paths resolve against the file's directory, as in
		// Prometheus.
		setDirectory(cfgs, filepath.Dir(path))
		sets[name] = cfgs
	}
	return sets, nil
}

// setDirectory joins the relative paths of cfgs with dir: those of the
// Prometheus mechanisms (kubeconfig_file, tls_config.ca_file, ...) and the
// file patterns of file_sd_configs.
func setDirectory(cfgs discovery.Configs, dir string) {
	promsd.SetDirectory(cfgs, dir)
	for _, c := range cfgs {
		if fc, ok := c.(*file.Config); ok {
			for i, f := range fc.Files {
				if !filepath.IsAbs(f) {
					fc.Files[i] = filepath.Join(dir, f)
				}
			}
		}
	}
}

// watch runs sets under one Manager and prints every snapshot until ctx is
// cancelled. Each time a snapshot shows what settled accepts, watch calls
// next; when next returns false, watch stops.
func watch(ctx context.Context, sets map[string]discovery.Configs, out io.Writer, settled func(map[string][]*discovery.Group) (next bool)) error {
	opts := discovery.DefaultManagerOptions()
	m, err := discovery.NewManager(opts)
	if err != nil {
		return err
	}
	if err := m.ApplyConfig(sets); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for {
		select {
		case snapshot := <-m.SyncCh():
			if settled != nil {
				if !settled(snapshot) {
					cancel()
				}
				continue
			}
			print(out, snapshot)
		case err := <-done:
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
	}
}

// print writes each job's targets, sorted, one per line with the labels
// a reader relabels on.
func print(out io.Writer, snapshot map[string][]*discovery.Group) {
	for _, job := range slices.Sorted(maps.Keys(snapshot)) {
		var lines []string
		for _, g := range snapshot[job] {
			for _, t := range g.Targets {
				line := t[discovery.AddressLabel]
				for _, l := range []string{"__meta_consul_service", "__meta_consul_health", "__meta_filepath", "env"} {
					v, ok := t[l]
					if !ok {
						v, ok = g.Labels[l]
					}
					if ok {
						if l == "__meta_filepath" {
							v = filepath.Base(v)
						}
						line += " " + strings.TrimPrefix(l, "__meta_") + "=" + v
					}
				}
				lines = append(lines, line)
			}
		}
		slices.Sort(lines)
		fmt.Fprintf(out, "%s: %d targets\n", job, len(lines))
		for _, l := range lines {
			fmt.Fprintln(out, "  "+l)
		}
	}
}

// waitFor is how long the demonstration waits for a change to show.
const waitFor = 30 * time.Second
