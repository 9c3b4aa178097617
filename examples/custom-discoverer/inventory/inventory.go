// Package inventory is a third-party discovery mechanism: a directory that
// holds one file per host. The file's name is the host name; its content, a
// YAML mapping of label names to values, becomes the host's labels. An empty
// file is a host with no labels of its own.
//
//	/etc/inventory/web-1     role: web
//	/etc/inventory/db-1      role: db
//	                         zone: b
//
// Importing the package registers the key inventory_sd_configs:
//
//	inventory_sd_configs:
//	  - dir: /etc/inventory
//	    port: 9100
//	    refresh_interval: 30s
//
// Every host becomes one group whose Source is the host name and whose one
// target is host:port, labelled with the file's labels and
// __meta_inventory_host. The directory is read at once and then every
// refresh_interval, through discovery/refresh, so only hosts that changed are
// sent. Names starting with a dot or ending in .tmp are skipped, so that a
// writer can create a file under a temporary name and rename it into place.
// A file that cannot be read or parsed keeps its host's last good labels and
// is reported with discovery.ReportError.
package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/refresh"
	"github.com/ecopatterns/ecopatterns/options"
)

// HostLabel is the label holding the host name, the name of its file.
const HostLabel = discovery.MetaLabelPrefix + "inventory_host"

// Config configures inventory discovery, under the key inventory_sd_configs.
type Config struct {
	// Dir is the directory of host files. It is required.
	Dir string `json:"dir" yaml:"dir"`
	// Port is the port of every target, 1 to 65535.
	Port int `json:"port" yaml:"port"`
	// RefreshInterval is the time between two reads of Dir. It must be > 0.
	RefreshInterval time.Duration `json:"refresh_interval" yaml:"refresh_interval"`
}

// DefaultConfig returns the defaults of a decoded inventory_sd_configs
// entry: port 9100, read every 30 s, no directory.
func DefaultConfig() *Config {
	return &Config{Port: 9100, RefreshInterval: 30 * time.Second}
}

func init() {
	// The prototype holds the defaults that a decoded entry starts from.
	discovery.RegisterConfig(DefaultConfig())
}

var _ discovery.Config = (*Config)(nil)

// Name returns "inventory", which makes the key inventory_sd_configs.
func (*Config) Name() string { return "inventory" }

// Validate reports every field that is not usable. Decoding calls it, so a
// bad entry is refused with the configuration, not when the discoverer runs.
func (c *Config) Validate() error {
	var v options.Collector
	options.NotEmpty(&v, "dir", c.Dir)
	options.InRange(&v, "port", c.Port, 1, 65535)
	options.Positive(&v, "refresh_interval", c.RefreshInterval)
	return v.Err()
}

// NewDiscoverer returns a discoverer that reads c.Dir. It starts nothing:
// the directory is first read when the discoverer runs.
func (c *Config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	dir, port := c.Dir, strconv.Itoa(c.Port)
	return refresh.New(c.RefreshInterval, func(context.Context) ([]*discovery.Group, error) {
		return readDir(dir, port)
	})
}

// readDir returns a group per host file in dir. On error the groups of the
// files it could read are returned with it, and refresh keeps the last good
// groups of the others.
func readDir(dir, port string) ([]*discovery.Group, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	groups := []*discovery.Group{}
	var errs []error
	for _, e := range entries {
		host := e.Name()
		if strings.HasPrefix(host, ".") || strings.HasSuffix(host, ".tmp") || e.IsDir() {
			continue
		}
		labels, err := readHost(dir, host)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing: the host is gone
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		labels[HostLabel] = host
		groups = append(groups, &discovery.Group{
			Source:  host,
			Targets: []discovery.Labels{{discovery.AddressLabel: net.JoinHostPort(host, port)}},
			Labels:  labels,
		})
	}
	return groups, errors.Join(errs...)
}

// readHost reads the labels of one host file.
func readHost(dir, host string) (discovery.Labels, error) {
	data, err := os.ReadFile(filepath.Join(dir, host))
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return parseHost(host, data)
}

// parseHost decodes the content of a host file: empty, or a YAML mapping
// of label names to values.
func parseHost(host string, data []byte) (discovery.Labels, error) {
	labels := discovery.Labels{}
	if len(bytes.TrimSpace(data)) == 0 {
		return labels, nil
	}
	if err := yaml.Unmarshal(data, &labels); err != nil {
		return nil, fmt.Errorf("inventory: host %s: want a mapping of label names to values: %w", host, err)
	}
	for name := range labels {
		if name == "" || strings.HasPrefix(name, "__") {
			return nil, fmt.Errorf("inventory: host %s: label %q: names must not be empty or start with __", host, name)
		}
	}
	return labels, nil
}
