package testmode

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// equalNumbers reports whether two JSON numbers (valid JSON number texts,
// as json.Number holds them) are equal for matching:
//
//   - two numbers of the same exact value are equal, however they are
//     spelled (1, 1.0 and 1e0; any size, so 64-bit and larger integers
//     compare exactly);
//   - an integer (a number whose exact value is integral) never equals any
//     other number: not a neighbouring integer that a float64 would round
//     to, not a non-integer;
//   - two non-integers are equal when they round to the same finite
//     float64: floats compare as floats, so 0.1 equals the longer spelling
//     of the float64 nearest to 0.1.
//
// Its cost is linear in the length of the texts, whatever they hold (a
// million-digit exponent or mantissa included), and it allocates nothing
// unless an exponent is 10^18 or more in magnitude.
func equalNumbers(a, b json.Number) bool {
	if a == b {
		return true
	}
	da, db := parseDecimal(string(a)), parseDecimal(string(b))
	if da.equal(db) {
		return true
	}
	if da.integral() || db.integral() {
		return false
	}
	fa, errA := strconv.ParseFloat(string(a), 64)
	fb, errB := strconv.ParseFloat(string(b), 64)
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) || errA != nil && !isRange(errA) || errB != nil && !isRange(errB) {
		return false
	}
	return fa == fb
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// hugeExp is the magnitude from which a decimal's exponent is kept as
// decimal digits rather than an int64.
const hugeExp = 1_000_000_000_000_000_000 // 10^18

// decimal is a JSON number text read as sign × 0.D × 10^exp, where D, the
// significant digits, has no leading or trailing zero. Zero has no digits.
//
// The exponent has one form per value, so that two exponents are equal
// exactly when their fields are: an int64 in exp while its magnitude is
// below hugeExp, else the decimal digits of its magnitude in huge (at
// least 19, no leading zero) with its sign in hugeNeg, and exp 0. Huge
// exponents are never converted to binary: that costs time quadratic in
// their length.
type decimal struct {
	neg bool
	// intPart and frac are the digits before and after the point; the
	// significant digits are (intPart+frac)[lead : len-trail].
	intPart, frac string
	lead, n       int // the first significant digit, and how many there are
	exp           int64
	huge          string
	hugeNeg       bool
}

// parseDecimal reads s, a valid JSON number text (see validNumber).
func parseDecimal(s string) decimal {
	var d decimal
	if s != "" && s[0] == '-' {
		d.neg, s = true, s[1:]
	}
	end := len(s)
	expAt := -1
	for i := range len(s) {
		if s[i] == 'e' || s[i] == 'E' {
			expAt, end = i, i
			break
		}
	}
	mant := s[:end]
	d.intPart = mant
	for i := range len(mant) {
		if mant[i] == '.' {
			d.intPart, d.frac = mant[:i], mant[i+1:]
			break
		}
	}
	total := len(d.intPart) + len(d.frac)
	for d.lead < total && d.digit(d.lead) == '0' {
		d.lead++
	}
	last := total
	for last > d.lead && d.digit(last-1) == '0' {
		last--
	}
	d.n = last - d.lead
	if d.n == 0 {
		d.neg = false // -0 is 0
		return d
	}
	// The value is 0.D × 10^(len(intPart) - lead + written exponent). The
	// shift's magnitude is at most len(s), far below hugeExp: no string
	// holds 10^18 bytes.
	shift := int64(len(d.intPart) - d.lead)
	if expAt < 0 {
		d.exp = shift
		return d
	}
	es := s[expAt+1:]
	eneg := false
	if es[0] == '+' || es[0] == '-' {
		eneg, es = es[0] == '-', es[1:]
	}
	for len(es) > 1 && es[0] == '0' {
		es = es[1:]
	}
	if len(es) > 18 {
		d.setHugeExp(es, eneg, shift)
		return d
	}
	e, _ := strconv.ParseInt(es, 10, 64) // below hugeExp
	if eneg {
		e = -e
	}
	d.setExp(e + shift)
	return d
}

// setExp sets the exponent to e, whose magnitude is below 2×hugeExp.
func (d *decimal) setExp(e int64) {
	if e > -hugeExp && e < hugeExp {
		d.exp = e
		return
	}
	d.hugeNeg = e < 0
	if e < 0 {
		e = -e
	}
	d.huge = strconv.FormatInt(e, 10)
}

// setHugeExp sets the exponent to ±digits + shift, where digits, the
// magnitude of a written exponent, has more than 18 digits and no leading
// zero, and shift's magnitude is below hugeExp. Only the last 18 digits and
// a carry or borrow into the ones before them change.
func (d *decimal) setHugeExp(digits string, neg bool, shift int64) {
	head := []byte(digits[:len(digits)-18])
	tail, _ := strconv.ParseUint(digits[len(digits)-18:], 10, 64)
	away := (shift >= 0) != neg // shift moves the magnitude away from zero
	m := uint64(shift)
	if shift < 0 {
		m = uint64(-shift)
	}
	switch {
	case away:
		tail += m
		if tail >= hugeExp {
			tail -= hugeExp
			head = incrementDigits(head)
		}
	case tail >= m:
		tail -= m
	default:
		tail += hugeExp - m
		head = decrementDigits(head)
	}
	if len(head) == 0 { // the magnitude fell below hugeExp
		d.exp = int64(tail)
		if neg {
			d.exp = -d.exp
		}
		return
	}
	d.hugeNeg = neg
	d.huge = string(head) + fmt.Sprintf("%018d", tail)
}

