package promsd_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
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

var (
	v2LinePrefix   = regexp.MustCompile(`line \d+: `)
	v2UnknownField = regexp.MustCompile(`^field (.*) not found in type `)
)

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

// requireDecodesAsPrometheus decodes entry, one item of the list of
// key's <name>_sd_configs, both ways: ecopatterns must decode it to the
// value Prometheus gives, or refuse it with Prometheus's message.
func requireDecodesAsPrometheus(t *testing.T, key, entry string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(entry), "\n")
	body := "\n  - " + strings.Join(lines, "\n    ") + "\n"
	theirs, theirErr := prometheusDecode(key + "_sd_configs:" + body)
	ours, ourErr := oursDecode(ourKey(key) + "_sd_configs:" + body)
	if theirErr != nil {
		require.Error(t, ourErr, "Prometheus refuses %q: %v", body, theirErr)
		want := v2LinePrefix.ReplaceAllString(theirErr.Error(), "")
		want = strings.TrimPrefix(want, "yaml: unmarshal errors:\n  ")
		if m := v2UnknownField.FindStringSubmatch(want); m != nil {
			// An unknown key fails with ecopatterns's message.
			want = fmt.Sprintf("unknown field %q", m[1])
		}
		require.Contains(t, v2LinePrefix.ReplaceAllString(ourErr.Error(), ""), want, body)
		return
	}
	require.NoError(t, ourErr, "Prometheus accepts %q", body)
	require.Len(t, ours, 1)
	require.Equal(t, theirs[0], ours[0], body)
}

func TestDecodeMatchesPrometheus(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			requireDecodesAsPrometheus(t, tc.key, tc.entry)
		})
	}
}

