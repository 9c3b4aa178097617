package errprio

import (
	"strconv"
)

// Priority ranks errors so that, when one operation fails in several ways
// at once (the parts of a batch, parallel calls, an error hit while
// handling another), the one that decides what the caller must do is the
// one surfaced. Higher wins.
//
// The named levels follow the order CockroachDB's kvpb.ErrPriority
// actually uses, from highest to lowest: transaction abort, non-retriable,
// unambiguous, restart (retry). The reason for that order: a retry is
// pointless when the same operation also failed for a reason a retry
// cannot fix, and an unambiguous answer (the row exists, the condition did
// not hold) is still an answer the retry would not change. The order often
// quoted ("abort > restart > unambiguous > non-retriable") is not what that
// code does.
//
// The levels are spaced so that a program can rank its own codes between
// them (see [CodeSpec]). The zero Priority, [PriorityNone], is what
// [PriorityOf] returns for a nil error; registered codes must rank above
// it.
type Priority int

// The named priority levels.
const (
	// PriorityNone is the priority of a nil error.
	PriorityNone Priority = 0
	// PriorityRetry: retrying the operation may succeed
	// (CockroachDB's ErrorScoreTxnRestart).
	PriorityRetry Priority = 100
	// PriorityUnambiguous: a definite answer that a retry would repeat,
	// such as "not found" or "already exists"
	// (CockroachDB's ErrorScoreUnambiguousError: condition failed, lock
	// conflict).
	PriorityUnambiguous Priority = 200
	// PriorityNonRetriable: a failure that retrying will not fix; also the
	// priority of errors with no code and of unregistered codes, as in
	// CockroachDB, where unknown errors score ErrorScoreNonRetriable.
	PriorityNonRetriable Priority = 300
	// PriorityInternal: a bug ([CodeInternal]). It is not one of
	// CockroachDB's levels; it carries pgerror's rule that an internal
	// code overrides any other, so that a bug is never masked by an
	// ordinary failure.
	PriorityInternal Priority = 350
	// PriorityAbort: the operation was abandoned as a whole; everything
	// else that failed with it is a consequence
	// (CockroachDB's ErrorScoreTxnAbort).
	PriorityAbort Priority = 400
)

// String returns the level's name (retry, unambiguous, non-retriable,
// internal, abort, none), or the number for a priority between levels.
func (p Priority) String() string {
	switch p {
	case PriorityNone:
		return "none"
	case PriorityRetry:
		return "retry"
	case PriorityUnambiguous:
		return "unambiguous"
	case PriorityNonRetriable:
		return "non-retriable"
	case PriorityInternal:
		return "internal"
	case PriorityAbort:
		return "abort"
	}
	return "priority(" + strconv.Itoa(int(p)) + ")"
}

// PriorityOf returns the priority of the code [CodeOf] picks for err: the
// highest priority found anywhere in err's tree, through wrappers and every
// branch of errors.Join and [Combine]. An error with no code has
// [PriorityNonRetriable]; a nil error has [PriorityNone]. It does not
// allocate.
func PriorityOf(err error) Priority {
	if err == nil {
		return PriorityNone
	}
	return rank(err).prio
}

// Highest returns the error to surface among errs: the one with the highest
// [PriorityOf]. Ties keep the earliest; nil entries are skipped; the result
// is nil when every entry is nil. It returns one of its arguments
// unchanged and does not allocate.
func Highest(errs ...error) error {
	var best error
	bp := PriorityNone
	for _, err := range errs {
		if err == nil {
			continue
		}
		if p := PriorityOf(err); p > bp {
			best, bp = err, p
		}
	}
	return best
}
