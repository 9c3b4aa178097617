package testmode

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// kindOf returns args.Kind(), refusing nil args and empty kinds.
func kindOf(args Args) (string, error) {
	if args == nil {
		return "", ErrNilArgs
	}
	if v := reflect.ValueOf(args); v.Kind() == reflect.Pointer && v.IsNil() {
		return "", fmt.Errorf("%w: a nil %s", ErrNilArgs, v.Type())
	}
	kind := args.Kind()
	if kind == "" {
		return "", fmt.Errorf("%w (args type %T)", ErrEmptyKind, args)
	}
	return kind, nil
}

// encodeArgs returns the JSON encoding of args after checking that it
// decodes back to an equal value.
//
// Most args types are plain structs of strings, numbers, slices and maps,
// whose JSON form is lossless by construction; for those the check is the
// encoding itself plus a scan for replaced invalid UTF-8. Any other type
// (custom marshalers, interfaces, unexported or ignored fields, embedded
// structs) is decoded and compared.
func encodeArgs(kind string, args Args) ([]byte, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("%w: kind %q: encoding: %w", ErrArgsNotJSON, kind, err)
	}
	t := reflect.TypeOf(args)
	if losslessType(t) && !bytes.Contains(b, invalidUTF8) {
		return b, nil
	}
	back := reflect.New(t)
	if err := json.Unmarshal(b, back.Interface()); err != nil {
		return nil, fmt.Errorf("%w: kind %q: decoding %s: %w", ErrArgsNotJSON, kind, b, err)
	}
	if path, was, got, ok := equalValues(reflect.ValueOf(args), back.Elem(), ""); !ok {
		if path == "" {
			path = "the value"
		}
		return nil, fmt.Errorf("%w: kind %q: %s was %s, came back as %s", ErrArgsNotJSON, kind, path, was, got)
	}
	return b, nil
}

// invalidUTF8 is what encoding/json writes in place of a byte that is not
// valid UTF-8. A valid U+FFFD is written raw, never escaped, so finding
// this means a string was changed (or that a string holds this text
// literally, which only costs the slower check).
var invalidUTF8 = []byte(`\ufffd`)

// plainType reports whether values of t can be handed to a worker as
// inserted rather than decoded from their encoding: t's JSON form is
// lossless (losslessType), so decoding an accepted value's encoding gives
// an equal value, and t holds no pointers, slices, maps or interfaces, so
// that equal value is the same value, and a copy shares no memory with the
// inserted one that either side could change (strings are immutable).
func plainType(t reflect.Type) bool {
	return pointerFree(t) && losslessType(t)
}

