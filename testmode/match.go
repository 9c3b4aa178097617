package testmode

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Wildcard is the type of Any.
type Wildcard struct{}

// Any, as a value in Match.Args or Match.Meta, matches a key that is
// present with any value. As Match.Args itself it matches any args.
var Any = Wildcard{}

// DefaultDelta is the tolerance of Match.ScheduledAt and Match.ScheduledIn
// when Match.Delta is zero.
const DefaultDelta = time.Second

// Match describes the jobs an assertion looks for. Every field that is set
// must match; zero fields match anything. Only enqueued jobs (available,
// scheduled or retryable) are considered, unless State names another
// state.
type Match struct {
	// Kind is the args' kind.
	Kind string
	// Args is compared with the job's args as JSON, as a deep subset: a
	// map[string]any lists the keys that must be present with equal
	// values (nested maps are subsets too, lists must have the same length
	// and match element by element), and Any as a value accepts any value
	// of a present key. Any other value (an args struct, for instance) is
	// encoded to JSON first, so all of its encoded fields must match.
	//
	// Numbers compare by value, never through float64 alone: integers
	// exactly at any size (int64, uint64, json.Number, *big.Int), so an
	// ID never matches its neighbour; an integer never equals a
	// non-integer; two non-integers are equal when they are the same
	// float64. 1, 1.0 and 1e0 are equal. A json.Number must be a valid
	// JSON number. encoding/json writes a float64 by its shortest
	// decimal form, so float64(1<<60) is 1152921504606847000 and does not
	// match int64(1<<60): write integers with integer types.
	Args any
	// Queue is the job's queue.
	Queue string
	// Priority is the job's priority; nil matches any, as 0 is a priority.
	Priority *int
	// ScheduledAt matches jobs due within Delta of it.
	ScheduledAt time.Time
	// ScheduledIn matches jobs due ScheduledIn after they were inserted,
	// within Delta. For a retried or snoozed job, ScheduledAt has moved
	// since the insert; match it with ScheduledAt.
	ScheduledIn time.Duration
	// Delta is the tolerance of ScheduledAt and ScheduledIn; 0 means
	// DefaultDelta. It must not be negative.
	Delta time.Duration
	// Tags must all be among the job's tags (a subset, as Oban's tags),
	// unless ExactTags is set.
	Tags []string
	// ExactTags makes Tags an exact comparison, as River's
	// RequireInsertedOpts.Tags: the job's tags must equal Tags, in order;
	// with no Tags, the job must have none.
	ExactTags bool
	// State, when set, selects jobs in that state instead of the enqueued
	// ones, so a finished job (StateCompleted, StateCancelled,
	// StateDiscarded) or one whose attempt is running (StateRunning) can
	// be asserted on when asked for explicitly. With State empty, only
	// enqueued jobs (available, scheduled or retryable) match.
	State State
	// Attempt is the number of attempts the job has started; nil matches
	// any, as 0 (never run) is an attempt count.
	Attempt *int
	// MaxAttempts is the job's MaxAttempts; 0 matches any. It must not be
	// negative.
	MaxAttempts int
	// Meta is compared with the job's meta as a deep subset, like Args,
	// except for numbers: the job's are float64s (see InsertOpts.Meta), so
	// a number here matches the float64 it stands for, and an integer that
	// no float64 holds exactly matches nothing.
	Meta map[string]any
}

// String lists the fields that are set.
func (m Match) String() string {
	var parts []string
	delta := cmp.Or(m.Delta, DefaultDelta)
	for i := range fields {
		f := &fields[i]
		if f.set(&m) {
			parts = append(parts, f.name+": "+f.want(&m, delta))
		}
		if f.name == "Kind" && m.Args != nil {
			parts = append(parts, "Args: "+showJSON(normalizeOrShow(m.Args)))
		}
	}
	if m.Meta != nil {
		parts = append(parts, "Meta: "+showJSON(normalizeOrShow(m.Meta)))
	}
	return "Match{" + strings.Join(parts, ", ") + "}"
}

