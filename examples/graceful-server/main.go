// Command graceful-server is an HTTP server whose request handlers and
// background work run as tasks of a stopper.Stopper, and which shuts down
// with a deadline that names the tasks that did not stop in time.
//
//	go run ./examples/graceful-server          # a clean drain
//	go run ./examples/graceful-server -stuck   # a task ignores cancellation; Stop names it
//
// It serves on a free port of 127.0.0.1, sends itself a few requests and
// begins stopping while two of them are in flight. From then on new requests
// get 503 with Retry-After (a load balancer takes the server out of
// rotation), the in-flight ones finish, and the listener closes only after
// the last task returned. With -stuck a background task ignores its
// context, Stop returns a *stopper.StuckTasksError naming it when the
// deadline passes, and the program exits 1 once that task has returned.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// reportWork is how long /report works. It does not watch its context:
// it stands for work that must not be cut short, and finishes within the
// stop deadline.
const reportWork = time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, loopback(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// network is where the server listens and how the demo's client reaches
// it.
type network struct {
	listen func() (net.Listener, error)
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
}

// loopback is the program's network: a free port of 127.0.0.1. The tests
// use an in-memory one instead, on which the demo runs in a
// testing/synctest bubble and every deadline is exact.
func loopback() network {
	var d net.Dialer
	return network{
		listen: func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
		dial:   d.DialContext,
	}
}

// run is main without the process: it starts the server on nw, exercises
// it, stops it and writes what happened to out. It returns the stop's
// *stopper.StuckTasksError when a task outlived the deadline.
func run(ctx context.Context, nw network, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("graceful-server", flag.ContinueOnError)
	fs.SetOutput(out)
	deadline := fs.Duration("deadline", 2*time.Second, "how long the stop may take before it reports the tasks still running")
	stuck := fs.Bool("stuck", false, "start a background task that ignores cancellation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *deadline <= 0 {
		return fmt.Errorf("graceful-server: -deadline = %s: must be > 0", *deadline)
	}

	// The parent stopper owns the listener; its child owns the handlers and
	// the background work. The child drains first, so the server keeps
	// answering (with 503) until the last in-flight request has finished;
	// a parent's Stop alone would do the same, children first.
	opts := stopper.DefaultOptions()
	opts.Name = "graceful-server"
	s, err := stopper.New(opts)
	if err != nil {
		return err
	}
	// On an early return, stop what was started; after a full run this
	// returns at once.
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *deadline)
		defer cancel()
		_ = s.Stop(ctx)
	}()
	tasks, err := s.NewChild("tasks")
	if err != nil {
		return err
	}

	d := &demo{out: out, deadline: *deadline, s: s, tasks: tasks}
	if err := d.start(ctx, nw, *stuck); err != nil {
		return err
	}
	d.client = &http.Client{Transport: &http.Transport{DialContext: nw.dial}, Timeout: 10 * time.Second}
	defer d.client.CloseIdleConnections()
	fmt.Fprintln(out, "serving on", d.addr)
	fmt.Fprintln(out, "GET /hello:", get(d.client, d.url("/hello")))
	return d.stop(ctx)
}

// demo is the running server and what the demo needs to stop it.
type demo struct {
	out      io.Writer
	deadline time.Duration
	s, tasks *stopper.Stopper // the listener's stopper, and its child for the work
	addr     net.Addr
	started  chan string   // handlers announce themselves, so the demo knows what is in flight
	unstick  chan struct{} // closed to let the stuck task return
	client   *http.Client
}

// url returns the server's URL of path.
func (d *demo) url(path string) string { return "http://" + d.addr.String() + path }

// start serves on a new listener of nw and starts the background work: a
// periodic refresh, and with stuck a task that ignores its context.
func (d *demo) start(ctx context.Context, nw network, stuck bool) error {
	d.started = make(chan string, 4)
	d.unstick = make(chan struct{})
	ln, err := nw.listen()
	if err != nil {
		return err
	}
	d.addr = ln.Addr()
	srv := &http.Server{Handler: newMux(d.tasks, d.started), ReadHeaderTimeout: 5 * time.Second}
	if err := serve(ctx, d.s, srv, ln); err != nil {
		return err
	}

	// Background work, which ends by itself when the stopper quiesces.
	refresh := func(context.Context) { /* reload a cache */ }
	if err := d.tasks.RunPeriodic(ctx, "graceful-server.cache: refresh", 50*time.Millisecond, refresh); err != nil {
		return err
	}
	if stuck {
		return d.tasks.RunAsyncTask(ctx, "graceful-server.export: flush metrics", func(context.Context) {
			<-d.unstick // a bug: it never looks at its context
		})
	}
	return nil
}

