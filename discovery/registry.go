package discovery

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
)

// staticKey is the configuration key of StaticConfig, built in.
const staticKey = "static_configs"

// keySuffix ends the configuration key of every registered Config.
const keySuffix = "_sd_configs"

// registry holds the registered Configs by configuration key. It is the
// package's only mutable global: written by RegisterConfig, from init
// functions, and read when Configs are decoded. It only grows.
var registry = struct {
	sync.RWMutex
	byKey map[string]Config
}{byKey: make(map[string]Config)}

// RegisterConfig makes the mechanism of cfg configurable under the key
// <name>_sd_configs, where name is cfg.Name(). Call it from an init
// function of the package that implements the mechanism; a program enables
// the mechanism by importing that package.
//
// cfg is the prototype of every value Configs decodes for the key: a deep
// copy of it receives the configuration section, so the values it holds are
// the defaults. It should be a pointer to a struct with json and yaml tags
// (DecodeJSON and DecodeYAML describe the rules). If the decoded value has a
// method Validate() error, Configs calls it and refuses the section on
// error.
//
// RegisterConfig panics, with a message naming both types, if the name is
// already registered, and it panics if cfg is nil, if its name is not
// lower-case letters, digits and underscores starting with a letter, or if
// the name is "static", which is built in.
func RegisterConfig(cfg Config) {
	if cfg == nil {
		panic("discovery: RegisterConfig: config is nil")
	}
	if v := reflect.ValueOf(cfg); v.Kind() == reflect.Pointer && v.IsNil() {
		panic(fmt.Sprintf("discovery: RegisterConfig: config is a nil %T", cfg))
	}
	name := cfg.Name()
	if !validName(name) {
		panic(fmt.Sprintf("discovery: RegisterConfig: %T has name %q; want lower-case letters, digits and underscores, starting with a letter", cfg, name))
	}
	if name == "static" {
		panic(fmt.Sprintf("discovery: RegisterConfig: %T: the name \"static\" is built in (StaticConfig)", cfg))
	}
	key := name + keySuffix
	registry.Lock()
	defer registry.Unlock()
	if old, ok := registry.byKey[key]; ok {
		panic(fmt.Sprintf("discovery: RegisterConfig: name %q registered twice: by %T and by %T", name, old, cfg))
	}
	registry.byKey[key] = cfg
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

// RegisteredNames returns the names of the registered mechanisms, sorted.
// The built-in "static" is not among them.
func RegisteredNames() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.byKey))
	for _, c := range registry.byKey {
		names = append(names, c.Name())
	}
	slices.Sort(names)
	return names
}

