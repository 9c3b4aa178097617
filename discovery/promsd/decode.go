package promsd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/common/config"
	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/options"
)

// secretsKey is the key under which MarshalJSON records a keyed digest of
// the configuration's secrets, and which UnmarshalJSON ignores.
const secretsKey = "secrets_digest"

var (
	secretType        = reflect.TypeFor[config.Secret]()
	v2UnmarshalerType = reflect.TypeFor[yamlv2.Unmarshaler]()
	// v2Line matches the line prefix of a yaml.v2 error, which counts lines
	// of the re-encoded entry rather than of the caller's document.
	v2Line = regexp.MustCompile(`line \d+: `)
)

// UnmarshalYAML decodes one entry of a <name>_sd_configs list as
// Prometheus does: with yaml.v2, strictly (unknown keys are errors), into a
// fresh value of T whose own UnmarshalYAML applies Prometheus's defaults and
// validation, and refusing an entry that decodes to the zero value
// ("empty or null section", as Prometheus). Before that, every key is
// checked against the fields of T, so that an unknown key fails with the
// line of the caller's document and the closest field name, like every
// discovery configuration. Values of secret fields never appear in its
// errors.
func (c *Config[T]) UnmarshalYAML(n *yaml.Node) error {
	n = inlineAliases(n)
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Pointer || t.Elem().Kind() == reflect.Pointer {
		return fmt.Errorf("promsd: %s: want a pointer to a struct type, got %s", c.Name(), t)
	}
	var secrets []string
	var unknown []error
	walkKeys(n, t, "", &unknown, &secrets)

	b, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Errorf("promsd: %s: %w", c.Name(), err)
	}
	p := reflect.New(t.Elem())
	if err := yamlv2.UnmarshalStrict(b, p.Interface()); err != nil {
		if len(unknown) > 0 {
			return errors.Join(unknown...)
		}
		msg := scrub(v2Line.ReplaceAllString(err.Error(), ""), secrets)
		return fmt.Errorf("promsd: %s: line %d: %s", c.Name(), n.Line, msg)
	}
	if p.Elem().IsZero() {
		return fmt.Errorf("promsd: %s: line %d: empty or null section", c.Name(), n.Line)
	}
	c.prom = p.Interface().(T)
	return nil
}

// UnmarshalJSON decodes the JSON form of the YAML that UnmarshalYAML reads,
// with the same rules. The key secrets_digest written by MarshalJSON is
// ignored.
func (c *Config[T]) UnmarshalJSON(data []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("promsd: %s: %w", c.Name(), err)
	}
	if n.Kind != yaml.DocumentNode || len(n.Content) != 1 {
		return fmt.Errorf("promsd: %s: want one JSON object", c.Name())
	}
	root := n.Content[0]
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == secretsKey {
				root.Content = slices.Delete(root.Content, i, i+2)
				break
			}
		}
	}
	return c.UnmarshalYAML(root)
}

