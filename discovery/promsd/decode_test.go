package promsd_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/discovery/consul"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"github.com/stretchr/testify/require"
	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd"
	"github.com/ecopatterns/ecopatterns/options"
)

// prometheusDecode decodes a Configs document the way Prometheus's
// configuration loader does: yaml.v2, strict, through discovery.Configs.
func prometheusDecode(doc string) (promdisc.Configs, error) {
	var cfgs promdisc.Configs
	err := yamlv2.UnmarshalStrict([]byte(doc), &cfgs)
	return cfgs, err
}

// oursDecode decodes the same document through ecopatterns's Configs and
// returns the Prometheus configurations it holds.
func oursDecode(doc string) ([]promdisc.Config, error) {
	var cfgs discovery.Configs
	if err := yaml.Unmarshal([]byte(doc), &cfgs); err != nil {
		return nil, err
	}
	out := make([]promdisc.Config, len(cfgs))
	for i, c := range cfgs {
		out[i] = c.(interface{ PrometheusConfig() promdisc.Config }).PrometheusConfig()
	}
	return out, nil
}

var v2LinePrefix = regexp.MustCompile(`line \d+: `)

// decodeCases are entries that Prometheus accepts or refuses; ecopatterns
// must decode each to the same value, or refuse it with Prometheus's
// message.
var decodeCases = []struct {
	name, key, entry string
}{
	{"consul defaults", "consul", `{server: "localhost:8500"}`},
	{"consul every field", "consul", `
server: consul:8500
path_prefix: /c
token: t0k3n
datacenter: dc2
namespace: ns
partition: p
tag_separator: ";"
scheme: https
allow_stale: false
refresh_interval: 1m
services: [a, b]
tags: [x]
node_meta: {rack: r1}
filter: 'Service == "a"'
health_filter: 'Checks.Status == "passing"'
tls_config: {insecure_skip_verify: true}
`},
	{"consul username becomes basic auth", "consul", `{server: s, username: u, password: p}`},
	{"consul without server", "consul", `{datacenter: dc1}`},
	{"consul basic auth twice", "consul", `{server: s, username: u, basic_auth: {username: v}}`},
	{"consul token and authorization", "consul", `{server: s, token: t, authorization: {credentials: c}}`},
	{"consul bad duration", "consul", `{server: s, refresh_interval: soon}`},
	{"consul list for a string", "consul", `{server: [a, b]}`},
	{"consul empty entry", "consul", `{}`},
	{"consul yes is a bool in yaml.v2", "consul", `{server: s, allow_stale: yes}`},
	{"consul anchors", "consul", `&base {server: s, services: [a]}`},
	{"kubernetes defaults", "kubernetes", `{role: pod}`},
	{"kubernetes every field", "kubernetes", `
role: endpointslice
api_server: https://k8s.example:6443
namespaces: {names: [a, b]}
selectors:
  - {role: pod, label: "app=x", field: "spec.nodeName=n1"}
attach_metadata: {node: true, namespace: true, deployment: true}
bearer_token: tok
`},
	{"kubernetes role missing", "kubernetes", `{api_server: "https://k8s:6443"}`},
	{"kubernetes unknown role", "kubernetes", `{role: pods}`},
	{"kubernetes api_server and kubeconfig", "kubernetes", `{role: pod, api_server: "https://k8s", kubeconfig_file: /k}`},
	{"kubernetes kubeconfig and client config", "kubernetes", `{role: pod, kubeconfig_file: /k, bearer_token: t}`},
	{"kubernetes client config without api_server", "kubernetes", `{role: pod, bearer_token: t}`},
	{"kubernetes duplicated selector", "kubernetes", `{role: pod, selectors: [{role: pod}, {role: pod}]}`},
	{"kubernetes bad selector", "kubernetes", `{role: pod, selectors: [{role: pod, label: "a b c"}]}`},
	{"kubernetes own namespace and api_server", "kubernetes", `{role: pod, api_server: "https://k8s", namespaces: {own_namespace: true}}`},
	{"http defaults", "http", `{url: "http://sd.example/targets"}`},
	{"http no url", "http", `{refresh_interval: 1m}`},
	{"http bad scheme", "http", `{url: "ftp://sd.example"}`},
	{"http no host", "http", `{url: "http:///path"}`},
	{"http two auths", "http", `{url: "http://x", basic_auth: {username: u}, authorization: {credentials: c}}`},
	{"http proxy and oauth", "http", `{url: "http://x", proxy_url: "http://proxy:3128", oauth2: {client_id: id, client_secret: s, token_url: "http://t"}}`},
}

