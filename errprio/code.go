package errprio

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ecopatterns/ecopatterns/options"
)

// Code is a consumer-facing error code in the style of SQLSTATE: five
// characters from 0-9 and A-Z, such as "40001" (retry the transaction). A
// consumer branches on the code rather than on the message, which may change
// and may carry private data.
//
// Any string can be attached with [WithCode], but only a registered code
// (see [RegisterCode]) has a name, a priority and projections onto HTTP and
// gRPC.
type Code string

// SafeValue marks codes as safe to report: they never carry user data, so
// redaction keeps them.
func (Code) SafeValue() {}

// The codes this package registers. Their priorities, retryability and
// projections are listed in the package documentation and returned by
// [Lookup].
const (
	// CodeSerializationFailure (40001): a conflict with a concurrent
	// operation; the whole operation can be retried and will likely
	// succeed.
	CodeSerializationFailure Code = "40001"
	// CodeAmbiguousResult (40003): the operation may or may not have taken
	// effect (a connection failed after the request was sent). A blind
	// retry is unsafe; the caller must check or make the operation
	// idempotent.
	CodeAmbiguousResult Code = "40003"
	// CodeQueryCanceled (57014): the operation was abandoned, by the
	// caller or by its deadline. Other failures of the same operation are
	// its consequences, so it ranks at PriorityAbort.
	CodeQueryCanceled Code = "57014"
	// CodeCannotConnectNow (57P03): the service is starting, draining or
	// unreachable; try again later.
	CodeCannotConnectNow Code = "57P03"
	// CodeTooManyRequests (53300, too_many_connections in SQLSTATE): the
	// caller is over a limit; try again after backing off.
	CodeTooManyRequests Code = "53300"
	// CodeInsufficientResources (53000): the service lacks memory, disk or
	// another resource right now; try again after backing off.
	CodeInsufficientResources Code = "53000"
	// CodeInvalidInput (22023, invalid_parameter_value): the request is
	// wrong and will fail the same way every time.
	CodeInvalidInput Code = "22023"
	// CodeNoData (02000): the thing asked for does not exist.
	CodeNoData Code = "02000"
	// CodeUndefinedObject (42704): a named object (table, queue, key) does
	// not exist.
	CodeUndefinedObject Code = "42704"
	// CodeUniqueViolation (23505): the thing being created already exists.
	// Like CockroachDB's ConditionFailedError it is a definite answer,
	// ranked PriorityUnambiguous.
	CodeUniqueViolation Code = "23505"
	// CodePermissionDenied (42501, insufficient_privilege): the caller may
	// not do this.
	CodePermissionDenied Code = "42501"
	// CodeInternal (XX000): a bug. It ranks above every other
	// non-retriable failure (PriorityInternal), so that a bug hit while
	// handling a retry or a bad request is never reported as either.
	CodeInternal Code = "XX000"
	// CodeUncategorized (XXUUU): the error carries no code. [CodeOf]
	// returns it for such errors; it is not retryable.
	CodeUncategorized Code = "XXUUU"
)

// CodeSpec describes a registered code.
type CodeSpec struct {
	// Code is five characters from 0-9 and A-Z, unique in the process.
	Code Code
	// Name is a short snake_case name such as serialization_failure, for
	// logs and documentation. It must not be empty.
	Name string
	// Priority ranks errors carrying this code against others (see
	// [Priority]). It must be > 0, so that every error outranks no error.
	Priority Priority
	// Retryable says that retrying the whole operation may succeed.
	Retryable bool
	// HTTPStatus is the status [WriteHTTP] sends, 400 to 599.
	HTTPStatus int
	// GRPCCode is the numeric gRPC status code (google.golang.org/grpc/codes)
	// a gRPC server should send, 1 to 16.
	GRPCCode uint32
}

// Validate reports every field of s that [RegisterCode] would refuse,
// except duplicates, as an errors.Join of [*options.FieldError].
func (s CodeSpec) Validate() error {
	var c options.Collector
	options.Check(&c, validCode(s.Code), "Code", string(s.Code), "must be exactly 5 characters from 0-9 and A-Z")
	options.NotEmpty(&c, "Name", s.Name)
	options.Positive(&c, "Priority", s.Priority)
	options.InRange(&c, "HTTPStatus", s.HTTPStatus, 400, 599)
	options.InRange(&c, "GRPCCode", s.GRPCCode, 1, 16)
	return c.Err()
}

