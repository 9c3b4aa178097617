package options

import (
	"errors"
	"flag"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// BindFlags registers one flag on fs for every exported field of the struct
// that opts points to. Flag names are the field path in kebab case, joined
// with dots and prefixed by prefix and a dot when prefix is not empty:
// field Queue.MaxAttempts with prefix "jobs" becomes -jobs.queue.max-attempts.
// Each flag's default is the field's current value, and its usage text is the
// field's usage tag (or the field path when the tag is absent).
//
// Fields whose text form is a standard flag type's (strings, booleans, int,
// int64, uint, uint64 and [time.Duration], also as named types) are bound with
// that type, so usage shows them as for any flag: "-workers int",
// "-timeout duration", "-name string", and a boolean without a type. Other
// fields keep this package's parsing (a float refuses NaN and infinities, an
// int8 its range, a list its empty items), and their usage ends with the
// type PrintDefaults shows, such as "(a finite float)" for "-ratio float";
// a usage tag with its own back-quoted word keeps it, as the flag package
// documents.
//
// Setting a flag writes straight into the field. A value that does not parse
// makes fs.Parse fail with an error naming the flag and the text (and, for
// fields parsed by this package, the field).
// BindFlags registers nothing and returns an error when opts is not a non-nil
// pointer to a struct, when a field's kind has no text form (tag such fields
// options:"-"), or when a flag name is already defined on fs.
func BindFlags(fs *flag.FlagSet, prefix string, opts any) error {
	if fs == nil {
		return errors.New("options: BindFlags: flag set is nil")
	}
	v, err := structPointer("BindFlags", opts)
	if err != nil {
		return err
	}
	ls, err := leaves(v)
	if err != nil {
		return fmt.Errorf("options: BindFlags: %w", err)
	}
	for i := range ls {
		if prefix != "" {
			ls[i].flag = prefix + "." + ls[i].flag
		}
		if fs.Lookup(ls[i].flag) != nil {
			return fmt.Errorf("options: BindFlags: flag -%s (field %s) is already defined", ls[i].flag, ls[i].path)
		}
	}
	for _, l := range ls {
		usage := l.usage
		if usage == "" {
			usage = "sets " + l.path
		}
		if bindStandard(fs, l, usage) {
			continue
		}
		if name := typeName(l.value); name != "" && !strings.Contains(usage, "`") {
			// flag.PrintDefaults names a flag's type from the first
			// back-quoted word of its usage when the Value is not one of
			// the standard ones.
			usage += " (" + name + ")"
		}
		fs.Var(&flagValue{leaf: l}, l.flag, usage)
		if l.value.IsZero() && !hasText(l.value) {
			// As for the standard flag types, PrintDefaults shows no
			// "(default false)" or "(default 0s)" for a zero value.
			fs.Lookup(l.flag).DefValue = ""
		}
	}
	return nil
}

// bindStandard registers the field with the standard flag type of its kind
// when its text form is exactly that type's (strings, booleans, int, int64,
// uint, uint64 and time.Duration, also under another name such as
// type Mode string), so that PrintDefaults shows "-name int" as for any
// standard flag. It reports whether it did.
func bindStandard(fs *flag.FlagSet, l leaf, usage string) bool {
	v := l.value
	if hasText(v) {
		return false
	}
	at := func(t reflect.Type) any { return reflect.NewAt(t, v.Addr().UnsafePointer()).Interface() }
	switch {
	case v.Type() == durationType:
		p := at(durationType).(*time.Duration)
		fs.DurationVar(p, l.flag, *p, usage)
	case v.Kind() == reflect.String:
		p := at(reflect.TypeFor[string]()).(*string)
		fs.StringVar(p, l.flag, *p, usage)
	case v.Kind() == reflect.Bool:
		p := at(reflect.TypeFor[bool]()).(*bool)
		fs.BoolVar(p, l.flag, *p, usage)
	case v.Kind() == reflect.Int:
		p := at(reflect.TypeFor[int]()).(*int)
		fs.IntVar(p, l.flag, *p, usage)
	case v.Kind() == reflect.Int64:
		p := at(reflect.TypeFor[int64]()).(*int64)
		fs.Int64Var(p, l.flag, *p, usage)
	case v.Kind() == reflect.Uint:
		p := at(reflect.TypeFor[uint]()).(*uint)
		fs.UintVar(p, l.flag, *p, usage)
	case v.Kind() == reflect.Uint64:
		p := at(reflect.TypeFor[uint64]()).(*uint64)
		fs.Uint64Var(p, l.flag, *p, usage)
	default:
		return false
	}
	return true
}

// typeName is the back-quoted type name, with what the flag accepts, that
// the usage of a field without a standard flag type ends with: "a finite
// `float`" (NaN and infinities are refused, unlike flag.Float64),
// "`uint8` 0 to 255", "comma-separated `list`". It is empty for types that
// parse themselves (encoding.TextUnmarshaler), which PrintDefaults shows as
// "value", as it does for flag.TextVar.
func typeName(v reflect.Value) string {
	if hasText(v) {
		return ""
	}
	t := v.Type()
	switch {
	case t == stringSliceType:
		return "comma-separated `list`"
	case v.CanFloat():
		return "a finite `float`"
	case v.CanInt():
		bits := t.Bits()
		return fmt.Sprintf("`int%d` %d to %d", bits, int64(-1)<<(bits-1), int64(1)<<(bits-1)-1)
	case v.CanUint():
		bits := t.Bits()
		return fmt.Sprintf("`uint%d` 0 to %d", bits, uint64(1)<<bits-1)
	}
	return ""
}

// flagValue adapts one field to flag.Value.
type flagValue struct {
	leaf leaf
}

func (f *flagValue) String() string {
	if f == nil || !f.leaf.value.IsValid() {
		return ""
	}
	return getText(f.leaf.value)
}

func (f *flagValue) Set(s string) error {
	if err := setText(f.leaf.value, s); err != nil {
		return fmt.Errorf("options: flag -%s (field %s): %w", f.leaf.flag, f.leaf.path, err)
	}
	return nil
}

// IsBoolFlag lets boolean fields be set with a bare -name.
func (f *flagValue) IsBoolFlag() bool {
	return f.leaf.value.Kind() == reflect.Bool && !hasText(f.leaf.value)
}
