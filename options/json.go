package options

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxJSONBytes is the most [LoadJSON] reads: 16 MiB, far more than
// any configuration file needs, and little enough that an endless or huge
// input (a device, a wrong file, a stream that never ends) fails fast instead
// of filling the memory. [LoadJSONLimit] takes another bound.
const DefaultMaxJSONBytes = 16 << 20

// LoadJSON decodes one JSON object from r over the struct that opts points
// to, so fields the object does not mention keep their current values (start
// from DefaultOptions to apply a file over the defaults). It reads at most
// [DefaultMaxJSONBytes]; see [LoadJSONLimit].
//
// Keys are matched to fields like encoding/json does: the field's json tag
// name, or else its Go name, compared case-insensitively. Decoding is strict,
// at every depth (nested structs, maps, slices, arrays, pointers and the
// structs inside them): an unknown key (with a "did you mean" suggestion), a
// duplicate key (two keys that match the same field, such as "limit" and
// "LIMIT", or the same map key twice), a null value, a value of the wrong type
// or out of range, and anything after the object are errors that name the
// path (for example Queues["mail"].Limit or Hosts[2]) and the offending text.
// Every problem in the object is reported at once in an [errors.Join]. A
// nested struct, and the struct a non-nil pointer field points to, are merged
// key by key (the pointer is replaced by a pointer to a merged copy); a map,
// slice or array replaces the field whole, its elements starting from zero
// values. [time.Duration] values take strings such as "1m30s", at every
// depth. Types that implement [json.Unmarshaler] or [encoding.TextUnmarshaler]
// decode themselves. Fields tagged json:"-" or options:"-" cannot be set.
//
// When LoadJSON returns an error, fields whose keys decoded may already have
// been set; discard opts on error.
func LoadJSON(r io.Reader, opts any) error {
	return LoadJSONLimit(r, opts, DefaultMaxJSONBytes)
}

// LoadJSONLimit is [LoadJSON] reading at most limit bytes from r: input
// longer than that fails with an error that says so, after reading limit+1
// bytes and no more. limit must be positive.
func LoadJSONLimit(r io.Reader, opts any, limit int64) error {
	if r == nil {
		return errors.New("options: LoadJSON: reader is nil")
	}
	if limit <= 0 {
		return fmt.Errorf("options: LoadJSON: size limit %d is not positive", limit)
	}
	v, err := structPointer("LoadJSON", opts)
	if err != nil {
		return err
	}
	cr := &cappedReader{r: r, left: limit + 1}
	tooLarge := func() error {
		return fmt.Errorf("options: LoadJSON: input is larger than the limit of %d bytes; LoadJSONLimit takes a larger one", limit)
	}
	dec := json.NewDecoder(cr)
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		switch {
		case cr.over:
			return tooLarge()
		case errors.Is(err, io.EOF):
			return errors.New("options: LoadJSON: input is empty, want a JSON object")
		}
		return fmt.Errorf("options: LoadJSON: %w", err)
	}
	if tok, err := dec.Token(); !errors.Is(err, io.EOF) {
		switch {
		case cr.over:
			return tooLarge()
		case err != nil:
			return fmt.Errorf("options: LoadJSON: after the object: %w", err)
		}
		return fmt.Errorf("options: LoadJSON: unexpected %v after the object", tok)
	}
	var errs []error
	decodeObject(raw, v, "", &errs)
	return errors.Join(errs...)
}

// cappedReader reads at most left bytes from r, then fails: reading
// left bytes means the input is over the limit (left is limit+1).
type cappedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOverLimit = errors.New("input over the size limit")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		c.over = true
		return 0, errOverLimit
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left <= 0 {
		c.over = true
		return n, errOverLimit
	}
	return n, err
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

// loadErr adds one LoadJSON error to errs.
func loadErr(errs *[]error, format string, args ...any) {
	*errs = append(*errs, fmt.Errorf("options: LoadJSON: "+format, args...))
}

// openToken reads the opening delimiter of a JSON object or array from raw,
// or reports that raw is something else, and returns the decoder positioned
// after it.
func openToken(raw []byte, want json.Delim, where string, errs *[]error) (*json.Decoder, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		loadErr(errs, "%s: %v", where, err)
		return nil, false
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		kind := "a JSON object"
		if want == '[' {
			kind = "a JSON array"
		}
		loadErr(errs, "%s: got %s, want %s", where, snippet(raw), kind)
		return nil, false
	}
	return dec, true
}

