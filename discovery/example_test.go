package discovery_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

// printSnapshot prints a snapshot's sets in name order.
func printSnapshot(s map[string][]*discovery.Group) {
	for _, set := range slices.Sorted(maps.Keys(s)) {
		fmt.Printf("%s:\n", set)
		if len(s[set]) == 0 {
			fmt.Println("  (no targets)")
		}
		for _, line := range strings.Split(discoverytest.String(s[set]), "\n") {
			if line != "" {
				fmt.Println("  " + line)
			}
		}
	}
}

// Static targets from a YAML configuration: decode target sets into
// Configs, apply them, and read the full state once every provider has
// sent its first set.
func Example() {
	const config = `
web:
  static_configs:
    - targets: ["web-1:8080", "web-2:8080"]
      labels: {tier: frontend}
db:
  static_configs:
    - targets: ["db-1:5432"]
`
	var sets map[string]discovery.Configs
	if err := yaml.Unmarshal([]byte(config), &sets); err != nil {
		fmt.Println(err)
		return
	}
	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.ApplyConfig(sets); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	<-m.Ready()
	printSnapshot(<-m.SyncCh())

	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// db:
	//   0: db-1:5432
	// web:
	//   0: web-1:8080 web-2:8080 tier="frontend"
	// run: <nil>
}

// clusterConfig is a third-party mechanism: a list of node names resolved
// to addresses at a port. Registering it in init makes the key
// cluster_sd_configs known to every Configs decoder.
type clusterConfig struct {
	Nodes []string `json:"nodes" yaml:"nodes"`
	Port  int      `json:"port" yaml:"port"`
}

func init() {
	// The prototype holds the defaults: port 9100 unless configured.
	discovery.RegisterConfig(&clusterConfig{Port: 9100})
}

func (*clusterConfig) Name() string { return "cluster" }

func (c *clusterConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if len(c.Nodes) == 0 {
		return nil, fmt.Errorf("cluster: nodes: must not be empty")
	}
	return &clusterDiscoverer{nodes: slices.Clone(c.Nodes), port: fmt.Sprint(c.Port)}, nil
}

// clusterDiscoverer sends one group per node, then waits for
// cancellation. A real one would watch its cluster and send changes.
type clusterDiscoverer struct {
	nodes []string
	port  string
}

var _ discovery.Discoverer = (*clusterDiscoverer)(nil)

func (d *clusterDiscoverer) Run(ctx context.Context, up chan<- []*discovery.Group) {
	groups := []*discovery.Group{}
	for _, n := range d.nodes {
		groups = append(groups, &discovery.Group{
			Source:  "cluster/" + n,
			Targets: []discovery.Labels{{discovery.AddressLabel: net.JoinHostPort(n, d.port)}},
			Labels:  discovery.Labels{discovery.MetaLabelPrefix + "cluster_node": n},
		})
	}
	select { // the contract: every send selects on ctx.Done()
	case up <- groups:
	case <-ctx.Done():
		return
	}
	<-ctx.Done() // returning earlier would count as a failure
}

// A third-party discoverer, registered from init, configured by its key
// cluster_sd_configs like any built-in one.
func Example_customDiscoverer() {
	var sets map[string]discovery.Configs
	err := yaml.Unmarshal([]byte(`
nodes:
  cluster_sd_configs:
    - nodes: [alpha, beta]
`), &sets)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("decoded: %+v\n", *sets["nodes"][0].(*clusterConfig))

	m, _ := discovery.NewManager(discovery.DefaultManagerOptions())
	_ = m.ApplyConfig(sets)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	printSnapshot(<-m.SyncCh())
	fmt.Println("provider:", m.Providers()[0].Name, m.Providers()[0].State)
	cancel()
	<-done

	// A typo in the key is caught, with a suggestion.
	err = yaml.Unmarshal([]byte("nodes: {clster_sd_configs: []}"), &sets)
	fmt.Println(strings.SplitN(err.Error(), ";", 2)[0])
	// Output:
	// decoded: {Nodes:[alpha beta] Port:9100}
	// nodes:
	//   cluster/alpha: alpha:9100 __meta_cluster_node="alpha"
	//   cluster/beta: beta:9100 __meta_cluster_node="beta"
	// provider: cluster/0 running
	// discovery: unknown configuration key "clster_sd_configs" (line 1) (did you mean "cluster_sd_configs"?)
}

// A consumer keeps, per set, the latest groups SyncCh sent, and replaces
// everything it knew about a set with each snapshot. Changes sent in a
// burst arrive as one snapshot.
func ExampleManager_SyncCh() {
	opts := discovery.DefaultManagerOptions()
	opts.UpdateInterval = 500 * time.Millisecond // bursts within it are coalesced
	m, _ := discovery.NewManager(opts)
	api := discoverytest.NewMock("api")
	_ = m.ApplyConfig(map[string]discovery.Configs{"api": {api}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Run(ctx) }()

	target := func(addr string) *discovery.Group {
		return &discovery.Group{Source: "pod", Targets: []discovery.Labels{{discovery.AddressLabel: addr}}}
	}
	_ = api.Send(ctx, target("10.0.0.1:80"))
	printSnapshot(<-m.SyncCh()) // the first change is sent at once

	_ = api.Send(ctx, target("10.0.0.2:80"))
	_ = api.Send(ctx, target("10.0.0.3:80"))
	_ = api.Send(ctx, &discovery.Group{Source: "pod"}) // no targets: deletes the group
	printSnapshot(<-m.SyncCh())                        // the burst, coalesced

	cancel()
	for range m.SyncCh() { // closed when Run returns
	}
	fmt.Println("run:", <-done)
	// Output:
	// api:
	//   pod: 10.0.0.1:80
	// api:
	//   (no targets)
	// run: <nil>
}
