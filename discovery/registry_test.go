package discovery_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/options"
)

// testConfig is a mechanism registered by this test file.
type testConfig struct {
	Nodes    []string          `json:"nodes" yaml:"nodes"`
	Port     int               `json:"port" yaml:"port"`
	Interval time.Duration     `json:"interval" yaml:"interval"`
	Meta     map[string]string `json:"meta,omitempty" yaml:"meta,omitempty"`
	Inner    struct {
		Depth int `json:"depth" yaml:"depth"`
	} `json:"inner" yaml:"inner"`
}

// testDefaults is the prototype registered for testing_sd_configs.
var testDefaults = &testConfig{Port: 80, Interval: 30 * time.Second, Meta: map[string]string{"env": "prod"}}

func init() { discovery.RegisterConfig(testDefaults) }

func (*testConfig) Name() string { return "testing" }

func (c *testConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	var g discovery.Group
	for _, n := range c.Nodes {
		g.Targets = append(g.Targets, discovery.Labels{discovery.AddressLabel: fmt.Sprintf("%s:%d", n, c.Port)})
	}
	return discovery.StaticConfig{&g}.NewDiscoverer(discovery.DiscovererOptions{})
}

func (c *testConfig) Validate() error {
	var v options.Collector
	options.InRange(&v, "port", c.Port, 1, 65535)
	return v.Err()
}

const configsYAML = `
static_configs:
  - targets: [a:1, b:1]
    labels: {role: db}
  - targets: [c:1]
testing_sd_configs:
  - nodes: [n1]
    interval: 1m
    meta: {team: core}
  - nodes: [n2, n3]
    port: 9000
`

const configsJSON = `{
  "static_configs": [{"targets": ["a:1", "b:1"], "labels": {"role": "db"}}, {"targets": ["c:1"]}],
  "testing_sd_configs": [
    {"nodes": ["n1"], "interval": "1m", "meta": {"team": "core"}},
    {"nodes": ["n2", "n3"], "port": 9000, "interval": 30000000000}
  ]
}`

func TestConfigsDecode(t *testing.T) {
	check := func(t *testing.T, cs discovery.Configs) {
		require.Len(t, cs, 3)
		static, ok := cs[0].(discovery.StaticConfig)
		require.True(t, ok, "static_configs come first, in document order: %T", cs[0])
		require.Len(t, static, 2)
		require.Equal(t, "0", static[0].Source)
		require.Equal(t, "1", static[1].Source)
		require.Equal(t, discovery.Labels{"role": "db"}, static[0].Labels)

		first := cs[1].(*testConfig)
		require.Equal(t, []string{"n1"}, first.Nodes)
		require.Equal(t, 80, first.Port, "defaults come from the prototype")
		require.Equal(t, time.Minute, first.Interval)
		require.Equal(t, map[string]string{"env": "prod", "team": "core"}, first.Meta)
		second := cs[2].(*testConfig)
		require.Equal(t, 9000, second.Port)
		require.Equal(t, 30*time.Second, second.Interval)
		require.Equal(t, map[string]string{"env": "prod"}, second.Meta)

		first.Meta["x"] = "y"
		require.Equal(t, map[string]string{"env": "prod"}, testDefaults.Meta, "decoded values share nothing with the prototype")
	}
	t.Run("yaml", func(t *testing.T) {
		var cs discovery.Configs
		require.NoError(t, yaml.Unmarshal([]byte(configsYAML), &cs))
		check(t, cs)
	})
	t.Run("json", func(t *testing.T) {
		var cs discovery.Configs
		require.NoError(t, json.Unmarshal([]byte(configsJSON), &cs))
		check(t, cs)
	})
	t.Run("sets", func(t *testing.T) {
		var sets map[string]discovery.Configs
		require.NoError(t, yaml.Unmarshal([]byte("web:\n  static_configs: [{targets: [a:1]}]\ndb: {}\n"), &sets))
		require.Len(t, sets["web"], 1)
		require.Empty(t, sets["db"])
	})
}

