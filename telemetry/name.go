package telemetry

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// Name is a validated, dot-separated event name such as
// "ecopatterns.stopper.task.start". Build each Name once, in a package-level
// variable or at construction time, and emit it many times: a Name carries a
// small cache that makes finding its handlers cheap.
//
// The zero Name is not a valid name; emitting it does nothing.
type Name struct {
	s *nameState
}

type nameState struct {
	name string
	// cache holds the handlers matching this name in the most recent
	// snapshot of the registry that emitted it.
	cache atomic.Pointer[dispatch]
}

// NewName validates s and returns it as a Name. A valid name is one or more
// segments separated by single dots; each segment is made of ASCII letters,
// digits, '_' and '-'.
func NewName(s string) (Name, error) {
	if err := validName(s); err != nil {
		return Name{}, err
	}
	return Name{s: &nameState{name: s}}, nil
}

// MustName is NewName for names fixed at compile time, typically in a
// package's events.go. It panics if s is not a valid name, which a test of
// that package catches at its first run.
func MustName(s string) Name {
	n, err := NewName(s)
	if err != nil {
		panic(err)
	}
	return n
}

// String returns the dotted name, or "" for the zero Name.
func (n Name) String() string {
	if n.s == nil {
		return ""
	}
	return n.s.name
}

// IsZero reports whether n is the zero Name.
func (n Name) IsZero() bool { return n.s == nil }

// validName reports what is wrong with a name or a subscription pattern.
func validName(s string) error {
	if s == "" {
		return fmt.Errorf("telemetry: invalid event name %q: empty", s)
	}
	seg := 0
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			c := s[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return fmt.Errorf("telemetry: invalid event name %q: character %q at offset %d (use letters, digits, '_' and '-' between dots)", s, rune(c), i)
			}
			continue
		}
		seg++
		if i == start {
			return fmt.Errorf("telemetry: invalid event name %q: segment %d is empty", s, seg)
		}
		start = i + 1
	}
	return nil
}

// matches reports whether the name equals pattern or lies below it
// (pattern "a.b" matches "a.b" and "a.b.c", not "a.bc").
func matches(name, pattern string) bool {
	return strings.HasPrefix(name, pattern) && (len(name) == len(pattern) || name[len(pattern)] == '.')
}

// SpanName is the prefix of a span and the three event names built from it:
// prefix.start, prefix.stop and prefix.exception. Like Name, build it once.
type SpanName struct {
	// Prefix is the span's own name, for example ecopatterns.stopper.task.
	Prefix Name
	// Start is emitted before the span's function runs.
	Start Name
	// Stop is emitted when the function returns nil.
	Stop Name
	// Exception is emitted when the function returns an error or panics.
	Exception Name
}

// NewSpanName validates prefix and builds the span's event names.
func NewSpanName(prefix string) (SpanName, error) {
	p, err := NewName(prefix)
	if err != nil {
		return SpanName{}, err
	}
	return SpanName{
		Prefix:    p,
		Start:     Name{s: &nameState{name: prefix + ".start"}},
		Stop:      Name{s: &nameState{name: prefix + ".stop"}},
		Exception: Name{s: &nameState{name: prefix + ".exception"}},
	}, nil
}

// MustSpanName is NewSpanName for prefixes fixed at compile time; it panics
// on an invalid prefix.
func MustSpanName(prefix string) SpanName {
	n, err := NewSpanName(prefix)
	if err != nil {
		panic(err)
	}
	return n
}

// Pattern is a typed event name usable as an Attach pattern: a [Name]
// (that event and every event below it) or a [SpanName] (its three events).
type Pattern interface {
	// Pattern returns the dotted pattern.
	Pattern() string
}

var (
	_ Pattern = Name{}
	_ Pattern = SpanName{}
)

// Pattern returns n as an Attach pattern: n and every event below it. The
// zero Name gives "", which Attach refuses.
func (n Name) Pattern() string { return n.String() }

// Pattern returns the span's prefix as an Attach pattern, which receives
// its start, stop and exception events.
func (n SpanName) Pattern() string { return n.Prefix.String() }

// Patterns returns the patterns of typed names, for [Registry.Attach] and
// [Registry.ListHandlers].
func Patterns(names ...Pattern) []string {
	out := make([]string, len(names))
	for i, n := range names {
		if n != nil {
			out[i] = n.Pattern()
		}
	}
	return out
}