// nullCases give a key a null value in an entry of a mechanism, at every
// depth: block is the entry in block style with %s where the key's value
// goes (after its colon), flow the entry in flow style with %s where the
// key and its value go. TestDecodeNullValues writes each null in every
// way YAML has (blockNulls, flowNulls).
var nullCases = []struct {
	mech, field, block, flow string
}{
	{"consul", "server", "server:%s", "{%s}"},
	{"consul", "authorization", "server: s\nauthorization:%s", "{server: s, %s}"},
	{"consul", "basic_auth", "server: s\nbasic_auth:%s", "{server: s, %s}"},
	{"consul", "oauth2", "server: s\noauth2:%s", "{server: s, %s}"},
	{"consul", "tls_config", "server: s\ntls_config:%s", "{server: s, %s}"},
	{"consul", "http_headers", "server: s\nhttp_headers:%s", "{server: s, %s}"},
	{"consul", "proxy_url", "server: s\nproxy_url:%s", "{server: s, %s}"},
	{"consul", "proxy_connect_header", "server: s\nproxy_connect_header:%s", "{server: s, %s}"},
	{"consul", "token", "server: s\ntoken:%s", "{server: s, %s}"},
	{"consul", "password", "server: s\nusername: u\npassword:%s", "{server: s, username: u, %s}"},
	{"consul", "services", "server: s\nservices:%s", "{server: s, %s}"},
	{"consul", "node_meta", "server: s\nnode_meta:%s", "{server: s, %s}"},
	{"consul", "refresh_interval", "server: s\nrefresh_interval:%s", "{server: s, %s}"},
	{"consul", "allow_stale", "server: s\nallow_stale:%s", "{server: s, %s}"},
	{"consul", "follow_redirects", "server: s\nfollow_redirects:%s", "{server: s, %s}"},
	{"consul", "authorization.credentials", "server: s\nauthorization:\n  credentials:%s", "{server: s, authorization: {%s}}"},
	{"consul", "authorization.type", "server: s\nauthorization:\n  type:%s", "{server: s, authorization: {%s}}"},
	{"consul", "basic_auth.password", "server: s\nbasic_auth:\n  username: u\n  password:%s", "{server: s, basic_auth: {username: u, %s}}"},
	{"consul", "basic_auth.username", "server: s\nbasic_auth:\n  username:%s", "{server: s, basic_auth: {%s}}"},
	{"consul", "tls_config.ca_file", "server: s\ntls_config:\n  ca_file:%s", "{server: s, tls_config: {%s}}"},
	{"consul", "tls_config.min_version", "server: s\ntls_config:\n  min_version:%s", "{server: s, tls_config: {%s}}"},
	{"consul", "http_headers.X-A", "server: s\nhttp_headers:\n  X-A:%s", "{server: s, http_headers: {%s}}"},
	{"consul", "http_headers.X-A.values", "server: s\nhttp_headers:\n  X-A:\n    values:%s", "{server: s, http_headers: {X-A: {%s}}}"},
	{"consul", "node_meta.rack", "server: s\nnode_meta:\n  rack:%s", "{server: s, node_meta: {%s}}"},
	{"consul", "oauth2.endpoint_params.a", "server: s\noauth2:\n  client_id: i\n  token_url: http://t\n  endpoint_params:\n    a:%s",
		"{server: s, oauth2: {client_id: i, token_url: 'http://t', endpoint_params: {%s}}}"},
	{"consul", "oauth2.claims.a.b", "server: s\noauth2:\n  client_id: i\n  token_url: http://t\n  claims:\n    a:\n      b:%s",
		"{server: s, oauth2: {client_id: i, token_url: 'http://t', claims: {a: {%s}}}}"},
	{"http", "url", "url:%s", "{%s}"},
	{"http", "refresh_interval", "url: http://x\nrefresh_interval:%s", "{url: 'http://x', %s}"},
	{"http", "authorization", "url: http://x\nauthorization:%s", "{url: 'http://x', %s}"},
	{"http", "bearer_token", "url: http://x\nbearer_token:%s", "{url: 'http://x', %s}"},
	{"http", "tls_config", "url: http://x\ntls_config:%s", "{url: 'http://x', %s}"},
	{"http", "tls_config.cert_file", "url: http://x\ntls_config:\n  cert_file:%s", "{url: 'http://x', tls_config: {%s}}"},
	{"http", "tls_config.insecure_skip_verify", "url: http://x\ntls_config:\n  insecure_skip_verify:%s", "{url: 'http://x', tls_config: {%s}}"},
	{"http", "oauth2.tls_config", "url: http://x\noauth2:\n  client_id: i\n  token_url: http://t\n  tls_config:%s",
		"{url: 'http://x', oauth2: {client_id: i, token_url: 'http://t', %s}}"},
	{"kubernetes", "role", "role:%s", "{%s}"},
	{"kubernetes", "api_server", "role: pod\napi_server:%s", "{role: pod, %s}"},
	{"kubernetes", "kubeconfig_file", "role: pod\nkubeconfig_file:%s", "{role: pod, %s}"},
	{"kubernetes", "namespaces", "role: pod\nnamespaces:%s", "{role: pod, %s}"},
	{"kubernetes", "namespaces.names", "role: pod\nnamespaces:\n  names:%s", "{role: pod, namespaces: {%s}}"},
	{"kubernetes", "namespaces.own_namespace", "role: pod\nnamespaces:\n  own_namespace:%s", "{role: pod, namespaces: {%s}}"},
	{"kubernetes", "selectors", "role: pod\nselectors:%s", "{role: pod, %s}"},
	{"kubernetes", "selectors[0].role", "role: pod\nselectors:\n  - role:%s", "{role: pod, selectors: [{%s}]}"},
	{"kubernetes", "selectors[0].label", "role: pod\nselectors:\n  - role: pod\n    label:%s", "{role: pod, selectors: [{role: pod, %s}]}"},
	{"kubernetes", "attach_metadata", "role: pod\nattach_metadata:%s", "{role: pod, %s}"},
	{"kubernetes", "attach_metadata.node", "role: pod\nattach_metadata:\n  node:%s", "{role: pod, attach_metadata: {%s}}"},
	{"kubernetes", "bearer_token", "role: pod\napi_server: https://k\nbearer_token:%s", "{role: pod, api_server: 'https://k', %s}"},
}

// blockNulls are the ways of writing a null after a key's colon in block
// style; flowNulls those of writing a key with a null value in a flow
// mapping (%s is the key).
var (
	blockNulls = []string{"", " ~", " null", " Null", " NULL", " !!null", " !!null ''", " &n", " # nothing"}
	flowNulls  = []string{"%s", "%s:", "%s: ", "%s: ~", "%s: null", "%s: Null", "%s: NULL", "%s: !!null", "? %s", "%s: &n"}
)

// Every key given a null value, however the null is written, decodes as
// Prometheus decodes it: to the same configuration, or refused with
// Prometheus's message.
func TestDecodeNullValues(t *testing.T) {
	for _, tc := range nullCases {
		t.Run(tc.mech+"/"+tc.field, func(t *testing.T) {
			key := nullKey(tc.field)
			for _, null := range blockNulls {
				requireDecodesAsPrometheus(t, tc.mech, fmt.Sprintf(tc.block, null))
			}
			for _, null := range flowNulls {
				requireDecodesAsPrometheus(t, tc.mech, fmt.Sprintf(tc.flow, fmt.Sprintf(null, key)))
			}
		})
	}
}

