// Package welcome sends the welcome email of a new user as a background job
// of package testmode: the args (Args), the worker (Worker), the code that
// enqueues it (Enqueue), and what the worker needs from a mail provider
// (Mailer).
//
// The worker chooses each attempt's outcome from the provider's answer:
//
//   - nil: the job is completed.
//   - a *RetryAfterError (an HTTP 429 or 503 with Retry-After): the attempt
//     fails and Backoff retries it when the provider asked, not on the
//     default schedule.
//   - an error wrapping ErrRejected (the address does not exist): retrying
//     cannot help, so the job is cancelled with testmode.Cancel. An address
//     without @ is cancelled before anything is sent.
//   - any other error: the attempt fails and is retried after
//     testmode.DefaultBackoff, up to MaxAttempts attempts.
package welcome

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// Queue is the queue welcome emails run in.
const Queue = "mail"

// MaxAttempts is how often a welcome email is tried before it is
// discarded.
const MaxAttempts = 5

// Args asks for the welcome email of one user. It is stored as JSON.
type Args struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

// Kind returns "welcome_email".
func (Args) Kind() string { return "welcome_email" }

// Mailer sends one email. A Mailer returns a *RetryAfterError when the
// provider asks to be called later, and an error wrapping ErrRejected when
// it refuses the address for good.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// ErrRejected is the permanent failure of a Mailer: the provider refuses
// the address (an SMTP 550, say).
var ErrRejected = errors.New("welcome: address rejected")

// RetryAfterError is the failure of a Mailer whose provider is throttling:
// try again after After.
type RetryAfterError struct {
	After time.Duration
}

// Error says when to retry.
func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("welcome: provider busy, retry after %s", e.After)
}

// Worker sends welcome emails through its Mailer.
type Worker struct {
	Mailer Mailer
}

var (
	_ testmode.Worker[Args]    = Worker{}
	_ testmode.Backoffer[Args] = Worker{}
)

// Perform sends the email of job.Args.
func (w Worker) Perform(ctx context.Context, job *testmode.Job[Args]) error {
	if !strings.Contains(job.Args.Email, "@") {
		return testmode.Cancel(fmt.Errorf("welcome: user %d: invalid address %q", job.Args.UserID, job.Args.Email))
	}
	err := w.Mailer.Send(ctx, job.Args.Email, "Welcome!", fmt.Sprintf("Hello, user %d.", job.Args.UserID))
	if errors.Is(err, ErrRejected) {
		return testmode.Cancel(err)
	}
	return err
}

// Backoff waits as long as a throttling provider asked, and otherwise
// follows the default schedule.
func (Worker) Backoff(job *testmode.Job[Args], err error) time.Duration {
	var ra *RetryAfterError
	if errors.As(err, &ra) {
		return ra.After
	}
	return testmode.DefaultBackoff(job.Attempt, rand.Float64())
}

// Enqueue inserts the welcome email of a user who just signed up. What
// happens to it is the client's mode: run in the background by its engine
// (Disabled), run at once (Inline), or recorded for a test (Manual).
func Enqueue(ctx context.Context, jobs *testmode.Client, userID int64, email string) (*testmode.JobRow, error) {
	return jobs.Insert(ctx, Args{UserID: userID, Email: email}, &testmode.InsertOpts{Queue: Queue, MaxAttempts: MaxAttempts})
}
