package file

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/options"
)

// FilepathLabel is the label holding the path of the file a group came
// from.
const FilepathLabel = discovery.MetaLabelPrefix + "filepath"

// Config configures file discovery, under the key file_sd_configs.
type Config struct {
	// Files are paths or patterns of the files to read. Each ends in
	// .json, .yml or .yaml (the extension picks the format) and may hold
	// a * in its last path element. At least one is required.
	Files []string `json:"files" yaml:"files"`
	// RefreshInterval is the time between rereads of all files on top of
	// those that changes trigger. It must be > 0.
	RefreshInterval time.Duration `json:"refresh_interval" yaml:"refresh_interval"`
	// MaxFileSize is the largest file, in bytes, that is read; a larger
	// one is a reported failure. It must be > 0.
	MaxFileSize int64 `json:"max_file_size" yaml:"max_file_size"`
	// MaxTargets is the most targets one file may list, counted over its
	// groups; a file with more is a reported failure that keeps the
	// file's last good groups. It bounds what a small YAML file can
	// expand into through aliases, on top of the refusal of excessive
	// aliasing. It must be > 0.
	MaxTargets int `json:"max_targets" yaml:"max_targets"`
}

// DefaultConfig returns a new Config holding the defaults of a decoded
// file_sd_configs entry: reread every 5 minutes, files up to 16 MiB and
// 100,000 targets, no files. Like every mechanism's DefaultConfig, it
// returns the pointer that implements discovery.Config, so it goes into
// discovery.Configs as it is.
func DefaultConfig() *Config {
	return &Config{RefreshInterval: 5 * time.Minute, MaxFileSize: 16 << 20, MaxTargets: 100_000}
}

func init() {
	discovery.RegisterConfig(DefaultConfig())
}

var _ discovery.Config = (*Config)(nil)

// Name returns "file".
func (*Config) Name() string { return "file" }

// Validate reports every field that is not usable.
func (c *Config) Validate() error {
	var v options.Collector
	options.Check(&v, len(c.Files) > 0, "files", c.Files, "must list at least one file or pattern")
	for i, f := range c.Files {
		if err := checkPattern(f); err != nil {
			v.Add("files["+strconv.Itoa(i)+"]", f, err.Error())
		}
	}
	options.Positive(&v, "refresh_interval", c.RefreshInterval)
	options.Positive(&v, "max_file_size", c.MaxFileSize)
	options.Positive(&v, "max_targets", c.MaxTargets)
	return v.Err()
}

// checkPattern reports what is wrong with a file pattern.
func checkPattern(p string) error {
	switch {
	case p == "":
		return errors.New("must not be empty")
	case format(p) == "":
		return errors.New("must end in .json, .yml or .yaml")
	case strings.Contains(filepath.Dir(p), "*"):
		return errors.New("may hold a * in its last path element only")
	}
	if _, err := filepath.Match(p, ""); err != nil {
		return fmt.Errorf("is not a valid pattern: %w", err)
	}
	return nil
}

// format returns "json" or "yaml" for a path's extension, or "".
func format(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".yml", ".yaml":
		return "yaml"
	}
	return ""
}

// NewDiscoverer validates c and returns a discoverer of its files.
func (c *Config) NewDiscoverer(discovery.DiscovererOptions) (discovery.Discoverer, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	d := &discoverer{interval: c.RefreshInterval, maxSize: c.MaxFileSize, maxTargets: c.MaxTargets, newWatcher: newFSWatcher}
	for _, p := range c.Files {
		d.patterns = append(d.patterns, filepath.Clean(p))
	}
	return d, nil
}
