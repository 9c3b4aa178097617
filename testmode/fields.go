package testmode

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// field is one scalar field of Match: the one description that
// Match.String, matcher.matches and matcher.diff all read, so the three
// never disagree about a field.
type field struct {
	name string
	// set reports whether the Match constrains the field.
	set func(m *Match) bool
	// differs reports whether rec's job fails the constraint.
	differs func(mt *matcher, rec *record) bool
	// want and got describe the constraint and the job's value, for
	// messages.
	want func(m *Match, delta time.Duration) string
	got  func(rec *record) string
}

// fields lists the scalar fields of Match, in the order messages print
// them. Args and Meta, compared as JSON documents, are not among them.
var fields = []field{
	{
		name:    "Kind",
		set:     func(m *Match) bool { return m.Kind != "" },
		differs: func(mt *matcher, rec *record) bool { return rec.row.Kind != mt.m.Kind },
		want:    func(m *Match, _ time.Duration) string { return strconv.Quote(m.Kind) },
		got:     func(rec *record) string { return strconv.Quote(rec.row.Kind) },
	},
	{
		name:    "Queue",
		set:     func(m *Match) bool { return m.Queue != "" },
		differs: func(mt *matcher, rec *record) bool { return rec.row.Queue != mt.m.Queue },
		want:    func(m *Match, _ time.Duration) string { return strconv.Quote(m.Queue) },
		got:     func(rec *record) string { return strconv.Quote(rec.row.Queue) },
	},
	{
		name:    "State",
		set:     func(m *Match) bool { return m.State != "" },
		differs: func(mt *matcher, rec *record) bool { return rec.state() != mt.m.State },
		want:    func(m *Match, _ time.Duration) string { return string(m.State) },
		got:     func(rec *record) string { return string(rec.state()) },
	},
	{
		name:    "Priority",
		set:     func(m *Match) bool { return m.Priority != nil },
		differs: func(mt *matcher, rec *record) bool { return rec.row.Priority != *mt.m.Priority },
		want:    func(m *Match, _ time.Duration) string { return strconv.Itoa(*m.Priority) },
		got:     func(rec *record) string { return strconv.Itoa(rec.row.Priority) },
	},
	{
		name:    "Attempt",
		set:     func(m *Match) bool { return m.Attempt != nil },
		differs: func(mt *matcher, rec *record) bool { return rec.row.Attempt != *mt.m.Attempt },
		want:    func(m *Match, _ time.Duration) string { return strconv.Itoa(*m.Attempt) },
		got:     func(rec *record) string { return strconv.Itoa(rec.row.Attempt) },
	},
	{
		name:    "MaxAttempts",
		set:     func(m *Match) bool { return m.MaxAttempts != 0 },
		differs: func(mt *matcher, rec *record) bool { return rec.row.MaxAttempts != mt.m.MaxAttempts },
		want:    func(m *Match, _ time.Duration) string { return strconv.Itoa(m.MaxAttempts) },
		got:     func(rec *record) string { return strconv.Itoa(rec.row.MaxAttempts) },
	},
	{
		name: "ScheduledAt",
		set:  func(m *Match) bool { return !m.ScheduledAt.IsZero() },
		differs: func(mt *matcher, rec *record) bool {
			return absDur(rec.row.ScheduledAt.Sub(mt.m.ScheduledAt)) > mt.delta
		},
		want: func(m *Match, delta time.Duration) string {
			return m.ScheduledAt.Format(time.RFC3339Nano) + " ± " + delta.String()
		},
		got: func(rec *record) string { return rec.row.ScheduledAt.Format(time.RFC3339Nano) },
	},
	{
		name: "ScheduledIn",
		set:  func(m *Match) bool { return m.ScheduledIn != 0 },
		differs: func(mt *matcher, rec *record) bool {
			return absDur(rec.row.ScheduledAt.Sub(rec.row.InsertedAt)-mt.m.ScheduledIn) > mt.delta
		},
		want: func(m *Match, delta time.Duration) string { return m.ScheduledIn.String() + " ± " + delta.String() },
		got:  func(rec *record) string { return rec.row.ScheduledAt.Sub(rec.row.InsertedAt).String() },
	},
	{
		name: "Tags",
		set:  func(m *Match) bool { return m.Tags != nil || m.ExactTags },
		differs: func(mt *matcher, rec *record) bool {
			if mt.m.ExactTags {
				return !slices.Equal(rec.row.Tags, mt.m.Tags)
			}
			for _, tag := range mt.m.Tags {
				if !slices.Contains(rec.row.Tags, tag) {
					return true
				}
			}
			return false
		},
		want: func(m *Match, _ time.Duration) string {
			if m.ExactTags {
				return fmt.Sprintf("exactly %q", m.Tags)
			}
			return fmt.Sprintf("to contain %q", m.Tags)
		},
		got: func(rec *record) string { return fmt.Sprintf("%q", rec.row.Tags) },
	},
}
