package dns_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
	"github.com/ecopatterns/ecopatterns/discovery/dns"
)

// staticResolver answers every A lookup with the same addresses.
type staticResolver []netip.Addr

func (r staticResolver) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no SRV records here", IsNotFound: true}
}

func (r staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

// A records with a port, decoded from YAML; the resolver is replaced so
// that the example needs no network.
func ExampleConfig() {
	var cs discovery.Configs
	err := yaml.Unmarshal([]byte(`
dns_sd_configs:
  - names: [db.internal]
    type: A
    port: 5432
`), &cs)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := cs[0].(*dns.Config)
	fmt.Println("refresh every", cfg.RefreshInterval)
	cfg.Resolver = staticResolver{netip.MustParseAddr("10.1.0.7"), netip.MustParseAddr("10.1.0.5")}

	d, err := cfg.NewDiscoverer(discovery.DiscovererOptions{})
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
	cancel()
	<-done
	// Output:
	// refresh every 30s
	// db.internal: 10.1.0.5:5432 10.1.0.7:5432
}