// nullKey returns the key a field of nullCases ends with.
func nullKey(field string) string {
	return field[strings.LastIndex(field, ".")+1:]
}

// Null items of lists, in block and flow style, and nulls reached through
// aliases and merge keys, decode as Prometheus decodes them.
func TestDecodeNullItems(t *testing.T) {
	for _, tc := range nullItems {
		t.Run(tc.entry, func(t *testing.T) {
			requireDecodesAsPrometheus(t, tc.mech, tc.entry)
		})
	}
}

var nullItems = []struct{ mech, entry string }{
	{"consul", "server: s\nservices:\n  -\n  - a"},
	{"consul", "server: s\nservices:\n  - ~\n  - a"},
	{"consul", "{server: s, services: [~, a]}"},
	{"consul", "{server: s, services: [!!null , a]}"},
	{"consul", "{server: s, tags: [null]}"},
	{"consul", "{server: s, http_headers: {X-A: {values: [~]}}}"},
	{"consul", "{server: s, proxy_connect_header: {X-A: [~]}}"},
	{"consul", "{server: s, proxy_connect_header: {X-A: [secret, ~]}}"},
	{"consul", "{server: s, token: &e , authorization: *e}"},
	{"consul", "{server: s, datacenter: &e , tls_config: {ca_file: *e}}"},
	{"consul", "{server: s, <<: {authorization}}"},
	{"consul", "{server: s, <<: [{basic_auth}, {token}]}"},
	{"consul", "server: s\n<<:\n  tls_config:"},
	{"http", "{url: 'http://x', tls_config: {min_version}}"},
	{"kubernetes", "role: pod\nselectors:\n  -"},
	{"kubernetes", "{role: pod, selectors: [~]}"},
	{"kubernetes", "{role: pod, namespaces: {names: [~]}}"},
	{"kubernetes", "{role: endpoints, selectors: [{role: endpoints}, ~]}"},
}

func TestDecodeUnknownKeySuggests(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"consul_sd_configs:\n  - sever: localhost:8500\n", `line 2: unknown field "sever" (did you mean "server"?)`},
		{"consul_sd_configs:\n  - server: s\n    tls_config: {ca_fil: x}\n", `tls_config: line 3: unknown field "ca_fil" (did you mean "ca_file"?)`},
		{"kubernetes_sd_configs:\n  - role: pod\n    namespaces: {name: [a]}\n", `namespaces: line 3: unknown field "name" (did you mean "names"?)`},
		{"kubernetes_sd_configs:\n  - role: pod\n    selectors: [{role: pod, labels: a}]\n", `selectors[0]: line 3: unknown field "labels" (did you mean "label"?)`},
		{"prometheus_http_sd_configs:\n  - url: http://x\n    refresh_intervall: 1m\n", `unknown field "refresh_intervall" (did you mean "refresh_interval"?)`},
		{"consul_sd_configs:\n  - server: s\n    http_headers: {X-A: {value: [a]}}\n", `http_headers["X-A"]: line 3: unknown field "value" (did you mean "values"?)`},
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

// Errors of decoding never show a secret's value, nor the shortened form
// of it that yaml.v2 quotes, whatever shape the secret was given.
func TestDecodeErrorsHideSecrets(t *testing.T) {
	for _, entry := range []string{
		"{server: s, token: hunter2, authorization: {credentials: hunter3}}",
		"{server: s, proxy_connect_header: {X-A: hunter2-and-more}}",
		"{server: s, proxy_connect_header: {X-A: {hunter2-and-more: hunter3-and-more}}}",
		"{server: s, http_headers: {X-A: {secrets: hunter2-and-more}}}",
		"{server: s, http_headers: {X-A: {secrets: [hunter2-and-more], values: {a: b}}}}",
		"{server: s, basic_auth: {username: u, password: hunter2-and-more}, refresh_interval: soon}",
	} {
		var cfgs discovery.Configs
		err := yaml.Unmarshal([]byte("consul_sd_configs: ["+entry+"]"), &cfgs)
		require.Error(t, err, entry)
		for _, leak := range []string{"hunter2", "hunter3"} {
			require.NotContains(t, err.Error(), leak, entry)
		}
	}
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
	add := func(key, entry string) {
		f.Add(uint8(slices.Index(keys, key)), entry)
	}
	for _, tc := range decodeCases {
		add(tc.key, tc.entry)
	}
	for _, tc := range nullCases {
		add(tc.mech, fmt.Sprintf(tc.block, ""))
		add(tc.mech, fmt.Sprintf(tc.flow, nullKey(tc.field)))
	}
	for _, tc := range nullItems {
		add(tc.mech, tc.entry)
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
