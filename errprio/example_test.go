package errprio_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/cockroachdb/errors"

	"github.com/ecopatterns/ecopatterns/errprio"
)

// A client retries while the error says a retry can succeed, and stops at
// the first error that says it cannot.
func ExampleRetryable() {
	attempts := 0
	transfer := func() error {
		attempts++
		switch attempts {
		case 1, 2:
			return errprio.WithCode(fmt.Errorf("transfer: %w", stderrors.New("write conflict on account 7")), errprio.CodeSerializationFailure)
		default:
			return errprio.WithCode(stderrors.New("transfer: amount must be positive"), errprio.CodeInvalidInput)
		}
	}
	for attempt := 1; attempt <= 5; attempt++ {
		err := transfer()
		if err == nil {
			break
		}
		if !errprio.Retryable(err) {
			fmt.Printf("attempt %d: giving up: %v (%s)\n", attempt, err, errprio.CodeOf(err))
			break
		}
		fmt.Printf("attempt %d: retrying: %v (%s)\n", attempt, err, errprio.CodeOf(err))
	}
	// Output:
	// attempt 1: retrying: transfer: write conflict on account 7 (40001)
	// attempt 2: retrying: transfer: write conflict on account 7 (40001)
	// attempt 3: giving up: transfer: amount must be positive (22023)
}

// Parallel calls fail in different ways; the caller surfaces the one that
// decides what to do next. Retrying is pointless here: one replica hit a
// bug, which a retry cannot fix.
func ExampleHighest() {
	replicas := []func() error{
		func() error {
			return errprio.WithCode(stderrors.New("replica 1: write conflict"), errprio.CodeSerializationFailure)
		},
		func() error { return nil },
		func() error {
			return errprio.WithCode(stderrors.New("replica 3: checksum mismatch"), errprio.CodeInternal)
		},
		func() error { return errprio.WithCode(stderrors.New("replica 4: range not found"), errprio.CodeNoData) },
	}
	errs := make([]error, len(replicas))
	var wg sync.WaitGroup
	for i, call := range replicas {
		wg.Go(func() { errs[i] = call() })
	}
	wg.Wait()

	top := errprio.Highest(errs...)
	fmt.Println("surfaced:", top, "|", errprio.CodeOf(top), errprio.PriorityOf(top), "| retry:", errprio.Retryable(top))

	// Combine surfaces the same error and keeps the others.
	all := errprio.Combine(errs...)
	fmt.Println("combined:", all, "| suppressed:", len(errprio.Suppressed(all)))
	// Output:
	// surfaced: replica 3: checksum mismatch | XX000 internal | retry: false
	// combined: replica 3: checksum mismatch | suppressed: 2
}

// ErrOutOfStock is a sentinel of the inventory service. errors.Is from
// cockroachdb/errors recognizes it on the far side of the wire.
var ErrOutOfStock = stderrors.New("inventory: out of stock")

// An error crosses two HTTP hops, client -> orders -> inventory, and
// arrives with its cause chain, code, hint and sentinel identity intact.
func Example_httpHop() {
	inventory := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := errors.WithHint(errors.Wrapf(ErrOutOfStock, "reserve %s", "sku-42"), "restock expected tomorrow")
		_ = errprio.WriteHTTP(w, errprio.WithCode(err, errprio.CodeNoData))
	}))
	invClient := inventory.Client()

	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, inventory.URL, nil)
		resp, err := invClient.Do(req)
		if err != nil {
			_ = errprio.WriteHTTP(w, errprio.WithCode(err, errprio.CodeCannotConnectNow))
			return
		}
		defer resp.Body.Close()
		if err := errprio.ReadHTTP(resp); err != nil {
			_ = errprio.WriteHTTP(w, fmt.Errorf("place order 7: %w", err))
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	client := orders.Client()

	resp, err := client.Post(orders.URL, "text/plain", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = errprio.ReadHTTP(resp)
	resp.Body.Close()

	fmt.Println("status:", resp.StatusCode, "header:", resp.Header.Get(errprio.HeaderCode))
	fmt.Println("error:", err)
	fmt.Println("out of stock:", errors.Is(err, ErrOutOfStock))
	f := errprio.Flatten(err)
	fmt.Println("code:", f.Code, "hint:", f.Hint, "retry:", f.Retryable)

	// Close the servers and the connections their clients keep.
	client.CloseIdleConnections()
	orders.Close()
	invClient.CloseIdleConnections()
	inventory.Close()
	// Output:
	// status: 404 header: 02000
	// error: place order 7: reserve sku-42: inventory: out of stock
	// out of stock: true
	// code: 02000 hint: restock expected tomorrow retry: false
}

// A node that does not know an error's type still ranks it, and relays it
// unchanged: the code travels in errprio's own wrapper. Bytes that are not
// an encoding come back as an error of their own, a *WireError with code
// XX000.
func ExampleDecode() {
	ctx := context.Background()
	data, err := errprio.Encode(ctx, errprio.WithCode(fmt.Errorf("commit: %w", stderrors.New("lease expired")), errprio.CodeCannotConnectNow))
	if err != nil {
		fmt.Println(err)
		return
	}
	decoded := errprio.Decode(ctx, data)
	fmt.Println(decoded, "|", errprio.CodeOf(decoded), "| retry:", errprio.Retryable(decoded))
	again, _ := errprio.Encode(ctx, decoded)
	fmt.Println("relayed byte for byte:", string(again) == string(data))

	bad := errprio.Decode(ctx, data[:len(data)-3])
	var wireErr *errprio.WireError
	fmt.Println(stderrors.As(bad, &wireErr), errprio.CodeOf(bad), wireErr.Offset)
	fmt.Println(bad)
	// Output:
	// commit: lease expired | 57P03 | retry: true
	// relayed byte for byte: true
	// true XX000 1
	// errprio: decode: malformed encoding at byte 1: length runs past the end of the enclosing message
}

// A relay or a test reads the code and the priority its sender put on
// the wire; a code made here has none.
func ExampleWireCode() {
	ctx := context.Background()
	local := errprio.WithCode(stderrors.New("gone"), errprio.CodeNoData)
	data, _ := errprio.Encode(ctx, local)
	code, sent, ok := errprio.WireCode(errprio.Decode(ctx, data))
	fmt.Println(code, sent, ok)
	code, _, ok = errprio.WireCode(local)
	fmt.Println(code, ok)
	// Output:
	// 02000 unambiguous true
	// 02000 false
}