// stop stops the server while two requests are in flight, in two steps
// under one deadline: drain the work (the server keeps answering, with
// 503), then close the listener. It reports the tasks that outlived the
// deadline, and then lets the stuck one return so that the listener closes
// in order.
func (d *demo) stop(ctx context.Context) error {
	inFlight := []string{"/report", "/watch"}
	answers := make([]string, len(inFlight))
	var wg sync.WaitGroup
	for i, path := range inFlight {
		wg.Go(func() { answers[i] = get(d.client, d.url(path)) })
		<-d.started
	}

	fmt.Fprintf(d.out, "stopping with a %s deadline; running: %s\n", d.deadline, describe(d.tasks.RunningTasks()))
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.deadline)
	defer cancel()
	began := time.Now()
	drained := make(chan error, 1)
	go func() { drained <- d.tasks.Stop(stopCtx) }()

	<-d.tasks.ShouldQuiesce()
	fmt.Fprintln(d.out, "GET /hello:", get(d.client, d.url("/hello")))

	drainErr := <-drained
	wg.Wait()
	for i, path := range inFlight {
		fmt.Fprintf(d.out, "GET %s: %s\n", path, answers[i])
	}

	var stuckErr *stopper.StuckTasksError
	if errors.As(drainErr, &stuckErr) {
		fmt.Fprintf(d.out, "stop deadline exceeded (%v); still running:\n", errors.Unwrap(stuckErr))
		for _, t := range stuckErr.Tasks {
			fmt.Fprintf(d.out, "  %q in %q for %s, started at %s\n", t.Name, t.Stopper, t.Age.Round(100*time.Millisecond), t.Location)
		}
		// The drain goes on in the background. A real service would log
		// the report (stuckErr.Stacks holds the task goroutines' stacks)
		// and exit; the demo lets the stuck task return, so that the
		// listener closes in order.
		close(d.unstick)
		<-d.tasks.IsStopped()
		cancel()
		stopCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), d.deadline)
		defer cancel()
	} else if drainErr != nil {
		return drainErr
	}
	// The demo's client is done; a connection it opened but never used
	// would otherwise hold up Shutdown for the grace period.
	d.client.CloseIdleConnections()
	if err := d.s.Stop(stopCtx); err != nil {
		return err
	}
	if stuckErr != nil {
		fmt.Fprintln(d.out, "stopped once the stuck task returned: listener closed")
		return stuckErr
	}
	fmt.Fprintf(d.out, "stopped cleanly in %s: every task returned, listener closed\n", time.Since(began).Round(100*time.Millisecond))
	return nil
}

// serve runs srv on ln as tasks of s. Serve returns when the server shuts
// down, which happens when s quiesces: after s's children have drained.
func serve(ctx context.Context, s *stopper.Stopper, srv *http.Server, ln net.Listener) error {
	if err := s.RunAsyncTask(ctx, "graceful-server.http: serve", func(context.Context) { _ = srv.Serve(ln) }); err != nil {
		ln.Close()
		return err
	}
	return s.RunAsyncTask(ctx, "graceful-server.http: shut down on quiesce", func(ctx context.Context) {
		<-ctx.Done()
		// Every request task has returned by now, so Shutdown waits only
		// for 503 answers being written. It also waits up to 5s for
		// connections that never sent a request (browsers open them
		// ahead of time); the grace period cuts that short.
		grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := srv.Shutdown(grace); err != nil {
			_ = srv.Close()
		}
	})
}

// newMux returns the server's routes, each handler a task of tasks.
func newMux(tasks *stopper.Stopper, started chan<- string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /hello", handle(tasks, "graceful-server.http: /hello", func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	mux.Handle("GET /report", handle(tasks, "graceful-server.http: /report", func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		announce(started, "/report")
		time.Sleep(reportWork) // stands for work that must finish once begun
		fmt.Fprintln(w, "report ready")
	}))
	// A long poll: it waits for a change, and ends early, with an answer,
	// when the server shuts down.
	mux.Handle("GET /watch", handle(tasks, "graceful-server.http: /watch", func(ctx context.Context, w http.ResponseWriter, r *http.Request) {
		announce(started, "/watch")
		t := time.NewTimer(30 * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintln(w, "no change")
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), stopper.ErrQuiescing) {
				fmt.Fprintln(w, "no change before shutdown; poll another server")
			}
		}
	}))
	return mux
}

// handle runs h as a task of tasks, with the request's context cancelled
// also when tasks quiesces. Once tasks quiesces it answers 503 instead.
func handle(tasks *stopper.Stopper, name string, h func(context.Context, http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := tasks.RunTask(r.Context(), name, func(ctx context.Context) { h(ctx, w, r) })
		if errors.Is(err, stopper.ErrUnavailable) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("Connection", "close")
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		}
	})
}

// announce tells the demo that a request is running, without ever blocking
// the handler.
func announce(started chan<- string, path string) {
	select {
	case started <- path:
	default:
	}
}

// get returns the status, body and any Retry-After of a GET, or the error.
func get(client *http.Client, url string) string {
	resp, err := client.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	answer := fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		answer += " (Retry-After: " + ra + ")"
	}
	return answer
}

// describe lists running tasks as "name" or "name xN", sorted by name:
// tasks that started at the same instant have no oldest among them, and
// the list reads the same in every run.
func describe(infos []stopper.TaskInfo) string {
	parts := make([]string, len(infos))
	for i, ti := range infos {
		parts[i] = ti.Name
		if ti.Count > 1 {
			parts[i] += fmt.Sprintf(" x%d", ti.Count)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
