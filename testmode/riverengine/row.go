package riverengine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// metaKey is the key under which a job's testmode fields live in River's
// metadata column, beside River's own keys ("snoozes").
const metaKey = "testmode"

// envelope holds the fields of a testmode.JobRow that River has no column
// for, or a narrower one (River has four priorities and restricts tags).
type envelope struct {
	// Priority is kept only when River's priority does not map back to
	// it (see riverPriority); 0 always does.
	Priority int `json:"priority,omitempty"`
	// Tags are kept only when one of them breaks River's rule for tags;
	// otherwise River's tags column holds them.
	Tags []string       `json:"tags,omitempty"`
	Meta map[string]any `json:"meta,omitempty"`
	// UniqueKey is the SHA-256 of testmode's unique key, hex; the
	// duplicate lookup finds it through River's GIN index on metadata.
	UniqueKey string `json:"unique_key,omitempty"`
	// UniquePeriodMicros is the job's UniquePeriod in microseconds,
	// PostgreSQL's resolution.
	UniquePeriodMicros int64 `json:"unique_period_us,omitempty"`
}

// riverMeta is River's metadata column as this package reads it.
type riverMeta struct {
	Testmode *envelope `json:"testmode"`
	Snoozes  int       `json:"snoozes"`
}

// hashKey turns testmode's unique key, which holds the whole args, into a
// short fixed-size one.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// riverPriority maps testmode's priorities 0 (first) to 9 onto River's 1
// (first) to 4: 0–2 → 1, 3–4 → 2, 5–7 → 3, 8–9 → 4.
func riverPriority(p int) int { return 1 + p*4/10 }

// riverTagRE is River's rule for tags; tags that break it are kept in the
// envelope only.
var riverTagRE = regexp.MustCompile(`\A[\w][\w\-]+[\w]\z`)

func riverTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if len(t) <= 255 && riverTagRE.MatchString(t) {
			out = append(out, t)
		}
	}
	return out
}

// fromRiverPriority maps River's priority back: 1 → 0, 2 → 3, 3 → 6, 4 → 9.
func fromRiverPriority(p int) int { return min(max(p-1, 0)*3, testmode.MaxPriority) }

// encodeMeta builds River's metadata for row, or returns nil (River's
// empty metadata) when River's columns hold every field, as they do for a
// job with default priority and options: then the job's row is what River
// itself would have stored.
func encodeMeta(row *testmode.JobRow) ([]byte, error) {
	var env envelope
	if fromRiverPriority(riverPriority(row.Priority)) != row.Priority {
		env.Priority = row.Priority
	}
	if len(riverTags(row.Tags)) != len(row.Tags) {
		env.Tags = row.Tags
	}
	env.Meta = row.Meta
	if row.UniqueKey != "" {
		env.UniqueKey = hashKey(row.UniqueKey)
		env.UniquePeriodMicros = row.UniquePeriod.Microseconds()
	}
	if env.Priority == 0 && env.Tags == nil && env.Meta == nil && env.UniqueKey == "" {
		return nil, nil
	}
	b, err := json.Marshal(map[string]envelope{metaKey: env})
	if err != nil {
		return nil, fmt.Errorf("riverengine: job of kind %q: encoding metadata: %w", row.Kind, err)
	}
	return b, nil
}

// cancelPrefix is what River puts before the text of a cancelling error.
// Stripping it keeps AttemptError.Message identical to MemoryEngine's.
const cancelPrefix = "JobCancelError: "

// fromRiver converts River's row into testmode's. A job that River keeps
// available but whose ScheduledAt is later than now (a short snooze or
// retry, or a job inserted for a few seconds ahead) is reported scheduled
// or retryable, as testmode would have it.
func fromRiver(jr *rivertype.JobRow, now time.Time) *testmode.JobRow {
	row := &testmode.JobRow{
		ID:          jr.ID,
		Kind:        jr.Kind,
		EncodedArgs: jr.EncodedArgs,
		Queue:       jr.Queue,
		Priority:    fromRiverPriority(jr.Priority),
		State:       fromRiverState(jr),
		Attempt:     jr.Attempt,
		MaxAttempts: jr.MaxAttempts,
		InsertedAt:  jr.CreatedAt,
		ScheduledAt: jr.ScheduledAt,
		Tags:        jr.Tags,
	}
	if jr.AttemptedAt != nil {
		row.AttemptedAt = *jr.AttemptedAt
	}
	if jr.FinalizedAt != nil {
		row.FinalizedAt = *jr.FinalizedAt
	}
	var m riverMeta
	if json.Unmarshal(jr.Metadata, &m) == nil {
		row.Snoozes = m.Snoozes
		if e := m.Testmode; e != nil {
			if e.Priority != 0 {
				row.Priority = e.Priority
			}
			if e.Tags != nil {
				row.Tags = e.Tags
			}
			row.Meta = e.Meta
			if e.UniqueKey != "" {
				row.UniqueKey = e.UniqueKey
				row.UniquePeriod = time.Duration(e.UniquePeriodMicros) * time.Microsecond
			}
		}
	}
	if row.State == testmode.StateAvailable && row.ScheduledAt.After(now) {
		row.State = testmode.StateScheduled
		if len(jr.Errors) > 0 && jr.Errors[len(jr.Errors)-1].Attempt == jr.Attempt {
			row.State = testmode.StateRetryable // the last attempt failed
		}
	}
	if len(jr.Errors) > 0 {
		row.Errors = make([]testmode.AttemptError, len(jr.Errors))
		for i, e := range jr.Errors {
			row.Errors[i] = testmode.AttemptError{
				Attempt: e.Attempt,
				At:      e.At,
				Message: strings.TrimPrefix(e.Error, cancelPrefix),
				Stack:   e.Trace,
			}
		}
	}
	return row
}

func fromRiverState(jr *rivertype.JobRow) testmode.State {
	switch jr.State {
	case rivertype.JobStateAvailable:
		return testmode.StateAvailable
	case rivertype.JobStateRunning:
		return testmode.StateRunning
	case rivertype.JobStateRetryable:
		return testmode.StateRetryable
	case rivertype.JobStateCompleted:
		return testmode.StateCompleted
	case rivertype.JobStateCancelled:
		return testmode.StateCancelled
	case rivertype.JobStateDiscarded:
		return testmode.StateDiscarded
	default: // scheduled, and River's pending, which this package never inserts
		return testmode.StateScheduled
	}
}
