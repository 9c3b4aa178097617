package refresh_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/refresh"
)

// A poller built on refresh: the function lists what exists now, and the
// Discoverer sends the full set first, then only changes.
func ExampleNew() {
	calls := 0
	d, err := refresh.New(10*time.Millisecond, func(ctx context.Context) ([]*discovery.Group, error) {
		calls++
		addr := "10.0.0.1:80"
		if calls > 1 {
			addr = "10.0.0.2:80" // the backend moved
		}
		return []*discovery.Group{{Source: "svc", Targets: []discovery.Labels{{discovery.AddressLabel: addr}}}}, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	up := make(chan []*discovery.Group)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, up)
	}()
	fmt.Println(discoverytest.String(<-up))
	fmt.Println(discoverytest.String(<-up))
	cancel()
	<-done
	// Output:
	// svc: 10.0.0.1:80
	// svc: 10.0.0.2:80
}
