package benchmarks

import (
	"testing"

	"github.com/stretchr/testify/require"
	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/file"
)

// Not a benchmark: discovery.Configs decodes with the yaml modules other
// than its own (go.yaml.in/yaml/v3), which the root module cannot import.
// This module already holds third-party code, so the check lives here.

// TestConfigsDecodeWithOtherYAMLModules decodes a configuration with
// gopkg.in/yaml.v3 and gopkg.in/yaml.v2, whose users got "cannot
// unmarshal !!map into discovery.Configs" when the method had the form
// only go.yaml.in/yaml/v3 calls, and checks that the strict checks and
// their suggestions hold there too.
func TestConfigsDecodeWithOtherYAMLModules(t *testing.T) {
	const config = `
web:
  static_configs:
    - targets: [web-1:8080, web-2:8080]
      labels: {env: prod}
  file_sd_configs:
    - files: [/etc/targets/*.json]
      refresh_interval: 30s
`
	const bad = "web:\n  file_sd_configs:\n    - file: [a.json]\n"
	modules := map[string]func([]byte, any) error{
		"gopkg.in/yaml.v3": yamlv3.Unmarshal,
		"gopkg.in/yaml.v2": yamlv2.Unmarshal,
	}
	for name, unmarshal := range modules {
		t.Run(name, func(t *testing.T) {
			var sets map[string]discovery.Configs
			require.NoError(t, unmarshal([]byte(config), &sets))
			require.Len(t, sets["web"], 2)
			var static discovery.StaticConfig
			var files *file.Config
			for _, c := range sets["web"] {
				switch c := c.(type) {
				case discovery.StaticConfig:
					static = c
				case *file.Config:
					files = c
				}
			}
			require.Len(t, static, 1)
			require.Len(t, static[0].Targets, 2)
			require.Equal(t, discovery.Labels{"env": "prod"}, static[0].Labels)
			want := file.DefaultConfig()
			want.Files = []string{"/etc/targets/*.json"}
			want.RefreshInterval = 30e9
			require.Equal(t, want, files)

			err := unmarshal([]byte(bad), &sets)
			require.ErrorContains(t, err, `discovery: file_sd_configs[0]: unknown field "file" (did you mean "files"?)`)
			err = unmarshal([]byte("web:\n  fiel_sd_configs: []\n"), &sets)
			require.ErrorContains(t, err, `unknown configuration key "fiel_sd_configs" (did you mean "file_sd_configs"?)`)
			err = unmarshal([]byte("web:\n  static_configs: [{targets: [a:1], label: {}}]\n"), &sets)
			require.ErrorContains(t, err, `unknown key "label" (did you mean "labels"?)`)

			var groups []*discovery.Group
			require.NoError(t, unmarshal([]byte("- targets: [a:1]\n"), &groups))
			require.Equal(t, "a:1", groups[0].Targets[0][discovery.AddressLabel])
		})
	}
}
