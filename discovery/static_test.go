package discovery_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/discoverytest"
)

func TestStaticConformance(t *testing.T) {
	cfg := discovery.StaticConfig{group("", "a:1"), group("web", "b:1"), group("")}
	groups := discoverytest.Run(t, cfg)
	require.Equal(t, "0: a:1\nweb: b:1", discoverytest.String(groups))
	require.Empty(t, cfg[0].Source, "the config is not modified")
}

func TestStaticConfigRejectsBadGroups(t *testing.T) {
	for _, c := range []struct {
		cfg  discovery.StaticConfig
		want string
	}{
		{discovery.StaticConfig{nil}, "discovery: static config: group 0 is nil"},
		{discovery.StaticConfig{{Targets: []discovery.Labels{{"x": "y"}}}}, "group 0: target 0: __address__: empty target"},
		{discovery.StaticConfig{group("s", "a:1"), group("s", "b:1")}, `groups 0 and 1 have the same Source "s"`},
		{discovery.StaticConfig{group("1", "a:1"), group("", "b:1")}, `groups 0 and 1 have the same Source "1"`},
	} {
		_, err := c.cfg.NewDiscoverer(discovery.DiscovererOptions{})
		require.ErrorContains(t, err, c.want)
	}
}