func normalizeOrShow(v any) any {
	n, err := normalize(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return n
}

// matcher is a Match prepared for comparing many jobs.
type matcher struct {
	m     Match
	args  any // normalized m.Args, or nil
	meta  any // normalized m.Meta, or nil
	delta time.Duration
	// set are the fields m constrains.
	set []*field
	// needles are JSON texts that the encoded args of every matching job
	// contain when they hold no escape sequence (see addNeedles): a scan
	// rejects most jobs by them without decoding their args.
	needles [][]byte
}

func compile(m Match) (*matcher, error) {
	mt := &matcher{m: m, delta: m.Delta}
	var errs []error
	if m.Delta < 0 {
		errs = append(errs, fmt.Errorf("field Delta = %s: must be >= 0", m.Delta))
	}
	if mt.delta == 0 {
		mt.delta = DefaultDelta
	}
	if m.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("field MaxAttempts = %d: must be >= 0", m.MaxAttempts))
	}
	if m.State != "" && !m.State.valid() {
		errs = append(errs, fmt.Errorf("field State = %q: not a job state", m.State))
	}
	mt.set = make([]*field, 0, len(fields))
	for i := range fields {
		if fields[i].set(&m) {
			mt.set = append(mt.set, &fields[i])
		}
	}
	if m.Args != nil {
		n, err := normalize(m.Args)
		if err != nil {
			errs = append(errs, fmt.Errorf("field Args: %w", err))
		}
		mt.args = n
		mt.needles = addNeedles(nil, n)
		// The longest text is usually the most selective: try it first.
		slices.SortStableFunc(mt.needles, func(a, b []byte) int { return len(b) - len(a) })
	}
	if m.Meta != nil {
		n, err := normalize(m.Meta)
		if err != nil {
			errs = append(errs, fmt.Errorf("field Meta: %w", err))
		}
		mt.meta = n
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("testmode: invalid Match: %w", errors.Join(errs...))
	}
	return mt, nil
}

// normalize turns a value into generic JSON (map[string]any, []any,
// json.Number, string, bool, nil), keeping Wildcards.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, Wildcard, string, bool:
		return x, nil
	case json.Number:
		if !validNumber(string(x)) {
			return nil, fmt.Errorf("%q is not a JSON number", string(x))
		}
		return x, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case json.RawMessage:
		return decodeGeneric(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return decodeGeneric(b)
}

// decodeGeneric decodes JSON keeping numbers exact.
func decodeGeneric(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// argsDoc returns rec's args as generic JSON. The caller holds the store's
// lock.
func (rec *record) argsDoc() (any, error) {
	if !rec.docSet {
		rec.doc, rec.docErr = decodeGeneric(rec.enc)
		rec.docSet = true
	}
	return rec.doc, rec.docErr
}

// matches reports whether rec's job matches. The caller holds the store's
// lock.
func (mt *matcher) matches(rec *record) bool {
	// The needles decide only for args without escapes: elsewhere a
	// string may be spelled otherwise ("\u0061b" for "ab", in a
	// json.RawMessage or a custom MarshalJSON), and only the full
	// comparison below can tell.
	if rec.literal {
		for _, n := range mt.needles {
			if !bytes.Contains(rec.enc, n) {
				return false
			}
		}
	}
	return !mt.departs(rec, nil)
}

// diff lists every difference between rec's job and the match, for a
// failure message. The caller holds the store's lock.
func (mt *matcher) diff(rec *record) []string {
	var out []string
	mt.departs(rec, &out)
	return out
}

// departs reports whether rec's job departs from the match: the one
// comparison behind matches and diff. With a nil out it stops at the first
// difference; otherwise it appends every difference to out, each as
// "field: got ..., want ...". The caller holds the store's lock.
func (mt *matcher) departs(rec *record, out *[]string) bool {
	found := false
	note := func(field, got, want string) bool {
		found = true
		if out == nil {
			return true // stop now
		}
		*out = append(*out, field+": got "+got+", want "+want)
		return false
	}
	for _, f := range mt.set {
		if f.differs(mt, rec) {
			var got, want string
			if out != nil {
				got, want = f.got(rec), f.want(&mt.m, mt.delta)
			}
			if note(f.name, got, want) {
				return true
			}
		}
	}
	if mt.meta != nil {
		var got any = map[string]any{}
		if rec.row.Meta != nil {
			got, _ = normalize(rec.row.Meta)
		}
		if metaNumbers.departs(mt.meta, got, "Meta", out) {
			if out == nil {
				return true
			}
			found = true
		}
	}
	if mt.args != nil {
		got, err := rec.argsDoc()
		if err != nil {
			var want string
			if out != nil {
				want = showJSON(mt.args)
			}
			return note("Args", "undecodable JSON ("+err.Error()+")", want) || found
		}
		if argsNumbers.departs(mt.args, got, "Args", out) {
			found = true
		}
	}
	return found
}

// numbersEqual compares the numbers of two generic JSON values.
type numbersEqual func(want, got json.Number) bool

// The comparisons of numbers: args keep their numbers exact; Meta holds
// float64s (see InsertOpts.Meta).
var (
	argsNumbers numbersEqual = equalNumbers
	metaNumbers numbersEqual = equalMetaNumbers
)

// departs reports whether got departs from want, a deep subset, comparing
// numbers by eq. With a nil out it stops at the first difference;
// otherwise it appends every difference to out, each named by its path
// below path.
func (eq numbersEqual) departs(want, got any, path string, out *[]string) bool {
	report := func(g, w string) bool {
		if out != nil {
			*out = append(*out, path+": got "+g+", want "+w)
		}
		return true
	}
	switch w := want.(type) {
	case Wildcard:
		return false
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return report(showJSON(got), "an object")
		}
		if out == nil {
			for k, wv := range w {
				gv, present := g[k]
				if !present || eq.departs(wv, gv, "", nil) {
					return true
				}
			}
			return false
		}
		found := false
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, present := g[k]
			p := path + "." + k
			if !present {
				*out = append(*out, p+": missing, want "+showJSON(w[k]))
				found = true
				continue
			}
			if eq.departs(w[k], gv, p, out) {
				found = true
			}
		}
		return found
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return report(showJSON(got), showJSON(want))
		}
		found := false
		for i := range w {
			p := path
			if out != nil {
				p += "[" + strconv.Itoa(i) + "]"
			}
			if eq.departs(w[i], g[i], p, out) {
				if out == nil {
					return true
				}
				found = true
			}
		}
		return found
	case json.Number:
		if g, ok := got.(json.Number); ok && eq(w, g) {
			return false
		}
		return report(showJSON(got), showJSON(want))
	default:
		if want == got {
			return false
		}
		return report(showJSON(got), showJSON(want))
	}
}

