package all_test

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	promdisc "github.com/prometheus/prometheus/discovery"
	"github.com/stretchr/testify/require"
	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/promsd/all"
)

// bases are entries that Prometheus accepts, one per mechanism, in flow
// style: "key: value" pairs. TestNullValuesDecodeAsPrometheus gives every
// other key a null beside them.
var bases = map[string][]string{
	"aws":          {"role: ec2", "region: eu-west-1"},
	"azure":        {"subscription_id: s", "authentication_method: ManagedIdentity"},
	"consul":       {"server: s"},
	"digitalocean": {"port: 80"},
	"dns":          {"names: [a.example]"},
	"docker":       {"host: 'unix:///d.sock'"},
	"dockerswarm":  {"host: 'unix:///d.sock'", "role: tasks"},
	"ec2":          {"region: eu-west-1"},
	"ecs":          {"region: eu-west-1"},
	"elasticache":  {"region: eu-west-1"},
	"eureka":       {"server: 'http://e'"},
	"file":         {"files: [a.json]"},
	"gce":          {"project: p", "zone: z"},
	"hetzner":      {"role: hcloud"},
	"http":         {"url: 'http://x'"},
	"ionos":        {"datacenter_id: d"},
	"kubernetes":   {"role: pod"},
	"kuma":         {"server: 'http://k'"},
	"lightsail":    {"region: eu-west-1"},
	"linode":       {"port: 80"},
	"marathon":     {"servers: ['http://m']"},
	"msk":          {"region: eu-west-1"},
	"nerve":        {"servers: [z]", "paths: [/p]"},
	"nomad":        {"server: 'http://n'"},
	"oci":          {"region: r", "tenancy: t", "user: u", "fingerprint: f", "key_file: /k"},
	"openstack":    {"role: instance", "region: r"},
	"outscale":     {"access_key: a", "secret_key: s", "region: r"},
	"ovhcloud":     {"application_key: a", "application_secret: s", "consumer_key: c", "service: vps"},
	"puppetdb":     {"url: 'http://p'", "query: 'resources { type = \"Class\" }'"},
	"rds":          {"region: eu-west-1"},
	"scaleway": {"role: instance", "project_id: 11111111-1111-1111-1111-111111111111",
		"access_key: SCW0123456789ABCDEFG", "secret_key: 11111111-1111-1111-1111-111111111111"},
	"serverset": {"servers: [z]", "paths: [/p]"},
	"stackit":   {"project: p"},
	"triton":    {"account: a", "dns_suffix: d", "endpoint: e"},
	"uyuni":     {"server: 'https://u'", "username: u", "password: p"},
	"vultr":     {"port: 80"},
}

// Every key of every mechanism, and every key of the structures those
// keys take, given a null written as nothing (block "key:", flow "{key}"
// and "{key: }") or as ~, decodes as Prometheus decodes it: to the same
// configuration, or refused (unknown keys with ecopatterns's message).
func TestNullValuesDecodeAsPrometheus(t *testing.T) {
	// Mechanisms of AWS look their region up when it is empty: from the
	// environment, never from the instance metadata service.
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	names := all.Names()
	for _, name := range promdisc.RegisteredConfigNames() {
		if name == "static" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			base, ok := bases[name]
			require.True(t, ok, "no base entry for %s", name)
			d := decoder{t: t, theirKey: name, ourKey: names[name]}
			theirs, err := d.prometheus("{" + strings.Join(base, ", ") + "}")
			require.NoError(t, err, "the base entry of %s", name)
			typ := reflect.TypeOf(theirs)
			fields := yamlFields(typ)
			for _, key := range slices.Sorted(maps.Keys(fields)) {
				ft := fields[key]
				others := slices.DeleteFunc(slices.Clone(base), func(kv string) bool { return strings.HasPrefix(kv, key+":") })
				flow := func(value string) string { return "{" + strings.Join(append(others, value), ", ") + "}" }
				block := func(value string) string {
					return strings.Join(append(slices.Clone(others), value), "\n")
				}
				for _, entry := range []string{block(key + ":"), block(key + ": ~"), flow(key), flow(key + ": "), flow(key + ": ~")} {
					d.same(entry)
				}
				for inner := range yamlFields(ft) {
					for _, entry := range []string{block(key + ":\n  " + inner + ":"), flow(key + ": {" + inner + "}")} {
						d.same(entry)
					}
				}
			}
		})
	}
}

// decoder decodes entries of one mechanism both ways.
type decoder struct {
	t                testing.TB
	theirKey, ourKey string
}

func body(entry string) string {
	return "\n  - " + strings.Join(strings.Split(entry, "\n"), "\n    ") + "\n"
}

// prometheus decodes entry as Prometheus's configuration loader does.
func (d decoder) prometheus(entry string) (promdisc.Config, error) {
	var cfgs promdisc.Configs
	if err := yamlv2.UnmarshalStrict([]byte(d.theirKey+"_sd_configs:"+body(entry)), &cfgs); err != nil {
		return nil, err
	}
	return cfgs[0], nil
}

var (
	v2Line         = regexp.MustCompile(`line \d+: `)
	v2UnknownField = regexp.MustCompile(`^field (.*) not found in type `)
)

// same requires ecopatterns to decode entry to the configuration
// Prometheus decodes it to, or to refuse it as Prometheus does.
func (d decoder) same(entry string) {
	d.t.Helper()
	theirs, theirErr := d.prometheus(entry)
	var cfgs discovery.Configs
	ourErr := yaml.Unmarshal([]byte(d.ourKey+"_sd_configs:"+body(entry)), &cfgs)
	if theirErr != nil {
		require.Error(d.t, ourErr, "Prometheus refuses %q: %v", entry, theirErr)
		want := strings.TrimPrefix(v2Line.ReplaceAllString(theirErr.Error(), ""), "yaml: unmarshal errors:\n  ")
		if m := v2UnknownField.FindStringSubmatch(want); m != nil {
			want = fmt.Sprintf("unknown field %q", m[1])
		}
		require.Contains(d.t, v2Line.ReplaceAllString(ourErr.Error(), ""), want, entry)
		return
	}
	require.NoError(d.t, ourErr, "Prometheus accepts %q", entry)
	require.Len(d.t, cfgs, 1)
	ours := cfgs[0].(interface{ PrometheusConfig() promdisc.Config }).PrometheusConfig()
	require.Equal(d.t, theirs, ours, entry)
}

// yamlFields returns the keys yaml.v2 reads into the fields of t (through
// pointers, and inlined structs), with their types; none unless t is a
// struct.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, flags, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-" || !f.IsExported() && !f.Anonymous:
		case slices.Contains(strings.Split(flags, ","), "inline"):
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case f.IsExported():
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			out[name] = f.Type
		}
	}
	return out
}
