// Command service is a small uptime prober that composes every ecopatterns
// package in one process:
//
//   - options: Options come from DefaultOptions, then environment variables
//     (PROBER_*), then flags; they are validated before anything starts, and
//     the fields that differ from the defaults are logged once.
//   - discovery: the targets are the union of static_configs (the -targets
//     flag) and a file_sd_configs file, targets.json in the state directory,
//     written on the first run. Editing that file while the prober runs adds
//     or removes targets at once.
//   - testmode: every round inserts one probe job per target into a
//     MemoryEngine. A failed probe is retried with a backoff that reads the
//     error (a 429 or 503 with Retry-After waits as long as the target asks);
//     a permanent failure cancels the job.
//   - errprio: probe failures carry codes, some registered by this program.
//     When several probes of a round fail, the round's line names the one
//     that matters most (errprio.Highest), in its consumer-facing form
//     (errprio.Flatten).
//   - fileops: the state directory is opened with fileops.Open (a lock, and
//     recovery of what an earlier crash left, logged), and the latest result
//     of every target is written atomically to state.json after each round.
//   - stopper: every goroutine runs under one Stopper. SIGINT, SIGTERM or the
//     end of -duration stop it with a deadline, and the run ends with a
//     summary.
//   - telemetry: events are printed by a slog handler: one line per round,
//     or every event of every package with -v.
//
// With no flags it probes endpoints of an HTTP server it starts on
// 127.0.0.1, reached under the host name "demo" (two healthy, one slow, one
// rate-limited every other time, one unavailable, one gone), so it needs no
// network and no set-up, and exits 0 after five seconds:
//
//	go run ./examples/service
//	go run ./examples/service -v -duration=10s -state-dir=/tmp/prober
//	PROBER_INTERVAL=2s go run ./examples/service -targets=https://example.com
//
// With a -state-dir that outlives the run, edit targets.json while the
// prober runs, and start it again to see it read the previous state.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/options"
)

// Options configures the prober.
type Options struct {
	// Targets are URLs probed in addition to those of the targets file
	// (discovery's static_configs). URLs on the host "demo" reach the demo
	// server.
	Targets []string `usage:"comma-separated URLs to probe besides those of targets.json"`
	// Demo starts the demo server and routes the host name "demo" to it.
	Demo bool `usage:"serve the demo endpoints under the host name demo"`
	// StateDir holds targets.json and state.json. Empty means a new
	// temporary directory, removed at exit.
	StateDir string `usage:"directory for targets.json and state.json (empty: a temporary one)"`
	// Duration is how long to run; 0 means until SIGINT or SIGTERM. It must
	// not be negative.
	Duration time.Duration `usage:"how long to run (0: until interrupted)"`
	// Interval is the time between probe rounds; it must be > 0.
	Interval time.Duration `usage:"time between probe rounds"`
	// Timeout bounds one probe; it must be > 0 and shorter than Interval.
	Timeout time.Duration `usage:"deadline of one probe"`
	// MaxAttempts is how many times a failing probe is tried; it must be
	// > 0.
	MaxAttempts int `usage:"attempts of a failing probe before it is given up"`
	// Concurrency is how many probes run at once; it must be > 0.
	Concurrency int `usage:"probes running at once"`
	// StopTimeout bounds the stop at the end of the run; it must be > 0.
	StopTimeout time.Duration `usage:"deadline of the final stop"`
	// Verbose logs every event of every package, not one line per round.
	Verbose bool `usage:"log every telemetry event (also -v)"`
	// Discovery configures the discovery manager.
	Discovery discovery.ManagerOptions
}

// DefaultOptions returns the prober's defaults: the demo targets, a round
// every second for five seconds.
func DefaultOptions() Options {
	return Options{
		Targets:     []string{"http://demo/healthy", "http://demo/ready"},
		Demo:        true,
		Duration:    5 * time.Second,
		Interval:    time.Second,
		Timeout:     300 * time.Millisecond,
		MaxAttempts: 2,
		Concurrency: 4,
		StopTimeout: 5 * time.Second,
		Discovery:   discovery.DefaultManagerOptions(),
	}
}

// Validate reports every bad field.
func (o Options) Validate() error {
	var c options.Collector
	for i, t := range o.Targets {
		if err := checkTarget(t); err != nil {
			c.Add(fmt.Sprintf("Targets[%d]", i), t, err.Error())
		}
	}
	options.NonNegative(&c, "Duration", o.Duration)
	options.Positive(&c, "Interval", o.Interval)
	options.Positive(&c, "Timeout", o.Timeout)
	if o.Timeout > 0 && o.Interval > 0 && o.Timeout >= o.Interval {
		c.Add("Timeout", o.Timeout, fmt.Sprintf("must be shorter than Interval (%s)", o.Interval))
	}
	options.Positive(&c, "MaxAttempts", o.MaxAttempts)
	options.Positive(&c, "Concurrency", o.Concurrency)
	options.Positive(&c, "StopTimeout", o.StopTimeout)
	c.Nested("Discovery", o.Discovery.Validate())
	return c.Err()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], environment{out: os.Stdout}); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage is printed
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process: it reads the options from the
// environment variables and args, runs the prober until Duration passes or
// ctx ends, and writes the log and the summary to env.out.
func run(ctx context.Context, args []string, env environment) error {
	opts, err := parseOptions(args, env.out)
	if err != nil {
		return err
	}
	svc, err := start(ctx, opts, env)
	if err != nil {
		return err
	}
	svc.loop(ctx)
	sum, err := svc.stop(ctx)
	// The summary says what ran, also when the stop missed its deadline:
	// then err names the tasks that were stuck.
	sum.print(env.out)
	return err
}

// parseOptions applies the environment, then the flags, to the defaults,
// and validates the result.
func parseOptions(args []string, out io.Writer) (Options, error) {
	opts := DefaultOptions()
	if err := options.LoadEnv(envPrefix, &opts); err != nil {
		return opts, err
	}
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := options.BindFlags(fs, "", &opts); err != nil {
		return opts, err
	}
	optionFlags := flagNames(fs) // every option, before the shorthand
	fs.BoolVar(&opts.Verbose, "v", opts.Verbose, "short for -verbose")
	fs.Usage = func() { printUsage(fs, optionFlags) }
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("service: unexpected argument %q (options are flags)", fs.Arg(0))
	}
	return opts, opts.Validate()
}

// envPrefix starts the names of the environment variables LoadEnv reads.
const envPrefix = "PROBER"

// flagNames returns the names of the flags defined in fs, sorted.
func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// envName returns the environment variable that LoadEnv reads for the
// option whose flag BindFlags named flagName: both spell the field path,
// the flag in lower kebab case with dots, the variable in upper snake case.
func envName(flagName string) string {
	return envPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(flagName))
}

// printUsage writes the flags and, for the options among them, the
// environment variables that set them.
func printUsage(fs *flag.FlagSet, optionFlags []string) {
	out := fs.Output()
	fmt.Fprintf(out, "Usage of %s:\n", fs.Name())
	fs.PrintDefaults()
	fmt.Fprintf(out, "\nEnvironment: every option can also be set by a variable, which the flag overrides.\n"+
		"Every %s_* variable must name an option: a typo stops the program instead of being ignored.\n", envPrefix)
	width := 0
	for _, name := range optionFlags {
		width = max(width, len(envName(name)))
	}
	for _, name := range optionFlags {
		fmt.Fprintf(out, "  %-*s  -%s\n", width, envName(name), name)
	}
}
