package options

import (
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Change is one field whose value differs from its default.
type Change struct {
	// Path names the field, as in [FieldError.Path].
	Path string
	// Default is the field's value in the defaults.
	Default any
	// Actual is the field's value in the options in use.
	Actual any
}

// Changes is the result of [Diff]. It renders as a compact string and, for
// log/slog, as a group with one attribute per changed field, so
//
//	logger.Info("starting", "options", options.Diff(defaults, opts))
//
// logs only what an operator changed.
type Changes []Change

// String renders the changes as "Path=actual (default d), ...", or "none".
func (cs Changes) String() string {
	if len(cs) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%s (default %s)", c.Path, formatValue(c.Actual), formatValue(c.Default))
	}
	return b.String()
}

// LogValue implements [slog.LogValuer]: a group whose keys are the changed
// field paths and whose values are the actual values.
func (cs Changes) LogValue() slog.Value {
	attrs := make([]slog.Attr, len(cs))
	for i, c := range cs {
		attrs[i] = slog.Any(c.Path, c.Actual)
	}
	return slog.GroupValue(attrs...)
}

// Diff compares two values of the same options type field by field and
// returns the exported fields whose values differ, in field order. Nested
// structs whose fields are all exported are compared field by field with dotted paths, maps key by key
// (paths like Queues["mail"].Limit) with sorted keys, and everything else as a
// whole with [reflect.DeepEqual], except functions, which are equal when both
// are nil or both point to the same code. T may be a struct or a pointer to
// one; for any other type, or when one pointer is nil, Diff compares the two
// values whole and reports a single change with an empty path.
func Diff[T any](defaults, actual T) Changes {
	var out Changes
	dv, av := reflect.ValueOf(&defaults).Elem(), reflect.ValueOf(&actual).Elem()
	if dv.Kind() == reflect.Pointer {
		if dv.IsNil() || av.IsNil() {
			if !equalValue(dv, av) {
				out = append(out, Change{Default: dv.Interface(), Actual: av.Interface()})
			}
			return out
		}
		dv, av = dv.Elem(), av.Elem()
	}
	diffValue(dv, av, "", &out)
	return out
}

func diffValue(d, a reflect.Value, path string, out *Changes) {
	switch {
	case d.Kind() == reflect.Struct && allExported(d.Type()):
		t := d.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := f.Name
			if path != "" {
				p = path + "." + f.Name
			}
			diffValue(d.Field(i), a.Field(i), p, out)
		}
	case d.Kind() == reflect.Map && d.Type().Key().Kind() == reflect.String:
		keys := map[string]bool{}
		for _, k := range d.MapKeys() {
			keys[k.String()] = true
		}
		for _, k := range a.MapKeys() {
			keys[k.String()] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			kv := reflect.ValueOf(k).Convert(d.Type().Key())
			de, ae := d.MapIndex(kv), a.MapIndex(kv)
			p := path + "[" + strconv.Quote(k) + "]"
			switch {
			case !de.IsValid():
				*out = append(*out, Change{Path: p, Default: nil, Actual: ae.Interface()})
			case !ae.IsValid():
				*out = append(*out, Change{Path: p, Default: de.Interface(), Actual: nil})
			default:
				diffValue(de, ae, p, out)
			}
		}
	default:
		if !equalValue(d, a) {
			*out = append(*out, Change{Path: path, Default: d.Interface(), Actual: a.Interface()})
		}
	}
}

// allExported reports whether Diff can walk into a struct: one with
// unexported fields (time.Time, say) is compared whole instead.
func allExported(t reflect.Type) bool {
	for i := range t.NumField() {
		if !t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

func equalValue(d, a reflect.Value) bool {
	if d.Kind() == reflect.Func {
		return d.IsNil() == a.IsNil() && (d.IsNil() || d.Pointer() == a.Pointer())
	}
	return reflect.DeepEqual(d.Interface(), a.Interface())
}
