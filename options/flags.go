package options

import (
	"errors"
	"flag"
	"fmt"
	"reflect"
)

// BindFlags registers one flag on fs for every exported field of the struct
// that opts points to. Flag names are the field path in kebab case, joined
// with dots and prefixed by prefix and a dot when prefix is not empty:
// field Queue.MaxAttempts with prefix "jobs" becomes -jobs.queue.max-attempts.
// Each flag's default is the field's current value, and its usage text is the
// field's usage tag (or the field path when the tag is absent).
//
// Setting a flag writes straight into the field. A value that does not parse
// makes fs.Parse fail with an error naming the flag, the field and the text.
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
		fs.Var(&flagValue{leaf: l}, l.flag, usage)
		if l.value.IsZero() && !hasText(l.value) {
			// As for the standard flag types, PrintDefaults shows no
			// "(default false)" or "(default 0s)" for a zero value.
			fs.Lookup(l.flag).DefValue = ""
		}
	}
	return nil
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
