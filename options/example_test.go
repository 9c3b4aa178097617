package options_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ecopatterns/ecopatterns/options"
)

// PoolOptions is how a package declares its configuration.
type PoolOptions struct {
	// Workers is the number of concurrent workers; it must be > 0.
	Workers int `usage:"number of concurrent workers"`
	// Timeout bounds each job; 0 means no deadline.
	Timeout time.Duration `usage:"per-job deadline (0: none)"`
	// Queue configures the backlog.
	Queue QueueOptions
}

// QueueOptions is a nested options struct with its own rules.
type QueueOptions struct {
	Capacity int `usage:"jobs held before Submit blocks"`
}

// DefaultOptions returns a fresh, fully populated value.
func DefaultOptions() PoolOptions {
	return PoolOptions{Workers: 4, Timeout: 30 * time.Second, Queue: QueueOptions{Capacity: 128}}
}

// Validate reports every bad field at once.
func (o PoolOptions) Validate() error {
	var c options.Collector
	options.Positive(&c, "Workers", o.Workers)
	options.NonNegative(&c, "Timeout", o.Timeout)
	c.Nested("Queue", o.Queue.Validate())
	return c.Err()
}

// Validate checks the queue on its own.
func (o QueueOptions) Validate() error {
	var c options.Collector
	options.InRange(&c, "Capacity", o.Capacity, 1, 1<<20)
	return c.Err()
}

// The idiom: start from DefaultOptions, change what you need, Validate.
// Every broken field is reported, each with its path.
func Example() {
	opts := DefaultOptions()
	opts.Workers = 0
	opts.Timeout = -time.Second
	opts.Queue.Capacity = 0
	fmt.Println(opts.Validate())
	// Output:
	// options: Workers = 0: must be > 0
	// options: Timeout = -1s: must be >= 0
	// options: Queue.Capacity = 0: must be between 1 and 1048576
}

func ExampleDiff() {
	opts := DefaultOptions()
	opts.Workers = 16
	fmt.Println("non-default options:", options.Diff(DefaultOptions(), opts))
	// Output:
	// non-default options: Workers=16 (default 4)
}

func ExampleBindFlags() {
	opts := DefaultOptions()
	fs := flag.NewFlagSet("pool", flag.ContinueOnError)
	if err := options.BindFlags(fs, "pool", &opts); err != nil {
		fmt.Println(err)
		return
	}
	fs.VisitAll(func(f *flag.Flag) { fmt.Printf("-%s (default %s): %s\n", f.Name, f.DefValue, f.Usage) })
	if err := fs.Parse([]string{"-pool.workers=8", "-pool.queue.capacity", "512"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(opts.Workers, opts.Queue.Capacity)
	// Output:
	// -pool.queue.capacity (default 128): jobs held before Submit blocks
	// -pool.timeout (default 30s): per-job deadline (0: none)
	// -pool.workers (default 4): number of concurrent workers
	// 8 512
}

func ExampleLoadEnv() {
	os.Setenv("POOL_WORKERS", "6")
	os.Setenv("POOL_QUEUE_CAPACTIY", "64") // a typo is reported, not ignored
	defer os.Unsetenv("POOL_WORKERS")
	defer os.Unsetenv("POOL_QUEUE_CAPACTIY")

	opts := DefaultOptions()
	err := options.LoadEnv("POOL", &opts)
	fmt.Println(opts.Workers)
	fmt.Println(err)
	// Output:
	// 6
	// options: environment variable POOL_QUEUE_CAPACTIY matches no field (did you mean "POOL_QUEUE_CAPACITY"?)
}

func ExampleLoadJSON() {
	opts := DefaultOptions()
	err := options.LoadJSON(strings.NewReader(`{"workers": 2, "queue": {"capacity": 16}}`), &opts)
	fmt.Println(err, opts.Workers, opts.Timeout, opts.Queue.Capacity)

	err = options.LoadJSON(strings.NewReader(`{"wrokers": 2}`), &opts)
	fmt.Println(err)
	// Output:
	// <nil> 2 30s 16
	// options: LoadJSON: unknown key "wrokers" at the top level (did you mean "Workers"?)
}

func ExampleCollector_NestedKey() {
	queues := map[string]QueueOptions{"mail": {Capacity: 0}}
	var c options.Collector
	for name, q := range queues {
		c.NestedKey("Queues", name, q.Validate())
	}
	fmt.Println(c.Err())
	// Output:
	// options: Queues["mail"].Capacity = 0: must be between 1 and 1048576
}
