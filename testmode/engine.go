package testmode

import "context"

// Engine stores the jobs a Client inserts in Disabled mode and runs them
// with its workers. MemoryEngine is the in-process implementation; an
// engine that keeps jobs in a database implements the same method and runs
// due jobs with Workers.Work. enginetest.Run checks an implementation
// against this contract.
type Engine interface {
	// Insert stores rows, in order, and returns the stored jobs in the
	// same order. The client has validated and filled each row (Kind,
	// EncodedArgs, Queue, Priority, MaxAttempts, ScheduledAt, Tags, Meta,
	// UniqueKey, UniquePeriod); Insert assigns ID and InsertedAt and sets
	// State to StateAvailable, or StateScheduled when ScheduledAt is
	// later than now. It may keep the rows it is given, and return rows
	// itself as its result.
	//
	// A row whose UniqueKey is not empty is a duplicate while the engine
	// holds a job with the same UniqueKey that was inserted less than
	// that job's UniquePeriod ago and was neither cancelled nor discarded
	// (an earlier row of the same call counts). A duplicate is not
	// stored: its place in the result holds that job, with Duplicate set.
	//
	// Insert stores every row or none: when one row cannot be stored (a
	// queue the engine does not serve, a kind it has no worker for, the
	// engine stopping) it returns an error naming the row and stores
	// nothing. It returns ctx's error when ctx ends first.
	//
	// A stored job runs once it is due, by Priority then ScheduledAt then
	// ID within its queue, and again after each failed or snoozed attempt
	// until it reaches a final state.
	Insert(ctx context.Context, rows []*JobRow) ([]*JobRow, error)
}

var _ Engine = (*MemoryEngine)(nil)
