package promsd

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/config"
	promdisc "github.com/prometheus/prometheus/discovery"

	"github.com/ecopatterns/ecopatterns/discovery"
	"github.com/ecopatterns/ecopatterns/options"
)

var (
	// ErrNative is returned by Register for a mechanism whose name
	// ecopatterns serves natively (static, file, dns, http): the
	// Prometheus mechanism is registered under an alias with RegisterAs
	// instead, so that a program never swaps one for the other silently.
	ErrNative = errors.New("promsd: name is served natively by ecopatterns")
	// ErrRegistered is returned by Register and RegisterAs when the name is
	// already registered with discovery, or the Prometheus config type is
	// already registered by this package under another name.
	ErrRegistered = errors.New("promsd: already registered")
	// ErrNoConfig is returned by NewDiscoverer for a Config that holds no
	// Prometheus configuration, such as a zero Config.
	ErrNoConfig = errors.New("promsd: config holds no Prometheus configuration")
	// ErrNoFirstUpdate is reported with discovery.ReportError when a
	// mechanism sent nothing within Options.FirstUpdateTimeout of starting,
	// which is how a watch-based mechanism that cannot reach its server
	// (Kubernetes, for one) shows that it is stuck.
	ErrNoFirstUpdate = errors.New("promsd: the mechanism sent no targets yet")
)

// NativeNames are the mechanism names ecopatterns serves with its own
// packages. Register refuses them; RegisterAs registers a Prometheus
// mechanism of one of these names under an alias, and the all package uses
// the alias "prometheus_<name>".
var NativeNames = []string{"static", "file", "dns", "http"}

// Options configures the discoverers of a Config.
type Options struct {
	// Registerer receives the mechanism's metrics (those of its package and
	// Prometheus's prometheus_sd_refresh_* metrics) while a discoverer runs:
	// they are registered when Run starts and unregistered when it returns,
	// labelled provider="<provider name>" so that several providers can
	// share one registry. Nil means a private registry per discoverer,
	// which nobody reads; the global registry is never used unless passed
	// here.
	Registerer prometheus.Registerer `json:"-" options:"-"`
	// FirstUpdateTimeout is how long a discoverer waits for the
	// mechanism's first update before it reports ErrNoFirstUpdate (once)
	// with discovery.ReportError. It keeps waiting. Zero disables the
	// report; it must not be negative.
	FirstUpdateTimeout time.Duration `usage:"report a mechanism that sends nothing within this time of starting"`
	// HTTPClientOptions are passed to mechanisms that accept them (as
	// Prometheus's own DiscovererOptions.HTTPClientOptions).
	HTTPClientOptions []config.HTTPClientOption `json:"-" options:"-"`
}

// DefaultOptions returns options with a private metrics registry per
// discoverer and a FirstUpdateTimeout of one minute.
func DefaultOptions() Options {
	return Options{FirstUpdateTimeout: time.Minute}
}

// Validate reports every field that is not usable.
func (o Options) Validate() error {
	var c options.Collector
	options.Check(&c, o.FirstUpdateTimeout >= 0, "FirstUpdateTimeout", o.FirstUpdateTimeout, "must be >= 0")
	return c.Err()
}

// Config runs the Prometheus service discovery configuration T (such as
// *consul.SDConfig) as an ecopatterns discovery.Config. Its YAML and JSON
// forms are Prometheus's, decoded with Prometheus's own rules (see
// UnmarshalYAML). A Config is a value: decoding replaces the Prometheus
// configuration it holds, never modifies it.
type Config[T promdisc.Config] struct {
	prom T
	name string
	opts *Options
}

// New returns a Config that runs cfg with opts. Its Name is the name T is
// registered under with Register or RegisterAs, or cfg.Name() when T is not
// registered. cfg must not be modified afterwards.
func New[T promdisc.Config](cfg T, opts Options) (*Config[T], error) {
	if isNil(cfg) {
		return nil, fmt.Errorf("%w: cfg is nil", ErrNoConfig)
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("promsd: %w", err)
	}
	name, ok := registeredName[T]()
	if !ok {
		name = cfg.Name()
	}
	return &Config[T]{prom: cfg, name: name, opts: &opts}, nil
}

// Prometheus returns the Prometheus configuration c holds (nil for a zero
// Config). The caller must not modify it.
func (c *Config[T]) Prometheus() T { return c.prom }

// PrometheusConfig returns the Prometheus configuration c holds, for
// code that handles Configs of several mechanisms (nil for a zero
// Config).
func (c *Config[T]) PrometheusConfig() promdisc.Config {
	if isNil(c.prom) {
		return nil
	}
	return c.prom
}