// incrementDigits adds one to the decimal number b.
func incrementDigits(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '9' {
			b[i]++
			return b
		}
		b[i] = '0'
	}
	return append([]byte{'1'}, b...)
}

// decrementDigits subtracts one from the decimal number b, which is at
// least 1 and has no leading zero, and drops the leading zero this may
// leave (none when the result is 0).
func decrementDigits(b []byte) []byte {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != '0' {
			b[i]--
			break
		}
		b[i] = '9'
	}
	if b[0] == '0' {
		b = b[1:]
	}
	return b
}

// digit returns the i-th digit of intPart+frac.
func (d *decimal) digit(i int) byte {
	if i < len(d.intPart) {
		return d.intPart[i]
	}
	return d.frac[i-len(d.intPart)]
}

// integral reports whether the value is an integer: zero, or a number
// whose point falls at or after its last significant digit.
func (d *decimal) integral() bool {
	if d.n == 0 {
		return true
	}
	if d.huge != "" {
		return !d.hugeNeg // beyond any count of digits a string holds
	}
	return d.exp >= int64(d.n)
}

// equal reports whether d and o have the same exact value.
func (d *decimal) equal(o decimal) bool {
	if d.n != o.n || d.neg != o.neg {
		return false
	}
	if d.n == 0 {
		return true
	}
	if d.exp != o.exp || d.hugeNeg != o.hugeNeg || d.huge != o.huge {
		return false
	}
	for i := range d.n {
		if d.digit(d.lead+i) != o.digit(o.lead+i) {
			return false
		}
	}
	return true
}

// significand returns D, the significant digits.
func (d *decimal) significand() string {
	b := make([]byte, d.n)
	for i := range b {
		b[i] = d.digit(d.lead + i)
	}
	return string(b)
}

// validNumber reports whether s is a JSON number text: an optional minus,
// an integer part without leading zeros, an optional fraction and an
// optional exponent.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// floatExactIntegers returns an error naming the first integer in the JSON
// text b that a float64 cannot hold exactly: Meta is stored as float64s,
// and such an integer would silently become another one.
func floatExactIntegers(b []byte) error {
	doc, err := decodeGeneric(b)
	if err != nil {
		return err
	}
	return walkNumbers(doc, "", func(path string, n json.Number) error {
		if !floatExact(n) {
			return fmt.Errorf("%s: the integer %s has no exact float64 form, and Meta numbers are float64s", path, n)
		}
		return nil
	})
}

// floatExact reports whether n, a JSON number, is not an integer that a
// float64 can only round: a non-integer, or an integer a float64 holds
// exactly. Like equalNumbers, its cost is linear in n's length.
func floatExact(n json.Number) bool {
	d := parseDecimal(string(n))
	if !d.integral() || d.n == 0 {
		return true // floats are floats; zero is exact
	}
	if d.huge == "" && d.exp <= 15 {
		return true // below 10^15 < 2^53: every integer is a float64
	}
	if d.huge != "" || d.exp > 400 {
		return false // beyond any float64
	}
	// n is D × 10^(exp-n), D its at most 400 significant digits: read from
	// them, not from n, whose spelling may hold any number of zeros.
	r, ok := new(big.Rat).SetString(d.significand() + "e" + strconv.FormatInt(d.exp-int64(d.n), 10))
	if !ok {
		return false
	}
	_, exact := r.Float64()
	return exact
}

// equalMetaNumbers compares a number of Match.Meta with one of a job's
// Meta, a float64 written by encoding/json: they are equal when want is
// float-exact (floatExact) and stands for the same float64.
func equalMetaNumbers(want, got json.Number) bool {
	if want == got {
		return true
	}
	if !floatExact(want) {
		return false
	}
	fw, errW := strconv.ParseFloat(string(want), 64)
	fg, errG := strconv.ParseFloat(string(got), 64)
	return errW == nil && errG == nil && fw == fg
}

// walkNumbers calls fn with each number of doc, a generic JSON value, and
// its path, stopping at the first error.
func walkNumbers(doc any, path string, fn func(path string, n json.Number) error) error {
	switch x := doc.(type) {
	case json.Number:
		return fn(path, x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := walkNumbers(x[k], path+"["+strconv.Quote(k)+"]", fn); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := walkNumbers(e, path+"["+strconv.Itoa(i)+"]", fn); err != nil {
				return err
			}
		}
	}
	return nil
}
