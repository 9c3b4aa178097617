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
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery/internal/yamlbound"
)

var (
	durationType        = reflect.TypeFor[time.Duration]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	yamlUnmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	// The form of UnmarshalYAML that every yaml module calls.
	yamlFuncUnmarshalerType = reflect.TypeFor[interface{ UnmarshalYAML(func(any) error) error }]()
)

// DecodeJSON decodes the JSON value data into v, a non-nil pointer, the way
// Configs decodes a configuration section:
//
//   - a key that names no field of a struct is an error naming the key,
//     where it is, and the closest field name;
//   - a time.Duration field accepts a duration string such as "30s" as
//     well as a number of nanoseconds;
//   - trailing data after the value is an error.
//
// Fields that v already holds and data does not mention keep their values,
// which is how a registered Config's defaults survive decoding. The checks
// stop at types that implement json.Unmarshaler; those decode, and check,
// their own input (with DecodeJSON if they like).
func DecodeJSON(data []byte, v any) error {
	return decodeJSON(data, v, "")
}

// decodeJSON is DecodeJSON for the value at where, a location such as
// file_sd_configs[0] that prefixes its messages.
func decodeJSON(data []byte, v any, where string) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("discovery: DecodeJSON: want a non-nil pointer, got %T", v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return fmt.Errorf("discovery: %s%w", at(where, ""), err)
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("discovery: %strailing data after the JSON value", at(where, ""))
	}
	var errs []error
	tree = walkJSON(tree, rv.Type().Elem(), where, "", &errs)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return fmt.Errorf("discovery: %s%w", at(where, ""), err)
	}
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("discovery: %s%w", at(where, ""), err)
	}
	return nil
}

// walkJSON checks the decoded JSON value x against the type t, appending an
// error for every unknown struct key, and returns x with duration strings
// replaced by nanoseconds.
func walkJSON(x any, t reflect.Type, where, path string, errs *[]error) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return x
	}
	if t == durationType {
		if s, ok := x.(string); ok {
			d, err := time.ParseDuration(s)
			if err != nil {
				*errs = append(*errs, fmt.Errorf("discovery: %s%q is not a duration (want a form like 1m30s)", at(where, path), s))
				return x
			}
			return json.Number(strconv.FormatInt(int64(d), 10))
		}
		return x
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			return x
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			f, ok := matchJSONField(fields, k)
			if !ok {
				*errs = append(*errs, fmt.Errorf("discovery: %sunknown field %q%s", at(where, path), k, didYouMean(k, fieldNames(fields))))
				continue
			}
			m[k] = walkJSON(m[k], f.typ, where, joinPath(path, k), errs)
		}
	case reflect.Slice, reflect.Array:
		if s, ok := x.([]any); ok {
			for i := range s {
				s[i] = walkJSON(s[i], t.Elem(), where, path+"["+strconv.Itoa(i)+"]", errs)
			}
		}
	case reflect.Map:
		if m, ok := x.(map[string]any); ok {
			for _, k := range sortedKeys(m) {
				m[k] = walkJSON(m[k], t.Elem(), where, path+"["+strconv.Quote(k)+"]", errs)
			}
		}
	}
	return x
}

// implements reports whether t or *t implements the interface type i.
func implements(t, i reflect.Type) bool {
	return t.Implements(i) || reflect.PointerTo(t).Implements(i)
}

// DecodeYAML decodes the YAML node n into v, a non-nil pointer, with the
// checks of DecodeJSON: a key that names no field of a struct is an error
// naming the key, its line and the closest field name. time.Duration
// fields take duration strings such as "30s". Fields that v already holds
// and n does not mention keep their values. The checks stop at types that
// implement an UnmarshalYAML method of either form.
//
// n is a node of go.yaml.in/yaml/v3, the module this package decodes YAML
// with. Aliases and merge keys (<<, also with a list of mappings) are
// followed, each node once, so the time taken is linear in the size of n;
// a node whose aliases expand it past ten times its written size (and past
// ten thousand values) is refused with an error saying "excessive
// aliasing".
func DecodeYAML(n *yaml.Node, v any) error {
	if err := yamlbound.Check(n); err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	return decodeYAML(n, v, "")
}

