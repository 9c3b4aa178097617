package discovery_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
)

func TestGroupDecodes(t *testing.T) {
	want := &discovery.Group{
		Targets: []discovery.Labels{{"__address__": "a:1"}, {"__address__": "[::1]:2"}},
		Labels:  discovery.Labels{"env": "prod", "version": "1.0"},
	}
	var j discovery.Group
	require.NoError(t, json.Unmarshal([]byte(`{"targets": ["a:1", "[::1]:2"], "labels": {"env": "prod", "version": "1.0"}}`), &j))
	require.True(t, want.Equal(&j), "%+v", j)

	var y discovery.Group
	require.NoError(t, yaml.Unmarshal([]byte("targets: [a:1, '[::1]:2']\nlabels: {env: prod, version: 1.0}\n"), &y))
	require.True(t, want.Equal(&y), "%+v", y)

	var empty discovery.Group
	require.NoError(t, json.Unmarshal([]byte(`{}`), &empty))
	require.Empty(t, empty.Targets)
}

func TestGroupRejectsBadInput(t *testing.T) {
	cases := []struct {
		name, json, yaml, want string
	}{
		{"unknown key", `{"target": ["a:1"]}`, "target: [a:1]", `"target"`},
		{"empty target", `{"targets": ["a:1", ""]}`, "targets: [a:1, '']", "targets[1]: empty target"},
		{"null target", `{"targets": [null]}`, "targets: [~]", "targets[0]: empty target"},
		{"white space", `{"targets": ["a :1"]}`, "targets: ['a :1']", `target "a :1" holds white space`},
		{"control character", `{"targets": ["a\u0000:1"]}`, "targets: [\"a\\0:1\"]", "control character"},
		{"empty label name", `{"targets": ["a:1"], "labels": {"": "x"}}`, "targets: [a:1]\nlabels: {'': x}", "empty label name"},
		{"not an object", `["a:1"]`, "- a:1", ""},
		{"targets not a list", `{"targets": "a:1"}`, "targets: a:1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var g discovery.Group
			err := json.Unmarshal([]byte(c.json), &g)
			require.Error(t, err)
			require.ErrorContains(t, err, c.want)
			err = yaml.Unmarshal([]byte(c.yaml), &g)
			require.Error(t, err)
			require.ErrorContains(t, err, c.want)
		})
	}
	var g discovery.Group
	err := json.Unmarshal([]byte(`{"tragets": ["a:1"]}`), &g)
	require.ErrorContains(t, err, `discovery: group: json: unknown field "tragets" (did you mean "targets"?)`)
	err = yaml.Unmarshal([]byte("targets: [a:1]\nlabel: {}\n"), &g)
	require.ErrorContains(t, err, `discovery: group: line 2: unknown key "label" (did you mean "labels"?)`)
	err = yaml.Unmarshal([]byte("targets: [a:1]\ntargets: [b:1]\n"), &g)
	require.ErrorContains(t, err, `key "targets" appears twice`)
	err = g.UnmarshalJSON([]byte(`{"targets": []} {}`))
	require.ErrorContains(t, err, "trailing data")
}

func TestGroupEncodes(t *testing.T) {
	g := discovery.Group{Source: "x", Targets: []discovery.Labels{{"__address__": "a:1"}}, Labels: discovery.Labels{"env": "prod"}}
	b, err := json.Marshal(g)
	require.NoError(t, err)
	require.JSONEq(t, `{"targets": ["a:1"], "labels": {"env": "prod"}}`, string(b))
	y, err := yaml.Marshal(g)
	require.NoError(t, err)
	require.Equal(t, "targets:\n    - a:1\nlabels:\n    env: prod\n", string(y))

	g.Targets[0]["rack"] = "r1"
	_, err = json.Marshal(g)
	require.ErrorContains(t, err, "target 0 has labels other than __address__")
	_, err = yaml.Marshal(g)
	require.ErrorContains(t, err, "target 0 has labels other than __address__")
}

func TestGroupEqual(t *testing.T) {
	a := group("s", "a:1", "b:1")
	require.True(t, a.Equal(group("s", "a:1", "b:1")))
	require.False(t, a.Equal(group("t", "a:1", "b:1")))
	require.False(t, a.Equal(group("s", "b:1", "a:1")), "order matters")
	require.False(t, a.Equal(group("s", "a:1")))
	require.False(t, a.Equal(nil))
	var none *discovery.Group
	require.True(t, none.Equal(nil))
	b := group("s", "a:1", "b:1")
	b.Labels = discovery.Labels{}
	require.True(t, a.Equal(b), "nil and empty labels are equal")
	b.Labels["x"] = "y"
	require.False(t, a.Equal(b))
}

// FuzzGroupJSON checks that the JSON decoder never panics and that what it
// accepts survives an encode and decode unchanged. Seeds are in
// testdata/fuzz/FuzzGroupJSON.
func FuzzGroupJSON(f *testing.F) {
	f.Add([]byte(`{"targets": ["a:1"], "labels": {"env": "prod"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g discovery.Group
		if err := json.Unmarshal(data, &g); err != nil {
			return
		}
		b, err := json.Marshal(g)
		require.NoError(t, err)
		var again discovery.Group
		require.NoError(t, json.Unmarshal(b, &again), "%s", b)
		require.True(t, g.Equal(&again), "%s", b)
	})
}

// FuzzGroupYAML is FuzzGroupJSON for YAML. Seeds are in
// testdata/fuzz/FuzzGroupYAML.
func FuzzGroupYAML(f *testing.F) {
	f.Add([]byte("targets: [a:1]\nlabels: {env: prod}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var g discovery.Group
		if err := yaml.Unmarshal(data, &g); err != nil {
			return
		}
		b, err := yaml.Marshal(g)
		require.NoError(t, err)
		var again discovery.Group
		require.NoError(t, yaml.Unmarshal(b, &again), "%s", b)
		require.True(t, g.Equal(&again), "%s", b)
	})
}
