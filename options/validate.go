package options

import (
	"errors"
	"fmt"
	"strconv"
)

// FieldError reports one option field whose value breaks a rule. Validate
// methods return an [errors.Join] of FieldErrors; match one with [errors.As].
type FieldError struct {
	// Path names the field from the root of the options struct, for example
	// Workers, Queue.Limit or Queues["mail"].Limit.
	Path string
	// Value is the offending value as the field held it.
	Value any
	// Reason says what the value must be, for example "must be > 0".
	Reason string
}

// Error returns a message such as `options: Workers = -1: must be > 0`.
// Strings are quoted so that an empty value stays visible.
func (e *FieldError) Error() string {
	if e.Path == "" {
		return "options: " + formatValue(e.Value) + ": " + e.Reason
	}
	return "options: " + e.Path + " = " + formatValue(e.Value) + ": " + e.Reason
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []string:
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprintf("%v", v)
	}
}

// Collector gathers the failures of one Validate call. The zero value is
// ready to use. A Collector is not safe for concurrent use; Validate methods
// create their own.
type Collector struct {
	errs []error
}

// Add records that the field at path holds value, which breaks the rule
// described by reason.
func (c *Collector) Add(path string, value any, reason string) {
	c.errs = append(c.errs, &FieldError{Path: path, Value: value, Reason: reason})
}

// Err returns nil when nothing was recorded, otherwise an [errors.Join] of
// every recorded error in the order they were added. Each joined error is a
// [*FieldError].
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return errors.Join(c.errs...)
}

// Len reports how many failures have been recorded.
func (c *Collector) Len() int { return len(c.errs) }

// Nested folds in the error returned by a nested struct's Validate, prefixing
// each FieldError's path with field and a dot. A nil err costs nothing. An
// error that is not a FieldError is recorded as a FieldError at field whose
// reason is the error's message.
func (c *Collector) Nested(field string, err error) {
	if err != nil {
		c.nest(field, err)
	}
}

// NestedKey is Nested for a map entry: paths become field["key"].Sub. The
// path is built only when err is not nil.
func (c *Collector) NestedKey(field, key string, err error) {
	if err != nil {
		c.nest(field+"["+strconv.Quote(key)+"]", err)
	}
}

// NestedIndex is Nested for a slice element: paths become field[i].Sub. The
// path is built only when err is not nil.
func (c *Collector) NestedIndex(field string, i int, err error) {
	if err != nil {
		c.nest(field+"["+strconv.Itoa(i)+"]", err)
	}
}

func (c *Collector) nest(prefix string, err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if e != nil {
				c.nest(prefix, e)
			}
		}
		return
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		path := prefix
		switch {
		case fe.Path == "":
		case fe.Path[0] == '[':
			path += fe.Path
		default:
			path += "." + fe.Path
		}
		c.errs = append(c.errs, &FieldError{Path: path, Value: fe.Value, Reason: fe.Reason})
		return
	}
	c.errs = append(c.errs, &FieldError{Path: prefix, Value: nil, Reason: err.Error()})
}

// Number is the set of types the numeric rules accept, including
// [time.Duration] and other named integer and float types.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// Check records a failure at path when ok is false. The value is boxed only
// on failure, so a passing Check allocates nothing.
func Check[T any](c *Collector, ok bool, path string, value T, reason string) {
	if !ok {
		c.Add(path, value, reason)
	}
}

// Positive requires v > 0.
func Positive[T Number](c *Collector, path string, v T) {
	if !(v > 0) {
		c.Add(path, v, "must be > 0")
	}
}

// NonNegative requires v >= 0.
func NonNegative[T Number](c *Collector, path string, v T) {
	if !(v >= 0) {
		c.Add(path, v, "must be >= 0")
	}
}

// InRange requires lo <= v <= hi.
func InRange[T Number](c *Collector, path string, v, lo, hi T) {
	if !(v >= lo && v <= hi) {
		c.Add(path, v, rangeReason(any(lo), any(hi)))
	}
}

func rangeReason(lo, hi any) string {
	return fmt.Sprintf("must be between %v and %v", lo, hi)
}

// NotEmpty requires a non-empty string.
func NotEmpty(c *Collector, path string, v string) {
	if v == "" {
		c.Add(path, v, "must not be empty")
	}
}

// NotNil requires a non-nil pointer.
func NotNil[T any](c *Collector, path string, v *T) {
	if v == nil {
		c.Add(path, v, "must not be nil")
	}
}