// decodeYAML is DecodeYAML for the value at where, as in decodeJSON,
// without the aliasing check, which the caller made on a node holding n.
func decodeYAML(n *yaml.Node, v any, where string) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("discovery: DecodeYAML: want a non-nil pointer, got %T", v)
	}
	if n == nil {
		return errors.New("discovery: DecodeYAML: node is nil")
	}
	w := yamlWalk{where: where, seen: make(map[yamlVisit]bool)}
	w.walk(n, rv.Type().Elem(), "")
	if len(w.errs) > 0 {
		return errors.Join(w.errs...)
	}
	if err := n.Decode(v); err != nil {
		return fmt.Errorf("discovery: %s%w", at(where, ""), err)
	}
	return nil
}

// yamlWalk checks a YAML node against a type, appending an error for
// every unknown struct key. It visits each node once per type, so that
// aliases used many times cost once.
type yamlWalk struct {
	where string
	errs  []error
	seen  map[yamlVisit]bool
}

// yamlVisit is a node checked against a type.
type yamlVisit struct {
	n *yaml.Node
	t reflect.Type
}

// walk checks the node n against the type t.
func (w *yamlWalk) walk(n *yaml.Node, t reflect.Type, path string) {
	n = resolveYAML(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if w.seen[yamlVisit{n, t}] {
		return
	}
	w.seen[yamlVisit{n, t}] = true
	if implements(t, yamlUnmarshalerType) || implements(t, yamlFuncUnmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind == yaml.MappingNode {
			w.walkStruct(n, t, path)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for i, c := range n.Content {
				w.walk(c, t.Elem(), path+"["+strconv.Itoa(i)+"]")
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				w.walk(n.Content[i+1], t.Elem(), path+"["+strconv.Quote(n.Content[i].Value)+"]")
			}
		}
	}
}

// walkStruct checks the keys of the mapping n against the fields of the
// struct type t. A merge key's mapping, or each mapping of its list, is
// checked as part of n.
func (w *yamlWalk) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	fields, anyKey := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			if v := resolveYAML(n.Content[i+1]); v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					w.walk(m, t, path)
				}
			} else {
				w.walk(v, t, path)
			}
			continue
		}
		f, ok := findField(fields, k.Value)
		if !ok {
			if !anyKey {
				w.errs = append(w.errs, fmt.Errorf("discovery: %s%sunknown field %q%s", at(w.where, path), atLine(k.Line), k.Value, didYouMean(k.Value, fieldNames(fields))))
			}
			continue
		}
		w.walk(n.Content[i+1], f.typ, joinPath(path, k.Value))
	}
}

// field is one key a struct accepts in an encoded form.
type field struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the keys encoding/json maps to the fields of struct type
// t, including the promoted fields of untagged embedded structs.
func jsonFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if tag == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name: name, typ: f.Type})
	}
	return out
}

// matchJSONField finds the field for key k as encoding/json does: an exact
// match first, then a case-insensitive one.
func matchJSONField(fields []field, k string) (field, bool) {
	if f, ok := findField(fields, k); ok {
		return f, true
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, k) {
			return f, true
		}
	}
	return field{}, false
}

// yamlFields lists the keys yaml.v3 maps to the fields of struct type t,
// including inlined structs. anyKey reports an inlined map, which accepts
// every key.
func yamlFields(t reflect.Type) (out []field, anyKey bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
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
				inner, any := yamlFields(ft)
				out = append(out, inner...)
				anyKey = anyKey || any
			case reflect.Map:
				anyKey = true
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, field{name: name, typ: f.Type})
	}
	return out, anyKey
}

func findField(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func fieldNames(fields []field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// at formats the location of a value for a message prefix: "" at the root,
// otherwise the location followed by ": ".
func at(where, path string) string {
	switch {
	case where == "" && path == "":
		return ""
	case where == "":
		return path + ": "
	case path == "":
		return where + ": "
	case path[0] == '[':
		return where + path + ": "
	default:
		return where + "." + path + ": "
	}
}

// deepCopy returns a copy of v that shares no slice, map or pointed-to
// struct with it, so that decoding into the copy cannot change v. Values
// behind interfaces, functions and channels, and unexported fields, are
// shared.
func deepCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(deepCopy(v.Elem()))
		return p
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(t).Elem()
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			c.SetMapIndex(it.Key(), deepCopy(it.Value()))
		}
		return c
	default:
		return v
	}
}
