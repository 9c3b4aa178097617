package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// reference is the impl that every other impl is compared with.
const reference = "ecopatterns"

// missing stands for a metric that no line reported or an undefined ratio.
const missing = "—"

// groupKey identifies the samples that are summarized in one row.
type groupKey struct {
	name  string
	procs int
	impl  string
}

// compareKeys orders keys by case name, then GOMAXPROCS value, then impl.
func compareKeys(a, b groupKey) int {
	return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.procs, b.procs), cmp.Compare(a.impl, b.impl))
}

// stat is a number that may be absent: the median of a metric that no
// sample reported, or an undefined ratio.
type stat struct {
	value float64
	ok    bool
}

// row is the summary of one case and impl at one GOMAXPROCS value.
type row struct {
	key groupKey
	// label is the case as shown: the case name, suffixed with -procs when
	// the case ran at several GOMAXPROCS values.
	label string
	// ns, bytes and allocs are the medians of ns/op, B/op and allocs/op.
	ns, bytes, allocs stat
	// ratio is the median ns/op of the matching ecopatterns impl divided by
	// ns; see referenceFor.
	ratio stat
}

// buildReport summarizes samples into rows sorted by compareKeys.
func buildReport(samples []sample) []row {
	values := make(map[groupKey]map[string][]float64)
	procsSeen := make(map[string]map[int]bool)
	for _, s := range samples {
		k := groupKey{name: s.name, procs: s.procs, impl: s.impl}
		m := values[k]
		if m == nil {
			m = make(map[string][]float64)
			values[k] = m
		}
		for _, unit := range []string{unitNs, unitBytes, unitAllocs} {
			if v, ok := s.metrics[unit]; ok {
				m[unit] = append(m[unit], v)
			}
		}
		if procsSeen[s.name] == nil {
			procsSeen[s.name] = make(map[int]bool)
		}
		procsSeen[s.name][s.procs] = true
	}

	rows := make([]row, 0, len(values))
	index := make(map[groupKey]int, len(values))
	for k, m := range values {
		label := k.name
		if len(procsSeen[k.name]) > 1 {
			label = k.name + "-" + strconv.Itoa(k.procs)
		}
		rows = append(rows, row{
			key:    k,
			label:  label,
			ns:     median(m[unitNs]),
			bytes:  median(m[unitBytes]),
			allocs: median(m[unitAllocs]),
		})
	}
	slices.SortFunc(rows, func(a, b row) int { return compareKeys(a.key, b.key) })
	for i, r := range rows {
		index[r.key] = i
	}
	for i := range rows {
		r := &rows[i]
		ref, ok := referenceFor(r.key.impl)
		if !ok {
			continue
		}
		j, ok := index[groupKey{name: r.key.name, procs: r.key.procs, impl: ref}]
		if !ok {
			continue
		}
		r.ratio = ratio(rows[j].ns, r.ns)
	}
	return rows
}

// referenceFor returns the ecopatterns impl that impl is compared with:
// ecopatterns/<rest> for <family>/<rest>, and plain ecopatterns for a plain
// impl. It returns false for ecopatterns itself and for the empty impl of a
// benchmark without sub-benchmarks.
func referenceFor(impl string) (string, bool) {
	family, rest, nested := strings.Cut(impl, "/")
	if impl == "" || family == reference {
		return "", false
	}
	if nested {
		return reference + "/" + rest, true
	}
	return reference, true
}

// ratio returns num/den, or an absent stat if either is absent or the
// quotient is not a finite number.
func ratio(num, den stat) stat {
	if !num.ok || !den.ok || den.value == 0 {
		return stat{}
	}
	q := num.value / den.value
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return stat{}
	}
	return stat{value: q, ok: true}
}

// median returns the median of xs, which it does not modify: the middle
// value, or the mean of the two middle values when len(xs) is even. It
// returns an absent stat for no values.
func median(xs []float64) stat {
	if len(xs) == 0 {
		return stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return stat{value: s[mid], ok: true}
	}
	// Halving first cannot overflow, and rounds the same as halving the sum.
	return stat{value: s[mid-1]/2 + s[mid]/2, ok: true}
}

// formatReport renders rows as a Markdown table followed by one RATIO line
// per defined ratio, in the order of rows.
func formatReport(rows []row) string {
	header := []string{"case", "impl", "ns/op", "B/op", "allocs/op", "ecopatterns/impl"}
	// rightAligned tells the numeric columns.
	rightAligned := []bool{false, false, true, true, true, true}
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		cells = append(cells, []string{
			escapeCell(r.label),
			escapeCell(r.key.impl),
			formatStat(r.ns, formatValue),
			formatStat(r.bytes, formatValue),
			formatStat(r.allocs, formatValue),
			formatStat(r.ratio, func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }),
		})
	}

	widths := make([]int, len(header))
	for _, line := range append([][]string{header}, cells...) {
		for i, c := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	writeTableRow(&b, header, widths, rightAligned)
	sep := make([]string, len(header))
	for i, w := range widths {
		// Every header is wider than the three dashes Markdown needs. A
		// colon marks the side the column is aligned to.
		if rightAligned[i] {
			sep[i] = strings.Repeat("-", w-1) + ":"
		} else {
			sep[i] = strings.Repeat("-", w)
		}
	}
	writeTableRow(&b, sep, widths, rightAligned)
	for _, line := range cells {
		writeTableRow(&b, line, widths, rightAligned)
	}

	first := true
	for _, r := range rows {
		if !r.ratio.ok {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		fmt.Fprintf(&b, "RATIO %s %s %s\n", r.label, r.key.impl, strconv.FormatFloat(r.ratio.value, 'f', 3, 64))
	}
	return b.String()
}

// writeTableRow writes one Markdown table row of cells, each padded to the
// width of its column on the side opposite its alignment.
func writeTableRow(b *strings.Builder, cells []string, widths []int, rightAligned []bool) {
	b.WriteString("|")
	for i, c := range cells {
		pad := strings.Repeat(" ", max(widths[i]-utf8.RuneCountInString(c), 0))
		b.WriteString(" ")
		if rightAligned[i] {
			b.WriteString(pad + c)
		} else {
			b.WriteString(c + pad)
		}
		b.WriteString(" |")
	}
	b.WriteString("\n")
}

// escapeCell escapes the pipes in s, which would otherwise end its table
// cell.
func escapeCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

// formatStat formats s with format, or returns missing if s is absent.
func formatStat(s stat, format func(float64) string) string {
	if !s.ok {
		return missing
	}
	return format(s.value)
}

// formatValue formats a median the way go test formats a metric: whole
// numbers without a fraction, and other numbers with four significant
// digits below 1000 and none above.
func formatValue(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	var prec int
	switch y := math.Abs(v); {
	case y >= 999.95:
		prec = 0
	case y >= 99.995:
		prec = 1
	case y >= 9.9995:
		prec = 2
	case y >= 0.99995:
		prec = 3
	case y >= 0.099995:
		prec = 4
	case y >= 0.0099995:
		prec = 5
	case y >= 0.00099995:
		prec = 6
	default:
		prec = 7
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}
