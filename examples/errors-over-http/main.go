// Command errors-over-http shows errors crossing HTTP hops as data: with
// their code, hint and whole cause chain, so that a caller two services away
// branches on what went wrong, never on a message.
//
//	go run ./examples/errors-over-http
//
// Two net/http services run on 127.0.0.1: inventory reserves stock, orders
// places orders by calling inventory. Both answer failures with
// errprio.WriteHTTP and read them with errprio.ReadHTTP. Orders retries
// what errprio.Retryable says may succeed, backorders when the error is
// inventory's ErrOutOfStock sentinel (matched with errors.Is after the hop),
// and relays everything else, wrapped with its own context. The program then
// places four orders as a user would and prints what came back.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	// cockroachdb/errors, which errprio encodes with, matches sentinels
	// on decoded errors (by type and message) and attaches hints.
	"github.com/cockroachdb/errors"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// ErrOutOfStock is the inventory's sentinel for a product it has none of.
// Callers on the far side of an HTTP hop match it with errors.Is.
var ErrOutOfStock = errors.New("inventory: out of stock")

// How orders retries: at most maxAttempts calls to inventory per order,
// waiting backoff << attempt before each retry.
const (
	maxAttempts = 3
	backoff     = 5 * time.Millisecond
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, loopback(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// network is where the services listen and how their clients reach them.
type network struct {
	listen func() (net.Listener, error)
	dial   func(ctx context.Context, network, addr string) (net.Conn, error)
}

// loopback is the program's network: free ports of 127.0.0.1. The tests
// use an in-memory one instead, on which the program runs in a
// testing/synctest bubble and no timeout depends on the machine's speed.
func loopback() network {
	var d net.Dialer
	return network{
		listen: func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
		dial:   d.DialContext,
	}
}

// run is main without the process: it starts both services on nw, places
// the orders and writes what each returned to out.
func run(ctx context.Context, nw network, out io.Writer) error {
	inv := &inventory{conflicts: map[string]int{"lamp": 2, "sofa": maxAttempts}}
	invURL, stopInv, err := start(nw, inv)
	if err != nil {
		return err
	}
	defer stopInv()
	invClient := &http.Client{Transport: &http.Transport{DialContext: nw.dial}, Timeout: 5 * time.Second}
	defer invClient.CloseIdleConnections()
	ordURL, stopOrd, err := start(nw, &orders{inventory: invURL, client: invClient})
	if err != nil {
		return err
	}
	defer stopOrd()

	client := &http.Client{Transport: &http.Transport{DialContext: nw.dial}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	for _, sku := range []string{"lamp", "chair", "sofa", "desk"} {
		fmt.Fprintf(out, "order %s:\n", sku)
		if err := placeOrder(ctx, client, ordURL, sku, out); err != nil {
			return err
		}
	}
	return nil
}

// placeOrder is the user's side: it places one order and branches on the
// error's code, as any consumer two hops away can.
func placeOrder(ctx context.Context, client *http.Client, ordersURL, sku string, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ordersURL+"/orders?sku="+url.QueryEscape(sku), nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	orderErr := errprio.ReadHTTP(resp)
	if orderErr == nil {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
		return nil
	}
	f := errprio.Flatten(orderErr)
	fmt.Fprintf(out, "  %d %s=%s: %v\n", resp.StatusCode, errprio.HeaderCode, resp.Header.Get(errprio.HeaderCode), orderErr)
	fmt.Fprintf(out, "  code %s (%s), retryable %t, hint %q\n", f.Code, f.Priority, f.Retryable, f.Hint)
	for _, s := range errprio.Suppressed(orderErr) {
		fmt.Fprintf(out, "  also failed: %v (%s)\n", s, errprio.CodeOf(s))
	}
	if errprio.Retryable(orderErr) {
		fmt.Fprintln(out, "  user: try again later")
	} else {
		fmt.Fprintln(out, "  user: report it; trying again will not help")
	}
	return nil
}

// inventory reserves stock. Its failures carry codes, hints and causes.
type inventory struct {
	mu sync.Mutex
	// conflicts is how many more reservations of a product fail with a
	// write conflict, as when other orders race for the same stock.
	conflicts map[string]int
}

func (inv *inventory) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sku := r.URL.Query().Get("sku")
	if err := inv.reserve(sku); err != nil {
		_ = errprio.WriteHTTP(w, err)
		return
	}
	fmt.Fprintf(w, "reserved %s\n", sku)
}

func (inv *inventory) reserve(sku string) error {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	switch {
	case inv.conflicts[sku] > 0:
		inv.conflicts[sku]--
		err := errors.WithHint(errors.Wrapf(errors.New("write conflict on stock row"), "reserve %s", sku),
			"another order is reserving the same stock")
		return errprio.WithCode(err, errprio.CodeSerializationFailure)
	case sku == "chair":
		err := errors.WithHint(errors.Wrapf(ErrOutOfStock, "reserve %s", sku), "restock expected on Tuesday")
		return errprio.WithCode(err, errprio.CodeNoData)
	case sku == "desk":
		// A desk is reserved part by part in two warehouses at once.
		// Combine surfaces the failure that decides what to do next (a
		// bug beats a conflict: retrying cannot fix it) and keeps the
		// other.
		return errprio.Combine(
			errprio.WithCode(errors.Newf("reserve desk top: warehouse east: write conflict"), errprio.CodeSerializationFailure),
			errprio.WithCode(errors.WithHint(errors.Newf("reserve desk legs: warehouse west: stock count %d below zero", -3),
				"the stock table is corrupt; page the inventory team"), errprio.CodeInternal),
		)
	}
	return nil
}

// orders places orders by reserving stock in inventory.
type orders struct {
	inventory string
	client    *http.Client
}

func (o *orders) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sku := r.URL.Query().Get("sku")
	for attempt := 1; ; attempt++ {
		err := o.reserve(ctx, sku)
		switch {
		case err == nil:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "order placed: %s reserved on attempt %d\n", sku, attempt)
		case errors.Is(err, ErrOutOfStock):
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprintf(w, "order backordered: %v (%s)\n", err, errprio.Flatten(err).Hint)
		case errprio.Retryable(err) && attempt < maxAttempts:
			t := time.NewTimer(backoff << attempt)
			select {
			case <-t.C:
				continue
			case <-ctx.Done():
				t.Stop()
				_ = errprio.WriteHTTP(w, errprio.WithCode(context.Cause(ctx), errprio.CodeQueryCanceled))
			}
		default:
			_ = errprio.WriteHTTP(w, errors.Wrapf(err, "place order for %s, attempt %d", sku, attempt))
		}
		return
	}
}

// reserve asks inventory to reserve one sku and returns the error it
// answered with, decoded whole.
func (o *orders) reserve(ctx context.Context, sku string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.inventory+"/reserve?sku="+url.QueryEscape(sku), nil)
	if err != nil {
		return err
	}
	resp, err := o.client.Do(req)
	if err != nil {
		// Inventory could not be reached: say so with a code that tells
		// callers a retry may succeed.
		return errprio.WithCode(err, errprio.CodeCannotConnectNow)
	}
	defer resp.Body.Close()
	if err := errprio.ReadHTTP(resp); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// start serves h on a new listener of nw and returns its URL and a
// function that shuts it down.
func start(nw network, h http.Handler) (string, func(), error) {
	ln, err := nw.listen()
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	stop := func() {
		_ = srv.Close()
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}