// member reads the next key and value of an object whose opening brace dec
// has read.
func member(dec *json.Decoder, where string, errs *[]error) (string, json.RawMessage, bool) {
	tok, err := dec.Token()
	if err != nil {
		loadErr(errs, "%s: %v", where, err)
		return "", nil, false
	}
	key := tok.(string) // object keys are always strings
	var val json.RawMessage
	if err := dec.Decode(&val); err != nil {
		loadErr(errs, "%s: key %q: %v", where, key, err)
		return "", nil, false
	}
	return key, val, true
}

// decodeObject decodes the JSON object raw into the struct value v. at is the
// key path so far, for messages.
func decodeObject(raw []byte, v reflect.Value, at string, errs *[]error) {
	where := "at the top level"
	if at != "" {
		where = "in " + at
	}
	dec, ok := openToken(raw, '{', where, errs)
	if !ok {
		return
	}
	fields := jsonFields(v.Type())
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	seen := make(map[int]string)
	for dec.More() {
		key, val, ok := member(dec, where, errs)
		if !ok {
			return
		}
		path := joinPath(at, key)
		f, ok := lookupField(fields, key)
		if !ok {
			loadErr(errs, "unknown key %q %s%s", key, where, didYouMean(key, keys))
			continue
		}
		if prev, dup := seen[f.index]; dup {
			hint := ""
			if prev != key {
				hint = " (keys match fields case-insensitively)"
			}
			loadErr(errs, "key %s repeats %s%s", path, joinPath(at, prev), hint)
			continue
		}
		seen[f.index] = key
		decodeValue(val, v.Field(f.index), path, v.Type().Field(f.index).Name, true, errs)
	}
}

func joinPath(at, key string) string {
	if at == "" {
		return key
	}
	return at + "." + key
}

var jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodeValue decodes raw into fv, an addressable value at path, inside the
// struct field named field. inStruct says whether fv is a struct field (whose
// key can be removed to keep the current value) or an element.
func decodeValue(raw json.RawMessage, fv reflect.Value, path, field string, inStruct bool, errs *[]error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		if inStruct {
			loadErr(errs, "key %s: null is not a value; remove the key to keep the current one", path)
		} else {
			loadErr(errs, "%s: null is not a value", path)
		}
		return
	}
	t := fv.Type()
	selfDecoding := reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)
	switch {
	case t == durationType:
		decodeDuration(raw, fv, path, field, errs)
	case selfDecoding:
		decodeFresh(raw, fv, path, field, errs)
	case t.Kind() == reflect.Struct:
		decodeObject(raw, fv, path, errs)
	case t.Kind() == reflect.Pointer:
		decodePointer(raw, fv, path, field, inStruct, errs)
	case t.Kind() == reflect.Map:
		decodeMap(raw, fv, path, field, errs)
	case t.Kind() == reflect.Array, t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
		decodeList(raw, fv, path, field, errs)
	case t.Kind() == reflect.Interface:
		if checkRaw(raw, path, errs) {
			decodeFresh(raw, fv, path, field, errs)
		}
	default:
		decodeFresh(raw, fv, path, field, errs)
	}
}

func decodeDuration(raw json.RawMessage, fv reflect.Value, path, field string, errs *[]error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		loadErr(errs, "key %s (field %s): %s is not a duration string such as \"1m30s\"", path, field, snippet(raw))
		return
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		loadErr(errs, "key %s (field %s): %q is not a valid duration (want a form like 1m30s)", path, field, s)
		return
	}
	fv.SetInt(int64(d))
}

// decodeFresh decodes raw with encoding/json into a fresh value, so the JSON
// replaces the field whole (encoding/json would merge into an existing map).
func decodeFresh(raw json.RawMessage, fv reflect.Value, path, field string, errs *[]error) {
	nv := reflect.New(fv.Type())
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(nv.Interface()); err != nil {
		loadErr(errs, "key %s (field %s): %s", path, field, describeJSONError(raw, fv.Type(), err))
		return
	}
	fv.Set(nv.Elem())
}

// decodePointer decodes into a new value, merged from a copy of the current
// one when that is a struct, and points fv at it.
func decodePointer(raw json.RawMessage, fv reflect.Value, path, field string, inStruct bool, errs *[]error) {
	nv := reflect.New(fv.Type().Elem())
	if !fv.IsNil() && fv.Type().Elem().Kind() == reflect.Struct {
		nv.Elem().Set(fv.Elem())
	}
	before := len(*errs)
	decodeValue(raw, nv.Elem(), path, field, inStruct, errs)
	if len(*errs) == before {
		fv.Set(nv)
	}
}