func validCode(c Code) bool {
	if len(c) != 5 {
		return false
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if (b < '0' || b > '9') && (b < 'A' || b > 'Z') {
			return false
		}
	}
	return true
}

// The gRPC status codes the built-in codes project onto, numbered as in
// google.golang.org/grpc/codes.
const (
	grpcCanceled          = 1
	grpcUnknown           = 2
	grpcInvalidArgument   = 3
	grpcNotFound          = 5
	grpcAlreadyExists     = 6
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcAborted           = 10
	grpcInternal          = 13
	grpcUnavailable       = 14
)

// The registry is an append-only map from code to spec, published by an
// atomic pointer: RegisterCode copies the map, lookups never lock. It is
// the package's one piece of mutable global state, written from init
// functions.
var (
	registryMu sync.Mutex
	registry   atomic.Pointer[map[Code]*CodeSpec]
)

func init() {
	for _, s := range []CodeSpec{
		{CodeSerializationFailure, "serialization_failure", PriorityRetry, true, 409, grpcAborted},
		{CodeAmbiguousResult, "statement_completion_unknown", PriorityNonRetriable, false, 500, grpcUnknown},
		{CodeQueryCanceled, "query_canceled", PriorityAbort, false, 499, grpcCanceled},
		{CodeCannotConnectNow, "cannot_connect_now", PriorityRetry, true, 503, grpcUnavailable},
		{CodeTooManyRequests, "too_many_requests", PriorityRetry, true, 429, grpcResourceExhausted},
		{CodeInsufficientResources, "insufficient_resources", PriorityRetry, true, 503, grpcResourceExhausted},
		{CodeInvalidInput, "invalid_parameter_value", PriorityNonRetriable, false, 400, grpcInvalidArgument},
		{CodeNoData, "no_data", PriorityUnambiguous, false, 404, grpcNotFound},
		{CodeUndefinedObject, "undefined_object", PriorityUnambiguous, false, 404, grpcNotFound},
		{CodeUniqueViolation, "unique_violation", PriorityUnambiguous, false, 409, grpcAlreadyExists},
		{CodePermissionDenied, "insufficient_privilege", PriorityNonRetriable, false, 403, grpcPermissionDenied},
		{CodeInternal, "internal_error", PriorityInternal, false, 500, grpcInternal},
		{CodeUncategorized, "uncategorized", PriorityNonRetriable, false, 500, grpcUnknown},
	} {
		RegisterCode(s)
	}
}

// RegisterCode adds a code to the process-wide registry. Call it from an
// init function, as database/sql drivers and image formats register
// themselves: codes are part of a program's vocabulary, fixed before it
// serves anything.
//
// It panics, with an error naming every bad field, when the spec is invalid
// (see [CodeSpec.Validate]) or its code is already registered: both are
// programming mistakes that must stop the program at start-up rather than
// change how errors rank at run time.
//
// Registration is safe for concurrent use with every other function of the
// package, but a code registered late is invisible to errors ranked before.
func RegisterCode(s CodeSpec) {
	if err := s.Validate(); err != nil {
		panic(fmt.Errorf("errprio: RegisterCode(%q): invalid spec: %w", string(s.Code), err))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	var old map[Code]*CodeSpec
	if p := registry.Load(); p != nil {
		old = *p
	}
	if prev, ok := old[s.Code]; ok {
		panic(fmt.Errorf("errprio: RegisterCode(%q): code already registered as %q", string(s.Code), prev.Name))
	}
	next := make(map[Code]*CodeSpec, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	spec := s
	next[s.Code] = &spec
	registry.Store(&next)
}

// Lookup returns the registered spec of code, and false when code is not
// registered.
func Lookup(code Code) (CodeSpec, bool) {
	if s := lookup(code); s != nil {
		return *s, true
	}
	return CodeSpec{}, false
}

// Codes returns every registered spec, sorted by code.
func Codes() []CodeSpec {
	m := *registry.Load()
	out := make([]CodeSpec, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b CodeSpec) int { return strings.Compare(string(a.Code), string(b.Code)) })
	return out
}

func lookup(code Code) *CodeSpec {
	return (*registry.Load())[code]
}

// uncategorized is the spec of CodeUncategorized, which also stands for
// every code that is not registered.
func uncategorized() *CodeSpec { return lookup(CodeUncategorized) }