// addNeedles appends the JSON texts of the plain strings (keys and values)
// in want, a normalized subset. Encoded args without a backslash spell every
// string as the characters it decodes to (an escape needs a backslash), so
// when such args match, they contain the quoted text of each plain string;
// args with a backslash may spell it with escapes, and are never judged by
// the needles. A plain string is printable ASCII other than '"' and '\\'
// (which only escapes spell): a string with control or non-ASCII characters
// may decode from other bytes even without escapes (invalid UTF-8 decodes
// to U+FFFD), so it is left out.
func addNeedles(needles [][]byte, want any) [][]byte {
	plain := func(s string) bool {
		for i := range len(s) {
			c := s[i]
			if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	switch w := want.(type) {
	case string:
		if plain(w) {
			needles = append(needles, []byte(`"`+w+`"`))
		}
	case map[string]any:
		for k, v := range w {
			if plain(k) {
				needles = append(needles, []byte(`"`+k+`"`))
			}
			needles = addNeedles(needles, v)
		}
	case []any:
		for _, v := range w {
			needles = addNeedles(needles, v)
		}
	}
	return needles
}

// showJSON formats a generic JSON value compactly, with Any as <any>.
func showJSON(v any) string {
	switch x := v.(type) {
	case Wildcard:
		return "<any>"
	case map[string]any:
		keys := slices.Sorted(maps.Keys(x))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = strconv.Quote(k) + ":" + showJSON(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showJSON(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case json.Number:
		return x.String()
	case string:
		return strconv.Quote(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// scope names the jobs the match looks at, for messages: "enqueued", or
// "recorded" when State selects them.
func (mt *matcher) scope() string {
	if mt.m.State == "" {
		return "enqueued"
	}
	return "recorded"
}

// inScope reports whether rec is among the jobs the match looks at: the
// enqueued ones, or those in its State.
func (mt *matcher) inScope(rec *record) bool {
	if mt.m.State == "" {
		return rec.enq
	}
	return rec.state() == mt.m.State
}

// find returns the jobs of s in the match's scope (inScope) that match, in insertion order. The
// caller holds s.mu.
func (s *Store) find(mt *matcher, limit int) []*JobRow {
	recs := s.recs
	if mt.m.Kind != "" {
		recs = s.byKind[mt.m.Kind]
	}
	var out []*JobRow
	for _, rec := range recs {
		if !mt.inScope(rec) || !mt.matches(rec) {
			continue
		}
		out = append(out, rec.row)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// closest describes the enqueued jobs nearest to matching, for a failure
// message. The caller holds s.mu.
func (s *Store) closest(mt *matcher, n int) string {
	type cand struct {
		row   *JobRow
		diffs []string
	}
	var cands []cand
	states := map[State]int{}
	for _, rec := range s.recs {
		if mt.m.State == "" && !rec.enq {
			states[rec.state()]++
			continue
		}
		cands = append(cands, cand{rec.row, mt.diff(rec)})
	}
	var b strings.Builder
	if len(cands) == 0 {
		fmt.Fprintf(&b, "no job is %s", mt.scope())
		if len(states) > 0 {
			var parts []string
			for _, st := range slices.Sorted(maps.Keys(states)) {
				parts = append(parts, fmt.Sprintf("%d %s", states[st], st))
			}
			fmt.Fprintf(&b, " (recorded: %s)", strings.Join(parts, ", "))
		}
		return b.String()
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(cands[i].diffs) < len(cands[j].diffs) })
	fmt.Fprintf(&b, "%d job(s) %s; closest:", len(cands), mt.scope())
	for _, c := range cands[:min(n, len(cands))] {
		fmt.Fprintf(&b, "\n  job %d (kind %q, queue %q, args %s):", c.row.ID, c.row.Kind, c.row.Queue, c.row.EncodedArgs)
		for _, d := range c.diffs {
			b.WriteString("\n    " + d)
		}
	}
	return b.String()
}