// Name returns the name of the mechanism as configured: the key prefix of
// <name>_sd_configs.
func (c *Config[T]) Name() string {
	if c.name != "" {
		return c.name
	}
	if name, ok := registeredName[T](); ok {
		return name
	}
	if !isNil(c.prom) {
		return c.prom.Name()
	}
	var zero T
	return zero.Name()
}

// options returns the options of c, the defaults when c was not made by
// New or decoded from a registered prototype.
func (c *Config[T]) options() Options {
	if c.opts == nil {
		return DefaultOptions()
	}
	return *c.opts
}

// SetDirectory joins the relative file paths of c (such as
// kubeconfig_file or tls_config.ca_file) with dir, as Prometheus does for
// the directory of its configuration file. Decoding leaves them relative to
// the working directory.
func (c *Config[T]) SetDirectory(dir string) {
	if ds, ok := any(c.prom).(config.DirectorySetter); ok && !isNil(c.prom) {
		ds.SetDirectory(dir)
	}
}

// SetDirectory calls SetDirectory(dir) on every Config of this package in
// cfgs, for a program that decoded cfgs from a file in dir.
func SetDirectory(cfgs discovery.Configs, dir string) {
	for _, c := range cfgs {
		if ds, ok := c.(interface{ SetDirectory(string) }); ok {
			ds.SetDirectory(dir)
		}
	}
}

// registrations maps each Prometheus config type registered by this
// package to the name it is registered under. Like discovery's registry it
// is written from init functions and only grows.
var registrations = struct {
	sync.Mutex
	byType map[reflect.Type]string
}{byType: make(map[reflect.Type]string)}

func registeredName[T promdisc.Config]() (string, bool) {
	registrations.Lock()
	defer registrations.Unlock()
	name, ok := registrations.byType[reflect.TypeFor[T]()]
	return name, ok
}

// Register makes the Prometheus mechanism of proto configurable under its
// own key <name>_sd_configs, where name is proto.Name(), so that
// Prometheus's YAML for it decodes unchanged through discovery.Configs.
// Only the type of proto matters; decoding starts from Prometheus's
// defaults. Every discoverer of the key runs with opts.
//
// Register returns an error wrapping ErrNative for the names ecopatterns
// serves natively (NativeNames; use RegisterAs), ErrRegistered when the
// name or the type is already registered, and the error of opts.Validate.
// Call it from an init function or before decoding configurations.
func Register[T promdisc.Config](proto T, opts Options) error {
	if isNil(proto) {
		return fmt.Errorf("promsd: Register: proto is nil")
	}
	name := proto.Name()
	for _, n := range NativeNames {
		if n == name {
			return fmt.Errorf("%w: %q (%s_sd_configs); register Prometheus's %T under an alias with RegisterAs, such as %q",
				ErrNative, name, name, proto, "prometheus_"+name)
		}
	}
	return register[T](name, opts)
}

// RegisterAs is Register under the name alias (configuration key
// <alias>_sd_configs) instead of proto.Name(). alias must be lower-case
// letters, digits and underscores starting with a letter, and not a native
// name.
func RegisterAs[T promdisc.Config](alias string, proto T, opts Options) error {
	if isNil(proto) {
		return fmt.Errorf("promsd: RegisterAs: proto is nil")
	}
	for _, n := range NativeNames {
		if n == alias {
			return fmt.Errorf("%w: %q; choose another alias for %T", ErrNative, alias, proto)
		}
	}
	if !validName(alias) {
		return fmt.Errorf("promsd: RegisterAs: alias %q: want lower-case letters, digits and underscores, starting with a letter", alias)
	}
	return register[T](alias, opts)
}

func register[T promdisc.Config](name string, opts Options) (err error) {
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("promsd: %w", err)
	}
	typ := reflect.TypeFor[T]()
	registrations.Lock()
	defer registrations.Unlock()
	if old, ok := registrations.byType[typ]; ok {
		return fmt.Errorf("%w: %s is registered as %q", ErrRegistered, typ, old)
	}
	for _, n := range discovery.RegisteredNames() {
		if n == name {
			return fmt.Errorf("%w: the name %q (%s_sd_configs) is taken by another mechanism", ErrRegistered, name, name)
		}
	}
	defer func() {
		// discovery.RegisterConfig panics on a name registered
		// concurrently by someone else: report it like the check above.
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrRegistered, r)
		}
	}()
	discovery.RegisterConfig(&Config[T]{name: name, opts: &opts})
	registrations.byType[typ] = name
	return nil
}

func validName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isNil reports whether v is a nil interface or a nil pointer, map, slice
// or function.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