// decodeMap decodes a JSON object into a new map that replaces fv. A key
// that occurs twice (also once converted, such as "1" and "01" for an
// integer key) is an error.
func decodeMap(raw json.RawMessage, fv reflect.Value, path, field string, errs *[]error) {
	dec, ok := openToken(raw, '{', "key "+path+" (field "+field+")", errs)
	if !ok {
		return
	}
	t := fv.Type()
	m := reflect.MakeMap(t)
	before := len(*errs)
	for dec.More() {
		key, val, ok := member(dec, "in "+path, errs)
		if !ok {
			return
		}
		at := path + "[" + strconv.Quote(key) + "]"
		kv, err := mapKey(t.Key(), key)
		if err != nil {
			loadErr(errs, "key %s: %v", at, err)
			continue
		}
		if m.MapIndex(kv).IsValid() {
			loadErr(errs, "key %s repeats a key of %s", at, path)
			continue
		}
		ev := reflect.New(t.Elem()).Elem()
		n := len(*errs)
		decodeValue(val, ev, at, field, false, errs)
		if len(*errs) == n {
			m.SetMapIndex(kv, ev)
		}
	}
	if len(*errs) == before {
		fv.Set(m)
	}
}

// mapKey converts a JSON object key to a map key of type t, as
// encoding/json does: strings, encoding.TextUnmarshaler and integers.
func mapKey(t reflect.Type, key string) (reflect.Value, error) {
	kv := reflect.New(t).Elem()
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if err := kv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(key)); err != nil {
			return kv, fmt.Errorf("%q is not a valid %s: %w", key, t, err)
		}
	case t.Kind() == reflect.String:
		kv.SetString(key)
	case kv.CanInt():
		n, err := strconv.ParseInt(key, 10, t.Bits())
		if err != nil {
			return kv, numError(key, t, err)
		}
		kv.SetInt(n)
	case kv.CanUint():
		n, err := strconv.ParseUint(key, 10, t.Bits())
		if err != nil {
			return kv, numError(key, t, err)
		}
		kv.SetUint(n)
	default:
		return kv, fmt.Errorf("map key type %s cannot be decoded from JSON", t)
	}
	return kv, nil
}

// decodeList decodes a JSON array into a new slice, or an array, that
// replaces fv.
func decodeList(raw json.RawMessage, fv reflect.Value, path, field string, errs *[]error) {
	dec, ok := openToken(raw, '[', "key "+path+" (field "+field+")", errs)
	if !ok {
		return
	}
	t := fv.Type()
	list := reflect.New(t).Elem()
	if t.Kind() == reflect.Slice {
		list = reflect.MakeSlice(t, 0, 0)
	}
	before := len(*errs)
	for i := 0; dec.More(); i++ {
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			loadErr(errs, "in %s: %v", path, err)
			return
		}
		at := path + "[" + strconv.Itoa(i) + "]"
		if t.Kind() == reflect.Array && i >= t.Len() {
			loadErr(errs, "key %s (field %s): %s holds only %d elements", at, field, t, t.Len())
			return
		}
		ev := reflect.New(t.Elem()).Elem()
		decodeValue(val, ev, at, field, false, errs)
		if t.Kind() == reflect.Array {
			list.Index(i).Set(ev)
		} else {
			list = reflect.Append(list, ev)
		}
	}
	if len(*errs) == before {
		fv.Set(list)
	}
}

// checkRaw reports, for a value decoded into an interface, every null and
// every key repeated in one object, at any depth. It returns whether there
// were none.
func checkRaw(raw json.RawMessage, path string, errs *[]error) bool {
	before := len(*errs)
	trimmed := bytes.TrimSpace(raw)
	switch {
	case string(trimmed) == "null":
		loadErr(errs, "%s: null is not a value", path)
	case len(trimmed) > 0 && trimmed[0] == '{':
		dec, ok := openToken(raw, '{', path, errs)
		if !ok {
			return false
		}
		seen := make(map[string]bool)
		for dec.More() {
			key, val, ok := member(dec, "in "+path, errs)
			if !ok {
				return false
			}
			at := path + "[" + strconv.Quote(key) + "]"
			if seen[key] {
				loadErr(errs, "key %s repeats a key of %s", at, path)
				continue
			}
			seen[key] = true
			checkRaw(val, at, errs)
		}
	case len(trimmed) > 0 && trimmed[0] == '[':
		dec, ok := openToken(raw, '[', path, errs)
		if !ok {
			return false
		}
		for i := 0; dec.More(); i++ {
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				loadErr(errs, "in %s: %v", path, err)
				return false
			}
			checkRaw(val, path+"["+strconv.Itoa(i)+"]", errs)
		}
	}
	return len(*errs) == before
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