func TestConfigsRoundTrip(t *testing.T) {
	var cs discovery.Configs
	require.NoError(t, yaml.Unmarshal([]byte(configsYAML), &cs))
	j, err := json.Marshal(cs)
	require.NoError(t, err)
	var fromJSON discovery.Configs
	require.NoError(t, json.Unmarshal(j, &fromJSON), "%s", j)
	j2, err := json.Marshal(fromJSON)
	require.NoError(t, err)
	require.JSONEq(t, string(j), string(j2))

	y, err := yaml.Marshal(cs)
	require.NoError(t, err)
	var fromYAML discovery.Configs
	require.NoError(t, yaml.Unmarshal(y, &fromYAML), "%s", y)
	y2, err := yaml.Marshal(fromYAML)
	require.NoError(t, err)
	require.Equal(t, string(y), string(y2))
	require.Contains(t, string(y), "interval: 1m0s")

	_, err = json.Marshal(discovery.Configs{nil})
	require.ErrorContains(t, err, "configs[0] is nil")
}

func TestConfigsRejectBadInput(t *testing.T) {
	cases := []struct {
		name, yaml, json string
		want             []string
	}{
		{
			name: "unknown key",
			yaml: "tesing_sd_configs: []", json: `{"tesing_sd_configs": []}`,
			want: []string{`discovery: unknown configuration key "tesing_sd_configs"`, `(did you mean "testing_sd_configs"?)`, "known keys: ", "static_configs, testing_sd_configs"},
		},
		{
			name: "unregistered mechanism",
			yaml: "file_sd_configs: []", json: `{"file_sd_configs": []}`,
			want: []string{"registered by importing its package"},
		},
		{
			name: "null section",
			yaml: "testing_sd_configs:", json: `{"testing_sd_configs": null}`,
			want: []string{"testing_sd_configs: ", "null section"},
		},
		{
			name: "null entry",
			yaml: "testing_sd_configs: [~]", json: `{"testing_sd_configs": [null]}`,
			want: []string{"testing_sd_configs[0]: ", "null entry"},
		},
		{
			name: "not a list",
			yaml: "testing_sd_configs: {nodes: [a]}", json: `{"testing_sd_configs": {"nodes": ["a"]}}`,
			want: []string{"testing_sd_configs: ", "want a list"},
		},
		{
			name: "unknown field",
			yaml: "testing_sd_configs:\n  - nodes: [a]\n    ports: 1\n", json: `{"testing_sd_configs": [{"nodes": ["a"], "ports": 1}]}`,
			want: []string{"discovery: testing_sd_configs[0]: ", `unknown field "ports" (did you mean "port"?)`},
		},
		{
			name: "unknown nested field",
			yaml: "testing_sd_configs: [{inner: {dept: 1}}]", json: `{"testing_sd_configs": [{"inner": {"dept": 1}}]}`,
			want: []string{"discovery: testing_sd_configs[0].inner: ", `unknown field "dept" (did you mean "depth"?)`},
		},
		{
			name: "invalid value",
			yaml: "testing_sd_configs: [{port: 0}]", json: `{"testing_sd_configs": [{"port": 0}]}`,
			want: []string{"discovery: testing_sd_configs[0]: options: port = 0: must be between 1 and 65535"},
		},
		{
			name: "bad duration",
			yaml: "testing_sd_configs: [{interval: soon}]", json: `{"testing_sd_configs": [{"interval": "soon"}]}`,
			want: []string{"testing_sd_configs[0]"},
		},
		{
			name: "bad static group",
			yaml: "static_configs: [{target: [a:1]}]", json: `{"static_configs": [{"target": ["a:1"]}]}`,
			want: []string{"discovery: static_configs[0]: ", `"target"`, `(did you mean "targets"?)`},
		},
		{
			name: "empty static target",
			yaml: "static_configs: [{targets: ['']}]", json: `{"static_configs": [{"targets": [""]}]}`,
			want: []string{"discovery: static_configs[0]: targets[0]: empty target"},
		},
		{
			name: "key twice",
			yaml: "static_configs: []\nstatic_configs: []", json: `{"static_configs": [], "static_configs": []}`,
			want: []string{`key "static_configs" appears twice`},
		},
		{
			name: "not a mapping",
			yaml: "- static_configs: []", json: `[]`,
			want: []string{"discovery: configs: "},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var cs discovery.Configs
			errY := yaml.Unmarshal([]byte(c.yaml), &cs)
			errJ := json.Unmarshal([]byte(c.json), &cs)
			for _, w := range c.want {
				require.ErrorContains(t, errY, w)
				require.ErrorContains(t, errJ, w)
			}
		})
	}
	var cs discovery.Configs
	err := yaml.Unmarshal([]byte("\n\ntesting_sd_configs:\n  - prot: 1\n"), &cs)
	require.ErrorContains(t, err, "line 4: ")
	require.ErrorIs(t, json.Unmarshal([]byte(`{"x_sd_configs": []}`), &cs), discovery.ErrUnknownConfig)
	require.ErrorContains(t, cs.UnmarshalJSON([]byte(`{} {}`)), "trailing data")
}

