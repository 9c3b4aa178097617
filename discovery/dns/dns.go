package dns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/refresh"
	"github.com/ecopatterns/ecopatterns/options"
)

// The labels a DNS target carries.
const (
	// NameLabel holds the name that was looked up.
	NameLabel = discovery.MetaLabelPrefix + "dns_name"
	// SRVTargetLabel holds an SRV record's target host, as the record has
	// it (with its final dot).
	SRVTargetLabel = discovery.MetaLabelPrefix + "dns_srv_record_target"
	// SRVPortLabel holds an SRV record's port.
	SRVPortLabel = discovery.MetaLabelPrefix + "dns_srv_record_port"
)

// Resolver looks up DNS records. *net.Resolver implements it.
type Resolver interface {
	// LookupSRV is net.Resolver.LookupSRV; this package calls it with
	// empty service and proto, so name is looked up as given.
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
	// LookupNetIP is net.Resolver.LookupNetIP, called with network "ip4"
	// for A records and "ip6" for AAAA.
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Config configures DNS discovery, under the key dns_sd_configs.
type Config struct {
	// Names are the DNS names to look up. At least one is required.
	Names []string `json:"names" yaml:"names"`
	// Type is the record type: "SRV" (the default), "A" or "AAAA".
	Type string `json:"type" yaml:"type"`
	// Port is the port of A and AAAA targets, 1 to 65535. SRV records
	// carry their own ports, so it must be 0 with SRV.
	Port int `json:"port,omitempty" yaml:"port,omitempty"`
	// RefreshInterval is the time between lookups. It must be > 0.
	RefreshInterval time.Duration `json:"refresh_interval" yaml:"refresh_interval"`
	// Resolver performs the lookups. Nil means net.DefaultResolver. It is
	// not part of the encoded forms, so a Manager runs two Configs that
	// differ only in Resolver as one.
	Resolver Resolver `json:"-" yaml:"-"`
}

// DefaultConfig returns the defaults of a decoded dns_sd_configs entry:
// type SRV, refreshed every 30 seconds, no names.
func DefaultConfig() *Config {
	return &Config{Type: "SRV", RefreshInterval: 30 * time.Second}
}

func init() {
	discovery.RegisterConfig(DefaultConfig())
}

var _ discovery.Config = (*Config)(nil)

// Name returns "dns".
func (*Config) Name() string { return "dns" }

// Validate reports every field that is not usable.
func (c *Config) Validate() error {
	var v options.Collector
	options.Check(&v, len(c.Names) > 0, "names", c.Names, "must name at least one DNS name")
	for i, n := range c.Names {
		options.Check(&v, n != "" && !strings.ContainsAny(n, " \t\r\n"), "names["+strconv.Itoa(i)+"]", n, "must be a DNS name")
	}
	switch c.Type {
	case "SRV":
		options.Check(&v, c.Port == 0, "port", c.Port, "must be 0 with type SRV, whose records carry their ports")
	case "A", "AAAA":
		options.InRange(&v, "port", c.Port, 1, 65535)
	default:
		v.Add("type", c.Type, `must be "SRV", "A" or "AAAA"`)
	}
	options.Positive(&v, "refresh_interval", c.RefreshInterval)
	return v.Err()
}

// NewDiscoverer validates c and returns a discoverer that looks up its
// names every RefreshInterval.
func (c *Config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	l := &lookup{names: slices.Clone(c.Names), typ: c.Type, port: strconv.Itoa(c.Port), resolver: c.Resolver}
	if l.resolver == nil {
		l.resolver = net.DefaultResolver
	}
	return refresh.New(c.RefreshInterval, l.refresh)
}

// lookup is one configuration's lookups.
type lookup struct {
	names    []string
	typ      string
	port     string
	resolver Resolver
}

// refresh looks up every name concurrently. It returns a group for each
// name that resolved or does not exist, and the errors of the others.
func (l *lookup) refresh(ctx context.Context) ([]*discovery.Group, error) {
	groups := make([]*discovery.Group, len(l.names))
	errs := make([]error, len(l.names))
	var wg sync.WaitGroup
	for i, name := range l.names {
		wg.Go(func() { groups[i], errs[i] = l.one(ctx, name) })
	}
	wg.Wait()
	return slices.DeleteFunc(groups, func(g *discovery.Group) bool { return g == nil }), errors.Join(errs...)
}

// one looks up name. A name that does not exist yields an empty group.
func (l *lookup) one(ctx context.Context, name string) (*discovery.Group, error) {
	g := &discovery.Group{Source: name, Targets: []discovery.Labels{}}
	switch l.typ {
	case "SRV":
		_, records, err := l.resolver.LookupSRV(ctx, "", "", name)
		if err != nil {
			return notFound(g, name, err)
		}
		for _, r := range records {
			port := strconv.Itoa(int(r.Port))
			g.Targets = append(g.Targets, discovery.Labels{
				discovery.AddressLabel: net.JoinHostPort(strings.TrimSuffix(r.Target, "."), port),
				NameLabel:              name,
				SRVTargetLabel:         r.Target,
				SRVPortLabel:           port,
			})
		}
	default:
		network := "ip4"
		if l.typ == "AAAA" {
			network = "ip6"
		}
		addrs, err := l.resolver.LookupNetIP(ctx, network, name)
		if err != nil {
			return notFound(g, name, err)
		}
		for _, a := range addrs {
			g.Targets = append(g.Targets, discovery.Labels{
				discovery.AddressLabel: net.JoinHostPort(a.Unmap().String(), l.port),
				NameLabel:              name,
			})
		}
	}
	// Resolvers return records in any order; sort so that an unchanged
	// answer is an unchanged group.
	slices.SortFunc(g.Targets, func(a, b discovery.Labels) int {
		return cmp.Compare(a[discovery.AddressLabel], b[discovery.AddressLabel])
	})
	g.Targets = slices.CompactFunc(g.Targets, func(a, b discovery.Labels) bool {
		return a[discovery.AddressLabel] == b[discovery.AddressLabel]
	})
	return g, nil
}

// notFound turns an authoritative "no such name" into an empty group, and
// any other failure into an error naming the lookup.
func notFound(g *discovery.Group, name string, err error) (*discovery.Group, error) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return g, nil
	}
	return nil, fmt.Errorf("dns: lookup %s: %w", name, err)
}
