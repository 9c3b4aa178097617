package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ecopatterns/ecopatterns/errprio"
	"github.com/ecopatterns/ecopatterns/testmode"
)

// The codes this program adds to errprio's vocabulary. A 429 and a 503 use
// errprio's own CodeTooManyRequests and CodeCannotConnectNow.
const (
	// codeProbeTimeout: the target did not answer within Timeout.
	codeProbeTimeout errprio.Code = "PRB01"
	// codeUnreachable: no connection could be made.
	codeUnreachable errprio.Code = "PRB02"
	// codeServerError: the target answered with a 5xx other than 503.
	codeServerError errprio.Code = "PRB03"
	// codeGone: the target answered 404 or 410; probing it again is
	// pointless until someone fixes the target list.
	codeGone errprio.Code = "PRB04"
	// codeRejected: the target refused the probe with another 4xx.
	codeRejected errprio.Code = "PRB05"
)

func init() {
	// Codes are registered before anything runs, like database/sql
	// drivers. Priorities rank a round's failures: a target that is gone
	// needs a person (non-retriable), a slow one is worse than one that
	// says when to come back.
	for _, s := range []errprio.CodeSpec{
		{Code: codeProbeTimeout, Name: "probe_timeout", Priority: errprio.PriorityRetry + 20, Retryable: true, HTTPStatus: 504, GRPCCode: 4},
		{Code: codeUnreachable, Name: "target_unreachable", Priority: errprio.PriorityRetry + 30, Retryable: true, HTTPStatus: 502, GRPCCode: 14},
		{Code: codeServerError, Name: "target_server_error", Priority: errprio.PriorityRetry + 10, Retryable: true, HTTPStatus: 502, GRPCCode: 14},
		{Code: codeGone, Name: "target_gone", Priority: errprio.PriorityNonRetriable, HTTPStatus: 404, GRPCCode: 5},
		{Code: codeRejected, Name: "target_rejected", Priority: errprio.PriorityNonRetriable, HTTPStatus: 502, GRPCCode: 9},
	} {
		errprio.RegisterCode(s)
	}
}

// codeName is the registered name of code, or the code itself.
func codeName(code errprio.Code) string {
	if spec, ok := errprio.Lookup(code); ok {
		return spec.Name
	}
	return string(code)
}

// ProbeArgs are the args of a probe job: which target, in which round.
type ProbeArgs struct {
	Target string `json:"target"`
	Round  int    `json:"round"`
}

// Kind names probe jobs.
func (ProbeArgs) Kind() string { return "probe" }

// probeError is a failed probe. It carries a hint for people (Flatten
// collects it) and the wait the target asked for.
type probeError struct {
	target     string
	what       string
	hint       string
	retryAfter time.Duration
	cause      error
}

func (e *probeError) Error() string     { return e.target + ": " + e.what }
func (e *probeError) Unwrap() error     { return e.cause }
func (e *probeError) ErrorHint() string { return e.hint }

// failure builds a coded probe error.
func failure(code errprio.Code, target, what, hint string, retryAfter time.Duration, cause error) error {
	return errprio.WithCode(&probeError{target: target, what: what, hint: hint, retryAfter: retryAfter, cause: cause}, code)
}

// errProbeTimeout is the cause of a probe's context at its deadline, which
// tells a slow target from a stopping process.
var errProbeTimeout = errors.New("probe deadline")

// prober is the probe worker. The same value runs on the MemoryEngine, in
// Inline mode and under Drain.
type prober struct {
	client   *http.Client
	timeout  time.Duration
	interval time.Duration
	results  *results
}

var (
	_ testmode.Worker[ProbeArgs]    = (*prober)(nil)
	_ testmode.Backoffer[ProbeArgs] = (*prober)(nil)
)

// Perform probes the target once. Success and permanent failures (Cancel)
// are final; a retryable failure is final only on the last attempt.
func (p *prober) Perform(ctx context.Context, job *testmode.Job[ProbeArgs]) error {
	err := p.probe(ctx, job.Args.Target)
	switch {
	case err == nil:
		p.results.finish(job, nil)
		return nil
	case ctx.Err() != nil:
		// The engine is stopping: the job goes back to the queue, and the
		// round stays unfinished.
		return err
	case !errprio.Retryable(err):
		p.results.finish(job, err)
		return testmode.Cancel(err)
	case job.Attempt >= job.MaxAttempts:
		p.results.finish(job, err)
		return err
	default:
		p.results.retry(job)
		return err
	}
}

// Backoff waits as long as a 429 or 503 asked (Retry-After), otherwise a
// quarter of the round interval per attempt, so retries fit in a round.
func (p *prober) Backoff(job *testmode.Job[ProbeArgs], err error) time.Duration {
	var pe *probeError
	if errors.As(err, &pe) && pe.retryAfter > 0 {
		return pe.retryAfter
	}
	return time.Duration(job.Attempt) * p.interval / 4
}

// probe sends one GET and turns every way it can fail into a coded error.
func (p *prober) probe(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeoutCause(ctx, p.timeout, errProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return failure(codeRejected, target, "bad URL", "fix the target's URL", 0, err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(context.Cause(ctx), errProbeTimeout) {
			return failure(codeProbeTimeout, target, "no answer within "+p.timeout.String(), "", 0, err)
		}
		if ctx.Err() != nil {
			return err
		}
		var dns *net.DNSError
		if errors.As(err, &dns) {
			return failure(codeUnreachable, target, "unknown host "+dns.Name, "check the target's host name", 0, err)
		}
		return failure(codeUnreachable, target, "cannot connect", "", 0, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 400 {
		return nil
	}
	what := resp.Status
	wait := retryAfter(resp.Header.Get("Retry-After"), time.Now())
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return failure(errprio.CodeTooManyRequests, target, what, "", wait, nil)
	case resp.StatusCode == http.StatusServiceUnavailable:
		return failure(errprio.CodeCannotConnectNow, target, what, "", wait, nil)
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return failure(codeGone, target, what, "remove it from the targets, or fix its path", 0, nil)
	case resp.StatusCode >= 500:
		return failure(codeServerError, target, what, "", 0, nil)
	default:
		return failure(codeRejected, target, what, "check what the target expects", 0, nil)
	}
}

// maxRetryAfter caps the wait a target may ask for, so that a wrong or
// hostile header cannot park a probe for years.
const maxRetryAfter = time.Hour

// retryAfter reads a Retry-After header: seconds, or an HTTP date. It
// returns 0 for an absent or unreadable value, and at most maxRetryAfter.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs >= int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), maxRetryAfter)
	}
	return 0
}

// checkTarget accepts absolute http and https URLs.
func checkTarget(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must be an http:// or https:// URL")
	}
	if u.Host == "" {
		return errors.New("has no host")
	}
	return nil
}