// ourKey is the key ecopatterns registers a Prometheus mechanism under in
// these tests.
func ourKey(key string) string {
	if key == "http" {
		return "prometheus_http"
	}
	return key
}

func TestDecodeMatchesPrometheus(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Split(strings.TrimSpace(tc.entry), "\n")
			entry := "\n  - " + strings.Join(lines, "\n    ") + "\n"
			theirs, theirErr := prometheusDecode(tc.key + "_sd_configs:" + entry)
			ours, ourErr := oursDecode(ourKey(tc.key) + "_sd_configs:" + entry)
			if theirErr != nil {
				require.Error(t, ourErr, "Prometheus refuses it: %v", theirErr)
				want := v2LinePrefix.ReplaceAllString(theirErr.Error(), "")
				want = strings.TrimPrefix(want, "yaml: unmarshal errors:\n  ")
				require.Contains(t, ourErr.Error(), want)
				return
			}
			require.NoError(t, ourErr)
			require.Len(t, ours, 1)
			require.Equal(t, theirs[0], ours[0])
		})
	}
}

func TestDecodeUnknownKeySuggests(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"consul_sd_configs:\n  - sever: localhost:8500\n", `line 2: unknown field "sever" (did you mean "server"?)`},
		{"consul_sd_configs:\n  - server: s\n    tls_config: {ca_fil: x}\n", `tls_config: line 3: unknown field "ca_fil" (did you mean "ca_file"?)`},
		{"kubernetes_sd_configs:\n  - role: pod\n    namespaces: {name: [a]}\n", `namespaces: line 3: unknown field "name" (did you mean "names"?)`},
		{"kubernetes_sd_configs:\n  - role: pod\n    selectors: [{role: pod, labels: a}]\n", `selectors[0]: line 3: unknown field "labels" (did you mean "label"?)`},
		{"prometheus_http_sd_configs:\n  - url: http://x\n    refresh_intervall: 1m\n", `unknown field "refresh_intervall" (did you mean "refresh_interval"?)`},
	} {
		var cfgs discovery.Configs
		err := yaml.Unmarshal([]byte(tc.doc), &cfgs)
		require.ErrorContains(t, err, tc.want, tc.doc)
	}
	// The key of the mechanism itself still gets discovery's suggestion.
	var cfgs discovery.Configs
	err := yaml.Unmarshal([]byte("consull_sd_configs: [{server: s}]"), &cfgs)
	require.ErrorIs(t, err, discovery.ErrUnknownConfig)
	require.ErrorContains(t, err, `did you mean "consul_sd_configs"?`)
}

func TestDecodeJSON(t *testing.T) {
	var cfgs discovery.Configs
	require.NoError(t, json.Unmarshal([]byte(`{"consul_sd_configs": [{"server": "s:8500", "services": ["a"]}]}`), &cfgs))
	require.Len(t, cfgs, 1)
	c := cfgs[0].(*promsd.Config[*consul.SDConfig]).Prometheus()
	require.Equal(t, "s:8500", c.Server)
	require.Equal(t, consul.DefaultSDConfig.RefreshInterval, c.RefreshInterval, "Prometheus's defaults apply")

	// MarshalJSON's output decodes again to the same configuration.
	b, err := json.Marshal(cfgs)
	require.NoError(t, err)
	var again discovery.Configs
	require.NoError(t, json.Unmarshal(b, &again))
	require.Equal(t, c, again[0].(*promsd.Config[*consul.SDConfig]).Prometheus())

	err = json.Unmarshal([]byte(`{"consul_sd_configs": [{"server": "s", "tokn": "x"}]}`), &cfgs)
	require.ErrorContains(t, err, `unknown field "tokn" (did you mean "token"?)`)
}

