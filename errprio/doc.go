// Package errprio treats errors as data: each carries a consumer-facing
// code (SQLSTATE style, such as 40001 for "retry the transaction") and a
// priority, and its whole cause chain survives the trip between processes.
//
// It follows CockroachDB, where a storage error is encoded with
// github.com/cockroachdb/errors, wrapped by KV, sent over RPC, decoded by
// SQL, mapped to a SQLSTATE code by pgerror, and ranked against other
// failures of the same batch by kvpb.ErrPriority. errprio keeps that
// library's wire format and fixes two blind spots of the CockroachDB code:
// both code selection and ranking see every branch of errors.Join.
//
// # Composing with it
//
// Attach a code where the failure is understood, and let it travel:
//
//	return errprio.WithCode(fmt.Errorf("commit: %w", err), errprio.CodeSerializationFailure)
//
// At the consumer, branch on the code, never on the message:
//
//	if errprio.Retryable(err) { ... retry ... }
//	switch errprio.CodeOf(err) { case errprio.CodeNoData: ... }
//
// When several things fail at once (the parts of a batch, parallel calls),
// surface the one that decides what to do next with [Highest], or keep them
// all with [Combine] (the others stay reachable through [Suppressed],
// errors.Is and %+v). At a boundary, [Flatten] reduces an error to a
// [Flat]: code, message, hints, details, retryability, HTTP status and gRPC
// code. In logs, a coded error is one line of code, message and hints
// ([LogValue]); %+v keeps the whole chain for when it is needed.
//
// Between processes, [Encode] and [Decode] turn an error into bytes and
// back; [WriteHTTP] and [ReadHTTP] do it over HTTP, with the status taken
// from the code and the code also in the [HeaderCode] header:
//
//	// server
//	if err != nil { _ = errprio.WriteHTTP(w, err); return }
//	// client
//	if err := errprio.ReadHTTP(resp); err != nil { ... errors.Is(err, store.ErrNotFound) ... }
//
// Use errors.Is from github.com/cockroachdb/errors to match sentinels on
// decoded errors: it compares type names and messages (or errors.Mark
// marks), which survive the wire, where the standard library's errors.Is
// compares identities, which cannot.
//
// # Codes and the ranking rule
//
// The shipped codes, with their priority, retryability and projections:
//
//	code   name                          priority       retry  HTTP  gRPC
//	40001  serialization_failure         retry          yes    409   10 Aborted
//	57P03  cannot_connect_now            retry          yes    503   14 Unavailable
//	53300  too_many_requests             retry          yes    429    8 ResourceExhausted
//	53000  insufficient_resources        retry          yes    503    8 ResourceExhausted
//	02000  no_data                       unambiguous    no     404    5 NotFound
//	42704  undefined_object              unambiguous    no     404    5 NotFound
//	23505  unique_violation              unambiguous    no     409    6 AlreadyExists
//	22023  invalid_parameter_value       non-retriable  no     400    3 InvalidArgument
//	42501  insufficient_privilege        non-retriable  no     403    7 PermissionDenied
//	40003  statement_completion_unknown  non-retriable  no     500    2 Unknown
//	XXUUU  uncategorized                 non-retriable  no     500    2 Unknown
//	XX000  internal_error                internal       no     500   13 Internal
//	57014  query_canceled                abort          no     499    1 Canceled
//
// The priority order is the one CockroachDB's kvpb.ErrPriority implements:
// abort > non-retriable > unambiguous > retry. A retry is pointless when the
// same operation also failed for a reason a retry cannot fix, and an
// unambiguous answer (not found, already exists) is one the retry would
// repeat; an abort makes every other failure of the operation a
// consequence. On top of that order, an internal error (XX000) ranks above
// other non-retriable codes, carrying pgerror's rule that an XX code
// overrides any other, so a bug is never masked by an ordinary failure.
//
// [CodeOf] picks one code from the whole tree: every [WithCode] anywhere is
// a candidate, and so is [CodeUncategorized] for each leaf no code covers;
// the highest priority wins, ties go to the first in depth-first order. So
// an XX000 hit while handling a retry is never reported as retryable, and
// a Join in which one branch carries no code is not retryable either.
// [PriorityOf] is the priority of that code, and [Highest] and [Combine]
// pick by it, so all of them agree. On a 10-layer chain CodeOf and
// PriorityOf take well under 150 ns and, like Highest, allocate nothing.
//
// # The wire
//
// The encoding is the protobuf form of cockroachdb/errors' EncodedError:
// one message per layer, a leaf (message, details, and the causes of a
// multi-cause error such as a Join) or a wrapper (cause, message prefix,
// details). Details hold the type name, a type mark, reportable strings
// and an Any payload. A code travels in errprio's own wrapper, whose
// reportable strings are the code and its priority; any process that links
// errprio decodes it, whatever the type of the error beneath, so a node
// that does not know a leaf's type still codes and ranks it, and relays it
// byte for byte (cockroachdb/errors keeps unknown layers opaque and
// re-encodes them exactly). A decoded code that the receiving process
// never registered ranks with the priority its sender gave it.
//
// What crosses the wire: every message in full (messages may contain user
// data: redact before, not after, if the receiver must not see it), type
// names, hints and details, errors.Mark marks, the surfaced index of a
// Combine, stack traces (unless [Options].DropStacks) and each type's own
// payload. Only what is marked safe reaches the reportable payload, the
// part crash reporters such as Sentry are allowed to see: codes and
// priorities, arguments wrapped in errors.Safe, stack traces, and what a
// type's registered encoder declares safe. Messages built with
// errors.Newf/Wrapf keep their redaction markers across the wire, so
// errors.Redact on the receiving side still hides their arguments.
//
// Sizes (bytes, measured by TestWireSizes: a code over depth layers made
// with errors.Newf and errors.Wrapf, stacks four frames deep; real stacks
// are deeper and paths longer):
//
//	depth  with stacks  DropStacks  fmt.Errorf chain
//	    1          821         494               216
//	    4         2918        1610               391
//	   16        12145        6913              1105
//
// Decode accepts untrusted input. One pass over the bytes, before anything
// is allocated, enforces the limits of [Options] (defaults: 1 MiB,
// 1000 nested layers, 10000 layers, reportable strings and payload
// fields) and rejects the structures that would make the library panic,
// so that one Decode allocates under 9 MiB whatever it is fed (the bound
// is stated on [Options].MaxBytes); a panic in a registered
// decoder is recovered. Decode returns a single error: bad input yields a
// [*WireError], coded [CodeInternal], that matches [ErrMalformed] or
// [ErrLimit] and names the byte offset and what was wrong; Encode refuses to produce what Decode would refuse. The fuzz
// target FuzzDecode starts from real encodings in testdata/.
//
// # Extending it
//
// Register your own codes with [RegisterCode] from init, ranking them
// anywhere between the named levels (see [Priority]); a bad or duplicate
// spec panics at start-up with a message naming the field. [WithCode]
// accepts unregistered codes too: they rank as non-retriable and project
// onto HTTP 500 and gRPC Unknown.
//
// Your own error types cross the wire with their fields when you register
// an encoder and decoder for them with cockroachdb/errors
// (errors.RegisterLeafEncoder and RegisterLeafDecoder, or the Wrapper and
// MultiCause variants); without that they still cross as opaque errors
// that keep message and type name. A [Codec] made with [NewCodec] applies
// other limits or drops stacks.
//
// # What it deliberately does not do
//
// It does not import gRPC: [CodeSpec].GRPCCode is the numeric status code,
// for the caller to hand to status.New. It does not retry: [Retryable]
// says whether a retry may help, and the caller owns the loop, its backoff
// and its budget. It does not redact messages, which cross whole; and it
// does not change cockroachdb/errors' process-wide hooks, such as the
// warning function it logs undecodable payloads with (errors.SetWarningFn
// is the program's choice). Besides the encoders of its own types, it
// registers one for the library's stack wrapper, which the library leaves
// without: it encodes what the library's default encodes (a test compares
// them) without calling Error twice per stack layer, and lets DropStacks
// skip formatting the traces it drops. The code registry is the package's only
// mutable global state: append-only, written from init, read without
// locks. errors.As to a concrete type works across the wire only for types
// registered with the library in the receiving process.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example (httpHop): an error that crosses two HTTP hops and arrives with
//     its cause chain, code, hint and sentinel identity.
//   - Retryable: a client that retries while the error says a retry can
//     succeed, and stops at the first that says it cannot.
//   - Highest: parallel calls that fail in different ways, and the one failure
//     that decides what to do next.
//   - RegisterCode: a program's own code, registered with its priority,
//     retryability, HTTP status and gRPC code.
//   - Decode: a node that does not know an error's type ranks and relays it
//     unchanged; bytes that are no encoding decode to a *WireError.
//   - WireCode: a relay or a test reading the code and priority that the
//     sender put on the wire.
package errprio
