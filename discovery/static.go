package discovery

import (
	"context"
	"fmt"
	"strconv"
)

// StaticConfig is a fixed list of groups, the built-in mechanism configured
// under the key static_configs. Its discoverer sends the groups once and
// waits for cancellation. A group with an empty Source gets its index as
// Source.
type StaticConfig []*Group

// Name returns "static".
func (StaticConfig) Name() string { return "static" }

// NewDiscoverer checks the groups and returns a discoverer that sends a
// copy of them. Nil groups, targets without an address, and two groups with
// the same Source are errors.
func (c StaticConfig) NewDiscoverer(DiscovererOptions) (Discoverer, error) {
	groups := make(staticDiscoverer, 0, len(c))
	seen := make(map[string]int, len(c))
	for i, g := range c {
		if g == nil {
			return nil, fmt.Errorf("discovery: static config: group %d is nil", i)
		}
		for j, t := range g.Targets {
			if err := checkTarget(t[AddressLabel]); err != nil {
				return nil, fmt.Errorf("discovery: static config: group %d: target %d: %s: %w", i, j, AddressLabel, err)
			}
		}
		g = g.clone()
		if g.Source == "" {
			g.Source = strconv.Itoa(i)
		}
		if j, dup := seen[g.Source]; dup {
			return nil, fmt.Errorf("discovery: static config: groups %d and %d have the same Source %q", j, i, g.Source)
		}
		seen[g.Source] = i
		if len(g.Targets) > 0 {
			groups = append(groups, g)
		}
	}
	return groups, nil
}

// staticDiscoverer sends its groups once.
type staticDiscoverer []*Group

func (d staticDiscoverer) Run(ctx context.Context, up chan<- []*Group) {
	select {
	case up <- []*Group(d):
	case <-ctx.Done():
		return
	}
	<-ctx.Done()
}
