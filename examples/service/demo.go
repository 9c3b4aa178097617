package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ecopatterns/ecopatterns/stopper"
)

// demoHost is the host name that the prober's HTTP client routes to the
// demo server.
const demoHost = "demo"

// demoHandler serves the demo endpoints: /healthy and /ready answer at
// once, /slow never answers (it holds the request until the prober gives
// up), /flaky answers 429 with Retry-After every other time, /unavailable
// always answers 503 with Retry-After, and /gone answers 404.
func demoHandler() http.Handler {
	var flaky atomic.Int64
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }
	mux.HandleFunc("GET /healthy", ok)
	mux.HandleFunc("GET /ready", ok)
	// An answer after some time would race the probe's timeout on a busy
	// machine; a target that never answers is slow however fast the
	// machine is. The request's context ends when the prober hangs up, or
	// when the server closes.
	mux.HandleFunc("GET /slow", func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /flaky", func(w http.ResponseWriter, _ *http.Request) {
		if flaky.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	return mux
}

// serveDemo serves the demo endpoints on ln under s: the server closes when
// s quiesces. It waits for a request's header as long as a probe waits
// for the answer.
func serveDemo(ctx context.Context, s *stopper.Stopper, ln net.Listener, timeout time.Duration) error {
	srv := &http.Server{Handler: demoHandler(), ReadHeaderTimeout: timeout}
	if err := s.RunAsyncTask(ctx, "prober.demo: serve", func(context.Context) { _ = srv.Serve(ln) }); err != nil {
		ln.Close()
		return err
	}
	return s.RunAsyncTask(ctx, "prober.demo: close on quiesce", func(ctx context.Context) {
		<-ctx.Done()
		_ = srv.Close()
	})
}

// demoDialer dials the demo server for the host demoHost and the network
// otherwise.
func demoDialer(demoAddr string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err == nil && host == demoHost && demoAddr != "" {
			addr = demoAddr
		}
		return d.DialContext(ctx, network, addr)
	}
}