// A Manager restarts a discoverer whose secret changed, though no printed
// form shows the secret: the JSON encoding it compares carries a keyed
// digest of the secrets.
func TestSecretChangeIsAChange(t *testing.T) {
	enc := func(token string) string {
		c := decodeOne(t, "consul_sd_configs: [{server: s, token: '"+token+"'}]")
		b, err := json.Marshal(c)
		require.NoError(t, err)
		require.NotContains(t, string(b), token)
		return string(b)
	}
	require.Equal(t, enc("one-token"), enc("one-token"))
	require.NotEqual(t, enc("one-token"), enc("two-token"))

	c := decodeOne(t, "kubernetes_sd_configs: [{role: pod, api_server: 'https://k', basic_auth: {username: u, password: pa55word}}]")
	printed := c.(interface{ String() string }).String()
	require.NotContains(t, printed, "pa55word")
	require.Contains(t, printed, "password: <secret>")
}

// Errors of decoding never show a secret's value.
func TestDecodeErrorsHideSecrets(t *testing.T) {
	var cfgs discovery.Configs
	err := yaml.Unmarshal([]byte("consul_sd_configs: [{server: s, token: hunter2, authorization: {credentials: hunter3}}]"), &cfgs)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
	require.NotContains(t, err.Error(), "hunter3")
}

func TestZeroConfig(t *testing.T) {
	var c promsd.Config[*kubernetes.SDConfig]
	require.Equal(t, "kubernetes", c.Name())
	_, err := c.NewDiscoverer(discovery.DiscovererOptions{})
	require.ErrorIs(t, err, promsd.ErrNoConfig)
	_, err = promsd.New[*kubernetes.SDConfig](nil, promsd.DefaultOptions())
	require.ErrorIs(t, err, promsd.ErrNoConfig)
	bad := promsd.DefaultOptions()
	bad.FirstUpdateTimeout = -1
	_, err = promsd.New(&kubernetes.SDConfig{Role: kubernetes.RolePod}, bad)
	require.ErrorContains(t, err, "FirstUpdateTimeout")
}

// FuzzDecodeMatchesPrometheus decodes arbitrary entries of the three
// mechanisms registered here both ways: ecopatterns must accept exactly
// what Prometheus accepts, and decode it to the same value.
func FuzzDecodeMatchesPrometheus(f *testing.F) {
	keys := []string{"consul", "kubernetes", "http"}
	for _, tc := range decodeCases {
		for i, k := range keys {
			if k == tc.key {
				f.Add(uint8(i), tc.entry)
			}
		}
	}
	f.Fuzz(func(t *testing.T, k uint8, entry string) {
		key := keys[int(k)%len(keys)]
		lines := strings.Split(strings.TrimSpace(entry), "\n")
		body := "\n  - " + strings.Join(lines, "\n    ") + "\n"
		theirs, theirErr := prometheusDecode(key + "_sd_configs:" + body)
		ours, ourErr := oursDecode(ourKey(key) + "_sd_configs:" + body)
		if theirErr != nil {
			if ourErr == nil {
				t.Fatalf("Prometheus refuses %q (%v), ecopatterns accepts it", body, theirErr)
			}
			return
		}
		if ourErr != nil {
			t.Fatalf("Prometheus accepts %q, ecopatterns refuses it: %v", body, ourErr)
		}
		if len(theirs) != len(ours) {
			t.Fatalf("%q: Prometheus decodes %d configs, ecopatterns %d", body, len(theirs), len(ours))
		}
		for i := range theirs {
			require.Equal(t, theirs[i], ours[i], body)
		}
	})
}

// A Config printed by options.Diff, or logged, shows <secret> for its
// secrets.
func TestDiffAndLogsHideSecrets(t *testing.T) {
	a := decodeOne(t, "consul_sd_configs: [{server: s, token: first-token}]").(*promsd.Config[*consul.SDConfig])
	b := decodeOne(t, "consul_sd_configs: [{server: s, token: second-token}]").(*promsd.Config[*consul.SDConfig])
	type settings struct {
		SD    *promsd.Config[*consul.SDConfig]
		Value promsd.Config[*consul.SDConfig]
	}
	d := options.Diff(settings{a, *a}, settings{b, *b})
	require.Len(t, d, 2)
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "diff", d, "sd", a, "value", *b)
	for _, out := range []string{d.String(), logs.String(), fmt.Sprintf("%v %+v %s", a, *a, b)} {
		require.NotContains(t, out, "first-token")
		require.NotContains(t, out, "second-token")
		require.Contains(t, out, "<secret>")
	}
}