func TestRegisterConfigPanics(t *testing.T) {
	cases := []struct {
		cfg  discovery.Config
		want string
	}{
		{nil, "discovery: RegisterConfig: config is nil"},
		{(*testConfig)(nil), "discovery: RegisterConfig: config is a nil *discovery_test.testConfig"},
		{&testConfig{}, `discovery: RegisterConfig: name "testing" registered twice: by *discovery_test.testConfig and by *discovery_test.testConfig`},
		{namedConfig("Bad-Name"), `has name "Bad-Name"; want lower-case letters`},
		{namedConfig(""), `has name ""`},
		{namedConfig("static"), `the name "static" is built in`},
	}
	for _, c := range cases {
		func() {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic for %v", c.cfg)
				require.Contains(t, fmt.Sprint(r), c.want)
			}()
			discovery.RegisterConfig(c.cfg)
		}()
	}
	require.Contains(t, discovery.RegisteredNames(), "testing")
	require.NotContains(t, discovery.RegisteredNames(), "static")
}

// namedConfig is a Config with any name, for RegisterConfig's checks.
type namedConfig string

func (c namedConfig) Name() string { return string(c) }

func (c namedConfig) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	return nil, errors.New("unused")
}

func TestDecodeHelpers(t *testing.T) {
	var c testConfig
	require.ErrorContains(t, discovery.DecodeJSON([]byte(`{}`), c), "want a non-nil pointer")
	require.ErrorContains(t, discovery.DecodeYAML(&yaml.Node{}, nil), "want a non-nil pointer")
	require.ErrorContains(t, discovery.DecodeYAML(nil, &c), "node is nil")
	require.NoError(t, discovery.DecodeJSON([]byte(`{"port": 7, "interval": "2s"}`), &c))
	require.Equal(t, 7, c.Port)
	require.Equal(t, 2*time.Second, c.Interval)
	err := discovery.DecodeJSON([]byte(`{"ports": 7, "nods": []}`), &c)
	require.ErrorContains(t, err, `discovery: unknown field "nods" (did you mean "nodes"?)`)
	require.ErrorContains(t, err, `discovery: unknown field "ports" (did you mean "port"?)`, "every unknown field is reported")
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("port: 8\n"), &n))
	require.NoError(t, discovery.DecodeYAML(&n, &c))
	require.Equal(t, 8, c.Port)
	require.Equal(t, 2*time.Second, c.Interval, "fields not mentioned keep their values")
}

func TestManagerOptionsBindToFlagsAndEnvironment(t *testing.T) {
	opts := discovery.DefaultManagerOptions()
	require.NoError(t, opts.Validate())
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	require.NoError(t, options.BindFlags(fs, "discovery", &opts))
	require.NoError(t, fs.Parse([]string{"-discovery.update-interval=250ms"}))
	require.Equal(t, 250*time.Millisecond, opts.UpdateInterval)
	opts = discovery.DefaultManagerOptions()
	require.NoError(t, options.LoadEnv("ECOPATTERNS_TEST_DISCOVERY", &opts))
	other := discovery.DefaultManagerOptions()
	require.Empty(t, options.Diff(opts, other))
}
