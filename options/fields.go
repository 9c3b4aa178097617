package options

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
)

var (
	durationType        = reflect.TypeFor[time.Duration]()
	stringSliceType     = reflect.TypeFor[[]string]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// leaf is one settable field found by walking an options struct.
type leaf struct {
	path  string        // Go path: Queue.Limit
	flag  string        // kebab-case path: queue.limit
	env   string        // upper snake case path: QUEUE_LIMIT
	usage string        // from the usage tag
	value reflect.Value // addressable field value
}

// structPointer checks that opts is a non-nil pointer to a struct and returns
// the struct value. caller names the exported function for the error.
func structPointer(caller string, opts any) (reflect.Value, error) {
	v := reflect.ValueOf(opts)
	if !v.IsValid() {
		return reflect.Value{}, fmt.Errorf("options: %s: opts is nil, want a pointer to a struct", caller)
	}
	if v.Kind() != reflect.Pointer || v.Type().Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("options: %s: opts is %s, want a pointer to a struct", caller, v.Type())
	}
	if v.IsNil() {
		return reflect.Value{}, fmt.Errorf("options: %s: opts is a nil %s", caller, v.Type())
	}
	return v.Elem(), nil
}

// skipped reports whether the field is tagged options:"-" (no loader sets
// it).
func skipped(f reflect.StructField) bool {
	return f.Tag.Get("options") == "-"
}

// noText reports whether flags and environment variables leave the field
// alone: tagged options:"-", or options:"jsononly" for values such as maps of
// structs that only have a JSON form.
func noText(f reflect.StructField) bool {
	tag := f.Tag.Get("options")
	return tag == "-" || tag == "jsononly"
}

// leaves walks the exported fields of the struct value v depth first and
// returns every settable leaf. A field whose kind has no text form is an
// error naming it, unless tagged options:"-".
func leaves(v reflect.Value) ([]leaf, error) {
	var out []leaf
	var errs []error
	var walk func(v reflect.Value, path, flag, env string)
	walk = func(v reflect.Value, path, flag, env string) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || noText(f) {
				continue
			}
			p, fl, en := f.Name, kebab(f.Name), strings.ToUpper(strings.ReplaceAll(kebab(f.Name), "-", "_"))
			if path != "" {
				p, fl, en = path+"."+p, flag+"."+fl, env+"_"+en
			}
			fv := v.Field(i)
			if fv.Kind() == reflect.Struct && !hasText(fv) {
				walk(fv, p, fl, en)
				continue
			}
			if !supported(fv) {
				errs = append(errs, fmt.Errorf("options: field %s (%s) has no text form; tag it options:\"-\" or options:\"jsononly\" to leave it out", p, f.Type))
				continue
			}
			out = append(out, leaf{path: p, flag: fl, env: en, usage: f.Tag.Get("usage"), value: fv})
		}
	}
	walk(v, "", "", "")
	return out, errors.Join(errs...)
}

func hasText(v reflect.Value) bool {
	return v.Addr().Type().Implements(textUnmarshalerType)
}

func supported(v reflect.Value) bool {
	if hasText(v) || v.Type() == stringSliceType {
		return true
	}
	switch v.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// setText parses s into the field v. Its errors say what s should have been;
// callers add which field and which source.
func setText(v reflect.Value, s string) error {
	if hasText(v) {
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("%q is not a valid %s: %w", s, v.Type(), err)
		}
		return nil
	}
	if v.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("%q is not a valid duration (want a form like 1m30s)", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	if v.Type() == stringSliceType {
		parts, err := splitList(s)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(parts))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not a valid bool (want true or false)", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			return numError(s, v.Type(), err)
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if strings.HasPrefix(strings.TrimSpace(s), "-") {
			return fmt.Errorf("%q is negative; %s holds only values >= 0", s, v.Type())
		}
		n, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			return numError(s, v.Type(), err)
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return numError(s, v.Type(), err)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a finite number", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("%s has no text form", v.Type())
	}
	return nil
}

// splitList splits a comma-separated list and trims each item. An empty (or
// all-space) text is the empty list; an empty item anywhere else ("a,,b",
// ",a", "a,", "a, ,b") is an error, since it is almost always a stray comma
// or a variable built from an unset one, and dropping it silently would hide
// that.
func splitList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	var empty []string
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
		if parts[i] == "" {
			empty = append(empty, strconv.Itoa(i+1))
		}
	}
	if len(empty) > 0 {
		what := "an empty item"
		if len(empty) > 1 {
			what = "empty items"
		}
		return nil, fmt.Errorf("%q has %s (%s of %d); remove the extra commas, or set an empty value for an empty list",
			s, what, strings.Join(empty, ", "), len(parts))
	}
	return parts, nil
}

func numError(s string, t reflect.Type, err error) error {
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("%q is out of range for %s", s, t)
	}
	return fmt.Errorf("%q is not a valid %s", s, t)
}

// getText renders the field's current value in the form setText accepts.
func getText(v reflect.Value) string {
	if v.CanAddr() {
		if m, ok := v.Addr().Interface().(encoding.TextMarshaler); ok {
			if b, err := m.MarshalText(); err == nil {
				return string(b)
			}
		}
	}
	if v.Type().Implements(textMarshalerType) {
		if b, err := v.Interface().(encoding.TextMarshaler).MarshalText(); err == nil {
			return string(b)
		}
	}
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	if v.Type() == stringSliceType {
		return strings.Join(v.Interface().([]string), ",")
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	}
	return fmt.Sprint(v.Interface())
}

// kebab turns a Go identifier into kebab case: MaxAttempts -> max-attempts,
// HTTPStatus -> http-status. A run of capitals followed by a lower-case letter
// is read as an acronym and then the first letter of a new word.
func kebab(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Suggest returns the candidate closest to got by edit distance, ignoring
// case, when it is close enough to be a plausible typo. Packages use it to
// add "did you mean" to errors about unknown names.
func Suggest(got string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	g := strings.ToLower(got)
	for _, c := range candidates {
		d := editDistance(g, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(1, len([]rune(got))/3)
	if bestDist < 0 || bestDist > limit {
		return "", false
	}
	return best, true
}

// didYouMean formats Suggest's answer as a message suffix, or "" when there
// is no plausible candidate.
func didYouMean(got string, candidates []string) string {
	if s, ok := Suggest(got, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: insertions, deletions, substitutions and swaps of two adjacent
// runes each count one, so that "prot" is one edit from "port", the most
// common typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before the previous is needed for swaps.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
