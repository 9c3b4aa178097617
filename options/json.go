package options

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// LoadJSON decodes one JSON object from r over the struct that opts points
// to, so fields the object does not mention keep their current values (start
// from DefaultOptions to apply a file over the defaults).
//
// Keys are matched to fields like encoding/json does: the field's json tag
// name, or else its Go name, compared case-insensitively. Decoding is strict:
// an unknown key (with a "did you mean" suggestion), a duplicate key, a null
// value, a value of the wrong type or out of range, and anything after the
// object are errors that name the key path and the offending text. Every
// problem in the object is reported at once in an [errors.Join]. A nested
// struct is merged key by key; any other value replaces the field whole.
// [time.Duration] fields take strings such as "1m30s". Fields tagged
// json:"-" or options:"-" cannot be set.
//
// When LoadJSON returns an error, fields whose keys decoded may already have
// been set; discard opts on error.
func LoadJSON(r io.Reader, opts any) error {
	if r == nil {
		return errors.New("options: LoadJSON: reader is nil")
	}
	v, err := structPointer("LoadJSON", opts)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("options: LoadJSON: input is empty, want a JSON object")
		}
		return fmt.Errorf("options: LoadJSON: %w", err)
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return fmt.Errorf("options: LoadJSON: after the object: %w", err)
		}
		return fmt.Errorf("options: LoadJSON: unexpected %v after the object", tok)
	}
	var errs []error
	decodeObject(raw, v, "", &errs)
	return errors.Join(errs...)
}

// jsonField is one settable field of a struct as LoadJSON sees it.
type jsonField struct {
	key   string // the JSON name
	index int
}

func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || skipped(f) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && f.Tag.Get("json") == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{key: name, index: i})
	}
	return out
}

func lookupField(fields []jsonField, key string) (jsonField, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.key, key) {
			return f, true
		}
	}
	return jsonField{}, false
}

// decodeObject decodes the JSON object raw into the struct value v. at is the
// key path so far, for messages.
func decodeObject(raw []byte, v reflect.Value, at string, errs *[]error) {
	where := "at the top level"
	if at != "" {
		where = "in " + at
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		*errs = append(*errs, fmt.Errorf("options: LoadJSON: %s: %w", where, err))
		return
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		*errs = append(*errs, fmt.Errorf("options: LoadJSON: %s: got %s, want a JSON object", where, snippet(raw)))
		return
	}
	fields := jsonFields(v.Type())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	seen := make(map[int]string)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: %s: %w", where, err))
			return
		}
		key := tok.(string) // object keys are always strings
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: %s: key %q: %w", where, key, err))
			return
		}
		path := key
		if at != "" {
			path = at + "." + key
		}
		f, ok := lookupField(fields, key)
		if !ok {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: unknown key %q %s%s", key, where, didYouMean(key, keys)))
			continue
		}
		if prev, dup := seen[f.index]; dup {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: key %q %s repeats %q", key, where, prev))
			continue
		}
		seen[f.index] = key
		decodeValue(val, v.Field(f.index), path, v.Type().Field(f.index).Name, errs)
	}
}

func decodeValue(raw json.RawMessage, fv reflect.Value, path, field string, errs *[]error) {
	if string(raw) == "null" {
		*errs = append(*errs, fmt.Errorf("options: LoadJSON: key %q: null is not a value; remove the key to keep the current one", path))
		return
	}
	switch {
	case fv.Kind() == reflect.Struct && !hasText(fv):
		decodeObject(raw, fv, path, errs)
	case fv.Type() == durationType:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: key %q (field %s): %s is not a duration string such as \"1m30s\"", path, field, snippet(raw)))
			return
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: key %q (field %s): %q is not a valid duration (want a form like 1m30s)", path, field, s))
			return
		}
		fv.SetInt(int64(d))
	default:
		// Decode into a fresh value so the JSON replaces the field whole
		// (encoding/json would merge into an existing map).
		nv := reflect.New(fv.Type())
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(nv.Interface()); err != nil {
			*errs = append(*errs, fmt.Errorf("options: LoadJSON: key %q (field %s): %s", path, field, describeJSONError(raw, fv.Type(), err)))
			return
		}
		fv.Set(nv.Elem())
	}
}

func describeJSONError(raw []byte, t reflect.Type, err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Value == "number" || strings.HasPrefix(te.Value, "number ") {
			return fmt.Sprintf("%s is not a valid %s (wrong form or out of range)", snippet(raw), t)
		}
		return fmt.Sprintf("%s (JSON %s) is not a valid %s", snippet(raw), te.Value, t)
	}
	return fmt.Sprintf("%s is not a valid %s: %v", snippet(raw), t, err)
}

// snippet shortens raw JSON for an error message.
func snippet(raw []byte) string {
	const limit = 64
	s := string(bytes.TrimSpace(raw))
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	return s
}
