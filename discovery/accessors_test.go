package discovery_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// ConfigErrors returns every bad Config an ApplyConfig refused, across
// sets, where errors.As finds only the first.
func TestConfigErrorsReturnsEveryBadConfig(t *testing.T) {
	m, err := discovery.NewManager(discovery.DefaultManagerOptions())
	require.NoError(t, err)
	err = m.ApplyConfig(map[string]discovery.Configs{
		"db":  {nil},
		"web": {discovery.StaticConfig{group("", "a:1")}, nil, nil},
	})
	all := discovery.ConfigErrors(err)
	require.Len(t, all, 3)
	var where []string
	for _, ce := range all {
		where = append(where, fmt.Sprintf("%s[%d]", ce.Set, ce.Index))
	}
	require.Equal(t, []string{"db[0]", "web[1]", "web[2]"}, where)
	var first *discovery.ConfigError
	require.ErrorAs(t, err, &first)
	require.Same(t, all[0], first)

	require.Len(t, discovery.ConfigErrors(fmt.Errorf("wrapped: %w", err)), 3, "found through wrapping")
	require.Nil(t, discovery.ConfigErrors(nil))
	require.Nil(t, discovery.ConfigErrors(errors.New("other")))
}

// A group prints as its Source, as Prometheus's do, also inside a slice
// and as a nil pointer.
func TestGroupString(t *testing.T) {
	require.Equal(t, "file.json:0", group("file.json:0", "a:1").String())
	require.Equal(t, "[a b]", fmt.Sprint([]*discovery.Group{group("a"), group("b")}))
	var g *discovery.Group
	require.Equal(t, "<nil>", g.String())
}