// knownKeys returns every configuration key Configs accepts, sorted.
func knownKeys() []string {
	registry.RLock()
	defer registry.RUnlock()
	keys := make([]string, 0, len(registry.byKey)+1)
	keys = append(keys, staticKey)
	for k := range registry.byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookup returns the prototype registered for key.
func lookup(key string) (Config, bool) {
	registry.RLock()
	defer registry.RUnlock()
	c, ok := registry.byKey[key]
	return c, ok
}

// unknownKey builds the error for a configuration key nobody registered.
func unknownKey(key, where string) error {
	keys := knownKeys()
	return fmt.Errorf("%w %q%s%s; known keys: %s (a mechanism is registered by importing its package)",
		ErrUnknownConfig, key, where, didYouMean(key, keys), strings.Join(keys, ", "))
}

// newConfig returns a deep copy of the prototype proto and a pointer to
// decode into.
func newConfig(proto Config) (cfg func() Config, target any) {
	v := deepCopy(reflect.ValueOf(proto))
	if v.Kind() == reflect.Pointer {
		return func() Config { return v.Interface().(Config) }, v.Interface()
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return func() Config { return p.Elem().Interface().(Config) }, p.Interface()
}

// validate calls cfg's Validate method, if it has one.
func validate(cfg Config) error {
	if v, ok := cfg.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// Configs is the discovery configuration of one target set: a list of
// Configs of any registered mechanism.
//
// Its JSON and YAML forms are a mapping from keys <name>_sd_configs to lists
// of that mechanism's configurations, plus the built-in key static_configs
// whose list holds groups in the targets/labels form of Group:
//
//	static_configs:
//	  - targets: ["db-1:5432", "db-2:5432"]
//	    labels: {role: db}
//	file_sd_configs:
//	  - files: ["/etc/targets/*.yaml"]
//
// Decoding keeps the order of the document. All static_configs groups make
// one StaticConfig whose groups have their index as Source. An unknown key
// is an error (ErrUnknownConfig) that lists the known keys and suggests the
// closest; so are a key given twice, a null or non-list section, a null
// entry, and an entry that names an unknown field or fails its Validate
// method.
type Configs []Config

// UnmarshalJSON decodes the JSON form of c.
func (c *Configs) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("discovery: configs: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("discovery: configs: want an object of <name>_sd_configs keys, got %v", tok)
	}
	var out Configs
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("discovery: configs: %w", err)
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("discovery: %s: %w", key, err)
		}
		if seen[key] {
			return fmt.Errorf("discovery: key %q appears twice", key)
		}
		seen[key] = true
		cfgs, err := decodeJSONSection(key, raw)
		if err != nil {
			return err
		}
		out = append(out, cfgs...)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("discovery: configs: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("discovery: configs: trailing data after the object")
	}
	*c = out
	return nil
}

func decodeJSONSection(key string, raw json.RawMessage) (Configs, error) {
	proto, registered := lookup(key)
	if !registered && key != staticKey {
		return nil, unknownKey(key, "")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("discovery: %s: want a list: %w", key, err)
	}
	if items == nil {
		return nil, fmt.Errorf("discovery: %s: null section; remove the key or give a list", key)
	}
	return decodeSection(key, proto, registered, len(items), sectionEntries{
		null:      func(i int) bool { return bytes.Equal(bytes.TrimSpace(items[i]), []byte("null")) },
		nullWhere: func(int) string { return "" },
		group:     func(i int, g *Group) error { return g.decodeJSON(items[i]) },
		config:    func(i int, target any, where string) error { return decodeJSON(items[i], target, where) },
	})
}

// sectionEntries is how one wire form (JSON or YAML) reads entry i of a
// <name>_sd_configs section; decodeSection does the rest the same way for
// both.
type sectionEntries struct {
	null      func(i int) bool
	nullWhere func(i int) string // " line N" or "", for the null-entry error
	group     func(i int, g *Group) error
	config    func(i int, target any, where string) error
}

// decodeSection builds the Configs of one section of n entries: for a
// registered name a validated Config per entry, for static_configs one
// StaticConfig whose groups are sourced by their index.
func decodeSection(key string, proto Config, registered bool, n int, e sectionEntries) (Configs, error) {
	var out Configs
	var static StaticConfig
	for i := range n {
		where := key + "[" + strconv.Itoa(i) + "]"
		if e.null(i) {
			return nil, fmt.Errorf("discovery: %s:%s null entry", where, e.nullWhere(i))
		}
		if !registered {
			g := new(Group)
			if err := e.group(i, g); err != nil {
				return nil, fmt.Errorf("discovery: %s: %w", where, err)
			}
			g.Source = strconv.Itoa(i)
			static = append(static, g)
			continue
		}
		cfg, target := newConfig(proto)
		if err := e.config(i, target, where); err != nil {
			return nil, err
		}
		if err := validate(cfg()); err != nil {
			return nil, fmt.Errorf("discovery: %s: %w", where, err)
		}
		out = append(out, cfg())
	}
	if len(static) > 0 {
		out = append(out, static)
	}
	return out, nil
}

// UnmarshalYAML decodes the YAML form of c.
//
// This package decodes YAML with go.yaml.in/yaml/v3, and with it messages
// name the line of what is wrong. UnmarshalYAML has the form of the method
// that every yaml module calls, so gopkg.in/yaml.v3 and gopkg.in/yaml.v2
// (the module of Prometheus's own configuration types) decode Configs too,
// with the same checks and suggestions, with two differences: those
// modules do not give lines, so messages name the key and path only, and
// they decode mappings without their order, so the sections of one set
// come in key order rather than document order.
func (c *Configs) UnmarshalYAML(unmarshal func(any) error) error {
	n, err := yamlNodeOf(unmarshal)
	if err != nil {
		return fmt.Errorf("discovery: configs: %w", err)
	}
	return c.decodeYAML(n)
}

// decodeYAML decodes c from the node n.
func (c *Configs) decodeYAML(n *yaml.Node) error {
	if err := yamlbound.Check(n); err != nil {
		return fmt.Errorf("discovery: configs: %w", err)
	}
	n = resolveYAML(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("discovery: configs: %swant a mapping of <name>_sd_configs keys, got %s", atLine(n.Line), yamlKind(n))
	}
	var out Configs
	seen := make(map[string]bool)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveYAML(n.Content[i+1])
		key := k.Value
		if seen[key] {
			return fmt.Errorf("discovery: %skey %q appears twice", atLine(k.Line), key)
		}
		seen[key] = true
		cfgs, err := decodeYAMLSection(key, k.Line, v)
		if err != nil {
			return err
		}
		out = append(out, cfgs...)
	}
	*c = out
	return nil
}

