package memnet_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/internal/memnet"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// An HTTP server and its client on the network run on the bubble's clock:
// a handler that works an hour answers exactly an hour later.
func TestHTTPOnTheBubblesClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		ln, err := n.Listen()
		require.NoError(t, err)
		require.Equal(t, "memory:1", ln.Addr().String())
		srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Hour)
			fmt.Fprint(w, "done")
		})}
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		client := &http.Client{Transport: &http.Transport{DialContext: n.DialContext}, Timeout: 2 * time.Hour}
		defer client.CloseIdleConnections()

		start := time.Now()
		resp, err := client.Get("http://" + ln.Addr().String() + "/work")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, "done", string(body))
		require.Equal(t, time.Hour, time.Since(start))

		client.CloseIdleConnections()
		require.NoError(t, srv.Shutdown(t.Context()))
		require.ErrorIs(t, <-served, http.ErrServerClosed)
	})
}

// A dial reaches only an open listener at its address; others are
// refused, as on a real network.
func TestDialRefusedWithoutListener(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		_, err := n.DialContext(t.Context(), "tcp", "memory:1")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)

		a, err := n.Listen()
		require.NoError(t, err)
		b, err := n.Listen()
		require.NoError(t, err)
		require.Equal(t, "memory:2", b.Addr().String())
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := b.Accept()
			if err == nil {
				accepted <- c
			}
		}()
		c, err := n.DialContext(t.Context(), "tcp", "memory:2")
		require.NoError(t, err)
		s := <-accepted
		go func() { _, _ = c.Write([]byte("hi")) }()
		buf := make([]byte, 2)
		_, err = io.ReadFull(s, buf)
		require.NoError(t, err)
		require.Equal(t, "hi", string(buf))
		require.NoError(t, c.Close())
		require.NoError(t, s.Close())

		require.NoError(t, a.Close())
		require.Error(t, a.Close(), "a second close")
		_, err = a.Accept()
		require.ErrorIs(t, err, net.ErrClosed)
		_, err = n.DialContext(t.Context(), "tcp", "memory:1")
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
		require.NoError(t, b.Close())
	})
}

// A dial waits for Accept, and gives up when its context ends; one that
// waits when the listener closes is refused.
func TestDialWaitsForAccept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n memnet.Network
		ln, err := n.Listen()
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err = n.DialContext(ctx, "tcp", "memory:1")
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, time.Minute, time.Since(start))

		refused := make(chan error, 1)
		go func() {
			_, err := n.DialContext(t.Context(), "tcp", "memory:1")
			refused <- err
		}()
		synctest.Wait()
		require.NoError(t, ln.Close())
		require.ErrorIs(t, <-refused, syscall.ECONNREFUSED)
	})
}