// MarshalYAML returns Prometheus's YAML form of the configuration, with
// every secret shown as <secret>, as Prometheus prints it.
func (c *Config[T]) MarshalYAML() (any, error) {
	if isNil(c.prom) {
		return map[string]any{}, nil
	}
	b, err := yamlv2.Marshal(c.prom)
	if err != nil {
		return nil, fmt.Errorf("promsd: %s: %w", c.Name(), err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("promsd: %s: %w", c.Name(), err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// MarshalJSON returns the form of MarshalYAML as JSON plus, when the
// configuration holds secrets, the key secrets_digest: a digest of their
// values keyed by a random key of this process. It lets a Manager see that
// a secret changed (and restart the discoverer) without the secret ever
// being printed; it means nothing in another process.
func (c *Config[T]) MarshalJSON() ([]byte, error) {
	m, err := c.MarshalYAML()
	if err != nil {
		return nil, err
	}
	out := m.(map[string]any)
	if !isNil(c.prom) {
		if s := collectSecrets(reflect.ValueOf(c.prom)); len(s) > 0 {
			out[secretsKey] = digest(s)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("promsd: %s: %w", c.Name(), err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// String returns the YAML form of MarshalYAML, secrets shown as <secret>.
// It has a value receiver so that a Config printed by value (by
// options.Diff, say) hides its secrets too.
func (c Config[T]) String() string {
	m, err := c.MarshalYAML()
	if err != nil {
		return c.Name() + ": " + err.Error()
	}
	b, err := yaml.Marshal(map[string]any{c.Name() + "_sd_configs": []any{m}})
	if err != nil {
		return c.Name() + ": " + err.Error()
	}
	return strings.TrimRight(string(b), "\n")
}

// LogValue logs c as String does, secrets shown as <secret>.
func (c Config[T]) LogValue() slog.Value { return slog.StringValue(c.String()) }

// inlineAliases returns a copy of n that yaml.v3 encodes as text yaml.v2
// reads as the same value: every alias is replaced by a copy of the node it
// names, so that the entry can be encoded on its own, and every implicit
// null is tagged (see markNull).
func inlineAliases(n *yaml.Node) *yaml.Node {
	return inlineDepth(n, 0)
}

// markNull tags c explicitly as !!null when it is an empty untagged plain
// scalar: a null written as nothing at all ("key:", "{key}", "- ").
// yaml.v3's encoder cannot write an empty plain scalar inside a flow
// collection and writes an empty single-quoted string instead, which
// yaml.v2 reads as the empty string: "{authorization}" would decode as
// authorization: "" and fail where Prometheus reads a null. Tagged, it is
// written as the tag !!null and an empty value, a null to yaml.v2, which
// skips the unmarshalers of null values as Prometheus does. The value
// stays empty, so errors naming the key are unchanged. Other nulls (~,
// null, Null, NULL) are written as they were read.
func markNull(c *yaml.Node) {
	const quoted = yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
	if c.Kind == yaml.ScalarNode && c.Value == "" && c.Style&(quoted|yaml.TaggedStyle) == 0 && c.ShortTag() == "!!null" {
		c.Tag, c.Style = "!!null", c.Style|yaml.TaggedStyle
	}
}

func inlineDepth(n *yaml.Node, depth int) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil && depth < 100 {
		n = n.Alias
		depth++
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return inlineDepth(n.Content[0], depth)
	}
	c := *n
	c.Anchor = ""
	markNull(&c)
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			if depth > 100 {
				c.Content[i] = k
				continue
			}
			c.Content[i] = inlineDepth(k, depth+1)
		}
	}
	return &c
}

// walkKeys checks the mapping keys of n against the yaml.v2 field names
// of t, appending an error for each key no field takes, and collects the
// scalar values given to secret fields.
func walkKeys(n *yaml.Node, t reflect.Type, path string, errs *[]error, secrets *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if holdsSecrets(t) {
		collectScalars(n, t, secrets)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields, inlineMap := v2Fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Value == "<<" {
				walkKeys(n.Content[i+1], t, path, errs, secrets)
				continue
			}
			ft, ok := fields[k.Value]
			switch {
			case ok:
				walkKeys(n.Content[i+1], ft, joinPath(path, k.Value), errs, secrets)
			case inlineMap != nil:
				// yaml.v2 puts the keys no field takes in the inlined map.
				walkKeys(n.Content[i+1], inlineMap.Elem(), path+"["+strconv.Quote(k.Value)+"]", errs, secrets)
			case !customForm(t):
				*errs = append(*errs, fmt.Errorf("promsd: %sline %d: unknown field %q%s", at(path), k.Line, k.Value, didYouMean(k.Value, fields)))
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				walkKeys(c, t.Elem(), path+"["+strconv.Itoa(i)+"]", errs, secrets)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				walkKeys(n.Content[i+1], t.Elem(), path+"["+strconv.Quote(n.Content[i].Value)+"]", errs, secrets)
			}
		}
	}
}

// holdsSecrets reports whether t is config.Secret, or a pointer, slice,
// array or map whose values are (no struct between): a type whose every
// value in the document is a secret, whatever shape it was given.
func holdsSecrets(t reflect.Type) bool {
	for range 32 { // a type of itself ([]T for T) ends the loop here
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			t = t.Elem()
		default:
			return t == secretType
		}
	}
	return false
}

// collectScalars appends to secrets every non-empty scalar of n given to
// t, which holds secrets: the values of a map, every item of a list, and
// every scalar of a node of the wrong shape (a scalar for a list, say),
// which yaml.v2 may quote in its error.
func collectScalars(n *yaml.Node, t reflect.Type, secrets *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.ScalarNode:
		if n.Value != "" {
			*secrets = append(*secrets, n.Value)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 1; i < len(n.Content); i += 2 {
			collectScalars(n.Content[i], t.Elem(), secrets)
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			collectScalars(c, t.Elem(), secrets)
		}
	default:
		for _, c := range n.Content {
			collectScalars(c, t, secrets)
		}
	}
}

// customForm reports whether struct type t decodes itself from a form
// that is not its own fields: it implements yaml.v2's Unmarshaler and has
// no exported field with a yaml tag. Unknown keys of such types are left
// to yaml.v2.
func customForm(t reflect.Type) bool {
	if !reflect.PointerTo(t).Implements(v2UnmarshalerType) && !t.Implements(v2UnmarshalerType) {
		return false
	}
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && f.Tag.Get("yaml") != "" {
			return false
		}
	}
	return true
}

// v2Fields returns the keys yaml.v2 maps to the fields of struct type t,
// including inlined structs, and the type of an inlined map, which takes
// every other key (nil if there is none).
func v2Fields(t reflect.Type) (fields map[string]reflect.Type, inlineMap reflect.Type) {
	fields = make(map[string]reflect.Type)
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, flags, _ := strings.Cut(tag, ",")
			if slices.Contains(strings.Split(flags, ","), "inline") {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				switch ft.Kind() {
				case reflect.Struct:
					add(ft)
				case reflect.Map:
					inlineMap = ft
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f.Type
		}
	}
	add(t)
	return fields, inlineMap
}

// didYouMean suggests the field name closest to key, if one is close.
func didYouMean(key string, fields map[string]reflect.Type) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	if s, ok := options.Suggest(key, names); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}
