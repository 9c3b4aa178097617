package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
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

// parse decodes the groups of a file in the given format ("json" or
// "yaml"). An empty file, and one with more than maxTargets targets, are
// errors.
func parse(data []byte, format string, maxTargets int) ([]*discovery.Group, error) {
	groups, err := decodeGroups(data, format)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, g := range groups {
		n += len(g.Targets)
	}
	if n > maxTargets {
		return nil, fmt.Errorf("%d targets, more than max_targets (%d)", n, maxTargets)
	}
	return groups, nil
}

// decodeGroups decodes the groups of a file in the given format. A YAML
// file whose aliases expand it excessively is refused before any group is
// decoded.
func decodeGroups(data []byte, format string) ([]*discovery.Group, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file; write [] for a file without targets")
	}
	var groups []*discovery.Group
	switch format {
	case "json":
		var items []json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&items); err != nil {
			return nil, fmt.Errorf("want a JSON list of groups: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("trailing data after the list")
		}
		for i, item := range items {
			if bytes.Equal(bytes.TrimSpace(item), []byte("null")) {
				return nil, fmt.Errorf("entry %d is null", i)
			}
			g := new(discovery.Group)
			if err := g.UnmarshalJSON(item); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			groups = append(groups, g)
		}
	case "yaml":
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, err
		}
		if err := yamlbound.Check(&doc); err != nil {
			return nil, err
		}
		n := &doc
		if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
			n = n.Content[0]
		}
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("line %d: want a YAML list of groups", n.Line)
		}
		for i, item := range n.Content {
			if item.Kind == yaml.ScalarNode && item.ShortTag() == "!!null" {
				return nil, fmt.Errorf("entry %d (line %d) is null", i, item.Line)
			}
			g := new(discovery.Group)
			if err := item.Decode(g); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i, err)
			}
			groups = append(groups, g)
		}
	default:
		return nil, fmt.Errorf("unknown format %q", format)
	}
	return groups, nil
}

// readFile reads and parses one file, at most max bytes and maxTargets
// targets of it. Anything
// but a regular file is refused before it is opened: opening a FIFO blocks
// until a writer comes, and a device may never end.
func readFile(path string, max int64, maxTargets int) ([]*discovery.Group, error) {
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := checkRegular(st.Mode()); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Checked again on what was opened, in case the path changed.
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if err := checkRegular(st.Mode()); err != nil {
		return nil, err
	} else if st.Size() > max {
		return nil, fmt.Errorf("%d bytes, more than max_file_size (%d)", st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than max_file_size (%d bytes)", max)
	}
	groups, err := parse(data, format(path), maxTargets)
	if err != nil {
		return nil, err
	}
	for i, g := range groups {
		g.Source = path + ":" + strconv.Itoa(i)
		labels := make(discovery.Labels, len(g.Labels)+1)
		for k, v := range g.Labels {
			labels[k] = v
		}
		labels[FilepathLabel] = path
		g.Labels = labels
	}
	return groups, nil
}

// checkRegular reports a mode that is not a regular file's, naming what it
// is.
func checkRegular(mode os.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	var kind string
	switch {
	case mode&os.ModeNamedPipe != 0:
		kind = "a named pipe"
	case mode.IsDir():
		kind = "a directory"
	case mode&os.ModeDevice != 0:
		kind = "a device"
	case mode&os.ModeSocket != 0:
		kind = "a socket"
	default:
		kind = "of mode " + mode.String()
	}
	return fmt.Errorf("not a regular file (%s); skipped without opening it", kind)
}

// watcher is what the discoverer needs of fsnotify, so that tests can
// replace it.
type watcher interface {
	Add(dir string) error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

// fsWatcher adapts *fsnotify.Watcher.
type fsWatcher struct{ w *fsnotify.Watcher }

func newFSWatcher() (watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return fsWatcher{w}, nil
}

func (f fsWatcher) Add(dir string) error          { return f.w.Add(dir) }
func (f fsWatcher) Events() <-chan fsnotify.Event { return f.w.Events }
func (f fsWatcher) Errors() <-chan error          { return f.w.Errors }
func (f fsWatcher) Close() error                  { return f.w.Close() }

// sortGroups orders groups by Source.
func sortGroups(groups []*discovery.Group) {
	slices.SortFunc(groups, func(a, b *discovery.Group) int { return strings.Compare(a.Source, b.Source) })
}