func decodeYAMLSection(key string, line int, v *yaml.Node) (Configs, error) {
	proto, registered := lookup(key)
	if !registered && key != staticKey {
		where := ""
		if line > 0 {
			where = fmt.Sprintf(" (line %d)", line)
		}
		return nil, unknownKey(key, where)
	}
	if v.Kind != yaml.SequenceNode {
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			return nil, fmt.Errorf("discovery: %s: %snull section; remove the key or give a list", key, atLine(line))
		}
		return nil, fmt.Errorf("discovery: %s: %swant a list, got %s", key, atLine(v.Line), yamlKind(v))
	}
	items := make([]*yaml.Node, len(v.Content))
	for i, item := range v.Content {
		items[i] = resolveYAML(item)
	}
	return decodeSection(key, proto, registered, len(items), sectionEntries{
		null:      func(i int) bool { return items[i].Kind == yaml.ScalarNode && items[i].ShortTag() == "!!null" },
		nullWhere: func(i int) string { return strings.TrimSuffix(" "+atLine(items[i].Line), " ") },
		group:     func(i int, g *Group) error { return g.decodeYAML(items[i]) },
		config:    func(i int, target any, where string) error { return decodeYAML(items[i], target, where) },
	})
}

// sections groups c by configuration key, for encoding.
func (c Configs) sections() (map[string][]any, error) {
	out := make(map[string][]any)
	for i, cfg := range c {
		if cfg == nil {
			return nil, fmt.Errorf("discovery: configs[%d] is nil", i)
		}
		if s, ok := cfg.(StaticConfig); ok {
			for _, g := range s {
				if g == nil {
					return nil, fmt.Errorf("discovery: configs[%d] holds a nil group", i)
				}
				out[staticKey] = append(out[staticKey], g)
			}
			continue
		}
		key := cfg.Name() + keySuffix
		out[key] = append(out[key], cfg)
	}
	return out, nil
}

// MarshalJSON encodes c in the form UnmarshalJSON reads, keys sorted. Group
// Sources are not part of the form.
func (c Configs) MarshalJSON() ([]byte, error) {
	s, err := c.sections()
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// MarshalYAML encodes c in the form UnmarshalYAML reads, keys sorted.
func (c Configs) MarshalYAML() (any, error) {
	return c.sections()
}

// configKey returns the canonical encoding of cfg by which a Manager
// recognizes identical configurations: its type, its name, and its JSON
// encoding (encoding/json sorts map keys, so equal values encode equally).
// A StaticConfig encodes its Sources and every target label too.
func configKey(cfg Config) (string, error) {
	var b []byte
	var err error
	if s, ok := cfg.(StaticConfig); ok {
		type entry struct {
			S string
			T []Labels
			L Labels
		}
		entries := make([]entry, len(s))
		for i, g := range s {
			if g != nil {
				entries[i] = entry{g.Source, g.Targets, g.Labels}
			}
		}
		b, err = json.Marshal(entries)
	} else {
		b, err = json.Marshal(cfg)
	}
	if err != nil {
		return "", fmt.Errorf("discovery: %s config cannot be encoded as JSON, so it cannot be compared: %w", cfg.Name(), err)
	}
	return fmt.Sprintf("%T\x00%s\x00%s", cfg, cfg.Name(), b), nil
}
