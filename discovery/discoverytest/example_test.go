package discoverytest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// hostsConfig is a mechanism under test: fixed hosts, one group each.
type hostsConfig struct {
	Hosts []string `json:"hosts"`
}

func (*hostsConfig) Name() string { return "hosts" }

func (c *hostsConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return discovery.DiscovererFunc(func(ctx context.Context, up chan<- []*discovery.Group) {
		groups := []*discovery.Group{}
		for _, h := range c.Hosts {
			groups = append(groups, &discovery.Group{Source: h, Targets: []discovery.Labels{{discovery.AddressLabel: h + ":80"}}})
		}
		select {
		case up <- groups:
		case <-ctx.Done():
			return
		}
		<-ctx.Done()
	}), nil
}

// A mechanism's test runs its Config through the suite, then checks what
// it found. (The testing.RunTests call stands in for go test.)
func ExampleRun() {
	var found string
	testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: "TestHostsConformance",
		F: func(t *testing.T) {
			groups := discoverytest.Run(t, &hostsConfig{Hosts: []string{"b", "a"}})
			found = discoverytest.String(groups)
		},
	}})
	fmt.Println(found)
	// Output:
	// a: a:80
	// b: b:80
}

// A Mock drives a Manager by hand in a test of the code consuming it.
func ExampleMock() {
	mock := discoverytest.NewMock("backends")
	m, _ := discovery.NewManager(discovery.DefaultManagerOptions())
	_ = m.ApplyConfig(map[string]discovery.Configs{"api": {mock}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	_ = mock.Send(ctx, &discovery.Group{Source: "pod-1", Targets: []discovery.Labels{{discovery.AddressLabel: "10.0.0.1:80"}}})
	fmt.Println(discoverytest.String((<-m.SyncCh())["api"]))

	cancel()
	for range m.SyncCh() {
	}
	fmt.Println("run:", <-done)
	// Output:
	// pod-1: 10.0.0.1:80
	// run: <nil>
}

// A Recorder runs one discoverer and shows, in order, what it sent and
// what it reported. (The testing.RunTests call stands in for go test.)
func ExampleStart() {
	testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: "TestHostsOverTime",
		F: func(t *testing.T) {
			r := discoverytest.Start(t, &hostsConfig{Hosts: []string{"a"}})
			first, err := r.NextUpdate(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Println("first:", discoverytest.String(first))
			fmt.Println("now:", discoverytest.String(r.Groups()))
			r.Stop() // or let the test's cleanup stop it
			fmt.Println("events:", len(r.Events()))
		},
	}})
	// Output:
	// first: a: a:80
	// now: a: a:80
	// events: 1
}
