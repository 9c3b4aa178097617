package otelbridge

import (
	"go/token"
	"reflect"
)

// Semantic-convention keys of an exception span event.
const (
	exceptionEvent      = "exception"
	exceptionType       = "exception.type"
	exceptionMessage    = "exception.message"
	exceptionStacktrace = "exception.stacktrace"
)

// InnermostType names the type of err for the exception.type attribute: the
// type of the innermost error in its chain whose type is exported, so
// something a reader can match with errors.As and look up, as
// "*io/fs.PathError" or "github.com/org/pkg.Error". The chain is followed
// through Unwrap() error and, at an errors.Join or a multi-%w fmt.Errorf,
// through the first error of Unwrap() []error. The wrappers of the standard
// library (*fmt.wrapError, *errors.joinError) and errors.New's leaves are
// unexported, so they are skipped; when every error in the chain is of an
// unexported type, the innermost one's type is returned, as
// "*errors.errorString". It returns "" for nil.
//
// OpenTelemetry's own RecordError uses the outermost type, which for an
// error wrapped with fmt.Errorf is always *fmt.wrapError.
func InnermostType(err error) string {
	var innermost, exported error
	for depth := 0; err != nil && depth < maxUnwrapDepth; depth++ {
		innermost = err
		if isExported(reflect.TypeOf(err)) {
			exported = err
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			err = nil
			for _, e := range u.Unwrap() {
				if e != nil {
					err = e
					break
				}
			}
		default:
			err = nil
		}
	}
	if exported != nil {
		return typeName(reflect.TypeOf(exported))
	}
	if innermost != nil {
		return typeName(reflect.TypeOf(innermost))
	}
	return ""
}

// maxUnwrapDepth bounds the walk of InnermostType, against an error whose
// Unwrap returns itself.
const maxUnwrapDepth = 100

// isExported reports whether t, or the type it points to, is a named type
// with an exported name.
func isExported(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name() != "" && token.IsExported(t.Name())
}

// typeName renders t with its full package path: "*io/fs.PathError".
func typeName(t reflect.Type) string {
	prefix := ""
	for t.Kind() == reflect.Pointer && t.Name() == "" {
		prefix += "*"
		t = t.Elem()
	}
	if t.Name() == "" || t.PkgPath() == "" {
		return prefix + t.String()
	}
	return prefix + t.PkgPath() + "." + t.Name()
}
