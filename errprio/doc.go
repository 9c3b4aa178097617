// Package errprio treats errors as data: each carries a priority and a
// consumer-facing code (SQLSTATE style, such as 40001 for "retry the
// transaction"), and the whole cause chain survives serialization across
// process boundaries.
//
// It follows CockroachDB's error priority ranking (kvpb.ErrPriority), its
// pgerror code selection and the github.com/cockroachdb/errors wire format,
// and extends code selection to every branch of errors.Join.
//
// The package exports nothing yet; its API is being built.
package errprio
