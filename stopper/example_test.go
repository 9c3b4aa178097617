package stopper_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// A server whose accept loop and connections are tasks: Stop refuses new
// work, cancels what runs, waits for it, then closes the listener.
func Example_server() {
	s, err := stopper.New(stopper.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})}
	ctx := context.Background()
	_ = s.RunAsyncTask(ctx, "example.server: serve", func(ctx context.Context) {
		_ = srv.Serve(ln) // returns when the server is shut down
	})
	// When the stopper quiesces, shut the server down; Serve then returns,
	// and its task with it.
	_ = s.RunAsyncTask(ctx, "example.server: shutdown on quiesce", func(ctx context.Context) {
		<-ctx.Done()
		_ = srv.Shutdown(context.WithoutCancel(ctx))
	})
	s.AddCloser(stopper.CloserFn(func() { fmt.Println("closed after every task returned") }))

	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get("http://" + ln.Addr().String())
	if err == nil {
		resp.Body.Close()
		fmt.Println("status:", resp.StatusCode)
	}
	client.CloseIdleConnections()

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	fmt.Println("stop:", s.Stop(stopCtx))
	// Output:
	// status: 200
	// closed after every task returned
	// stop: <nil>
}

// A worker pool: at most 2 jobs run at once, and submitting waits for a slot.
func ExampleNewLimiter() {
	s, _ := stopper.New(stopper.DefaultOptions())
	lim, _ := stopper.NewLimiter(2)
	var running, peak atomic.Int32
	for i := range 6 {
		err := s.RunAsyncTaskEx(context.Background(), stopper.TaskOpts{
			Name:           fmt.Sprintf("example.pool: job %d", i),
			Limiter:        lim,
			WaitForLimiter: true,
		}, func(ctx context.Context) {
			n := running.Add(1)
			if n > peak.Load() {
				peak.Store(n)
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	_ = s.Stop(context.Background())
	fmt.Println("peak concurrency <= 2:", peak.Load() <= 2)
	// Once stopped, every Run* is refused.
	err := s.RunAsyncTask(context.Background(), "example.pool: late", func(context.Context) {})
	fmt.Println(errors.Is(err, stopper.ErrUnavailable))
	// Output:
	// peak concurrency <= 2: true
	// true
}

// Stop with a deadline names the task that ignores its context.
func ExampleStopper_Stop() {
	s, _ := stopper.New(stopper.DefaultOptions())
	release := make(chan struct{})
	_ = s.RunAsyncTask(context.Background(), "example.cache: refresh", func(context.Context) {
		<-release // ignores ctx: a bug Stop reports
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := s.Stop(ctx)
	var stuck *stopper.StuckTasksError
	if errors.As(err, &stuck) {
		fmt.Println("stuck:", stuck.Tasks[0].Name, errors.Is(err, context.DeadlineExceeded))
	}
	close(release)
	<-s.IsStopped()
	// Output:
	// stuck: example.cache: refresh true
}

// The defer s.Stop(ctx) idiom, with a deadline: Stop runs on every return
// path, a task that ignores its context cannot hang the return, and Stop's
// error is read rather than dropped.
func Example_deferStop() {
	s, err := stopper.New(stopper.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			fmt.Println("stop:", err)
			return
		}
		fmt.Println("stopped")
	}()
	s.AddCloser(stopper.CloserFn(func() { fmt.Println("closed") }))
	done := make(chan struct{})
	err = s.RunAsyncTask(context.Background(), "example.worker: loop", func(ctx context.Context) {
		close(done)
		<-ctx.Done() // until the deferred Stop quiesces s
		fmt.Println("worker: quiescing")
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-done
	fmt.Println("working")
	// Output:
	// working
	// worker: quiescing
	// closed
	// stopped
}