// scalar reports whether k is a boolean, string or number kind: the kinds
// whose JSON form is a single JSON scalar.
func scalar(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func pointerFree(t reflect.Type) bool {
	if scalar(t.Kind()) {
		return true
	}
	switch t.Kind() {
	case reflect.Array:
		return pointerFree(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !pointerFree(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// losslessCache maps a reflect.Type to whether its JSON form is lossless:
// a memo of lossless, which reads nothing but the type. It is the one
// package-level variable that changes after init, and it holds no state of
// a Client, Store or engine: every entry is the same answer whoever
// computes it first (two goroutines racing store equal values), so
// instances cannot observe or affect one another through it, and a hit
// only saves the walk over the type. It grows with the number of distinct
// args types inserted, which the program's source fixes (types built with
// reflect.StructOf aside), and is never cleared.
var losslessCache sync.Map

// losslessType reports whether every value of t (with valid UTF-8 strings)
// decodes from its JSON encoding to an equal value, judged from the type
// alone.
func losslessType(t reflect.Type) bool {
	if v, ok := losslessCache.Load(t); ok {
		return v.(bool)
	}
	ok := lossless(t, map[reflect.Type]bool{})
	losslessCache.Store(t, ok)
	return ok
}

var (
	jsonMarshalerType   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func customJSON(t reflect.Type) bool {
	for _, u := range []reflect.Type{t, reflect.PointerTo(t)} {
		if u.Implements(jsonMarshalerType) || u.Implements(jsonUnmarshalerType) ||
			u.Implements(textMarshalerType) || u.Implements(textUnmarshalerType) {
			return true
		}
	}
	return false
}

func lossless(t reflect.Type, seen map[reflect.Type]bool) bool {
	if done, ok := seen[t]; ok {
		return done // a recursive type: its answer is the conjunction being computed
	}
	seen[t] = true
	if customJSON(t) {
		return false
	}
	if scalar(t.Kind()) {
		return true
	}
	switch t.Kind() {
	case reflect.Pointer:
		// A pointer to something that encodes as null (a nil slice, map or
		// pointer) decodes as a nil pointer.
		switch t.Elem().Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return false
		}
		return lossless(t.Elem(), seen)
	case reflect.Slice, reflect.Array:
		return lossless(t.Elem(), seen)
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			return false
		}
		return !customJSON(t.Key()) && lossless(t.Elem(), seen)
	case reflect.Struct:
		names := map[string]bool{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Anonymous {
				return false
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				return false // ignored: a set value would be lost
			}
			if strings.Contains(","+opts+",", ",string,") {
				return false
			}
			if name == "" {
				name = f.Name
			}
			key := strings.ToLower(name)
			if names[key] {
				return false // colliding names are dropped or confused
			}
			names[key] = true
			if !lossless(f.Type, seen) {
				return false
			}
		}
		return true
	}
	return false
}

// equalValues compares a value with what came back from its JSON round
// trip. Types with an Equal method (time.Time) are compared with it; nil and
// empty slices and maps are equal, as JSON cannot tell them apart with
// omitempty. It returns the path of the first difference and both sides.
func equalValues(a, b reflect.Value, path string) (at, was, got string, ok bool) {
	if a.Type() != b.Type() {
		return path, show(a), show(b), false
	}
	if a.CanInterface() && b.CanInterface() {
		if at, was, got, ok, decided := equalByMethods(a, b, path); decided {
			return at, was, got, ok
		}
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Array, reflect.Map, reflect.Struct:
		return equalComposites(a, b, path)
	}
	if equalScalars(a, b) {
		return "", "", "", true
	}
	return path, show(a), show(b), false
}

// equalByMethods compares a and b, of one type, by what their type says of
// itself: its Equal method, or else its JSON encoding when it has a
// MarshalJSON (a RawMessage that comes back compacted is the same JSON).
// decided is false when the type has neither.
func equalByMethods(a, b reflect.Value, path string) (at, was, got string, ok, decided bool) {
	if m, ok := a.Type().MethodByName("Equal"); ok && m.Type.NumIn() == 2 && m.Type.In(1) == a.Type() &&
		m.Type.NumOut() == 1 && m.Type.Out(0).Kind() == reflect.Bool {
		if a.Method(m.Index).Call([]reflect.Value{b})[0].Bool() {
			return "", "", "", true, true
		}
		return path, show(a), show(b), false, true
	}
	if a.Type().Implements(jsonMarshalerType) {
		ja, errA := json.Marshal(a.Interface())
		jb, errB := json.Marshal(b.Interface())
		if errA == nil && errB == nil && bytes.Equal(ja, jb) {
			return "", "", "", true, true
		}
		return path, string(ja), string(jb), false, true
	}
	return "", "", "", false, false
}

// equalComposites compares pointers, interfaces, slices, arrays, maps and
// structs of one type, element by element, as equalValues does.
func equalComposites(a, b reflect.Value, path string) (at, was, got string, ok bool) {
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() && b.IsNil() {
				return "", "", "", true
			}
			return path, show(a), show(b), false
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return path, show(a.Elem()) + " (" + a.Elem().Type().String() + ")",
				show(b.Elem()) + " (" + b.Elem().Type().String() + ")", false
		}
		return equalValues(a.Elem(), b.Elem(), path)
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return path, show(a), show(b), false
		}
		for i := range a.Len() {
			if p, w, g, ok := equalValues(a.Index(i), b.Index(i), path+"["+strconv.Itoa(i)+"]"); !ok {
				return p, w, g, false
			}
		}
	case reflect.Map:
		if a.Len() != b.Len() {
			return path, show(a), show(b), false
		}
		iter := a.MapRange()
		for iter.Next() {
			bv := b.MapIndex(iter.Key())
			p := fmt.Sprintf("%s[%v]", path, show(iter.Key()))
			if !bv.IsValid() {
				return p, show(iter.Value()), "missing", false
			}
			if p, w, g, ok := equalValues(iter.Value(), bv, p); !ok {
				return p, w, g, false
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if p, w, g, ok := equalValues(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); !ok {
				return p, w, g, false
			}
		}
	}
	return "", "", "", true
}

// equalScalars reports whether a and b, of one type of a kind that holds
// no other values, are equal: funcs, channels and unsafe pointers only
// when both are nil.
func equalScalars(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return a.IsNil() && b.IsNil()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	}
	return false
}

// show formats a value for an error message, also when it was read from an
// unexported field.
func show(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Invalid:
		return "nothing"
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		if v.IsNil() {
			return "nil"
		}
	}
	if v.CanInterface() {
		return fmt.Sprintf("%v", v.Interface())
	}
	return fmt.Sprintf("%v", v)
}
