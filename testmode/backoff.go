package testmode

import (
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Backoff constants of DefaultBackoff.
const (
	// BackoffBase is the fixed part of every default backoff.
	BackoffBase = 15 * time.Second
	// BackoffMaxExponent caps the exponent of the default backoff, so
	// that the wait between two attempts stays below about 18 hours
	// (15 s + 2^16 s).
	BackoffMaxExponent = 16
	// BackoffJitter is the largest fraction of the default backoff added
	// as jitter.
	BackoffJitter = 0.10
)

// DefaultBackoff is the wait before retrying a job whose attempt number
// attempt failed, for workers that do not implement Backoffer:
//
//	base   = 15s + 2^min(attempt, 16) s
//	wait   = base + base * 0.10 * jitter
//
// where jitter is a number in [0, 1], so the jitter adds at most 10%.
// Attempts 1, 2, 3, 10 and 20 wait at least 17 s, 19 s, 23 s, about 17 min
// and about 18 h. Engines draw jitter at random from [0, 1) so that jobs
// that failed together do not retry together; Inline mode derives it from
// the job's kind, args and attempt, so that a test sees the same history
// every run. Every input gives a wait from base to base + 10%: an attempt
// below 1 counts as 1, a jitter below 0 (or NaN) as 0 and one above 1 as 1.
//
// The formula is Oban's (15 s plus 2 to the attempt, plus up to 10%),
// with the exponent capped so that the waits of the default 20 attempts add
// up to about four days instead of growing without bound.
func DefaultBackoff(attempt int, jitter float64) time.Duration {
	attempt = max(attempt, 1)
	if !(jitter > 0) { // negative, zero or NaN
		jitter = 0
	}
	jitter = min(jitter, 1)
	base := BackoffBase + time.Duration(1)<<min(attempt, BackoffMaxExponent)*time.Second
	return base + time.Duration(float64(base)*BackoffJitter*jitter)
}

// randomJitter is the jitter of engines.
func randomJitter(*JobRow) float64 { return rand.Float64() }

// fixedJitter is the jitter of Inline mode: a number in [0, 1) that depends
// on the job's kind, args and attempt only.
func fixedJitter(row *JobRow) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(row.Kind))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(row.EncodedArgs)
	x := h.Sum64() + uint64(row.Attempt)*0x9E3779B97F4A7C15
	// splitmix64 finalizer: spreads consecutive attempts over [0, 1).
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
