package testmode

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// refNumber is a JSON number text read with strings and math/big,
// apart from parseDecimal: sign × 0.digits × 10^exp, where digits has no
// leading or trailing zero (and zero has no digits, no sign and exp 0).
type refNumber struct {
	neg    bool
	digits string
	exp    *big.Int
}

func refParse(s string) refNumber {
	neg := strings.HasPrefix(s, "-")
	mant, e, hasExp := strings.Cut(strings.ToLower(strings.TrimPrefix(s, "-")), "e")
	exp := new(big.Int)
	if hasExp {
		if _, ok := exp.SetString(e, 10); !ok {
			panic("not an exponent: " + s)
		}
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	all := intPart + frac
	significant := strings.TrimLeft(all, "0")
	digits := strings.TrimRight(significant, "0")
	if digits == "" {
		return refNumber{exp: new(big.Int)}
	}
	exp.Add(exp, big.NewInt(int64(len(intPart)-(len(all)-len(significant)))))
	return refNumber{neg: neg, digits: digits, exp: exp}
}

func (r refNumber) equal(o refNumber) bool {
	return r.neg == o.neg && r.digits == o.digits && r.exp.Cmp(o.exp) == 0
}

func (r refNumber) integral() bool {
	return r.exp.Cmp(big.NewInt(int64(len(r.digits)))) >= 0
}

// float64 returns the float64 nearest to r: ±Inf from 10^400 on, ±0 below
// 10^-400, else big.Rat's rounding.
func (r refNumber) float64() float64 {
	sign := 1.0
	if r.neg {
		sign = -1
	}
	switch {
	case r.digits == "":
		return 0
	case r.exp.Cmp(big.NewInt(400)) > 0:
		return math.Inf(int(sign))
	case r.exp.Cmp(big.NewInt(-400)) < 0:
		return math.Copysign(0, sign)
	}
	q, ok := new(big.Rat).SetString("0." + r.digits + "e" + r.exp.String())
	if !ok {
		panic("not a number: " + r.digits)
	}
	f, _ := q.Float64()
	return sign * f
}

// refEqualNumbers is equalNumbers computed exactly with math/big: equal
// exact values, else not equal when either is an integer, else equal when
// both round to the same finite float64. Its cost grows faster than the
// length of the texts: the fuzz targets give it short ones.
func refEqualNumbers(a, b string) bool {
	ra, rb := refParse(a), refParse(b)
	if ra.equal(rb) {
		return true
	}
	if ra.integral() || rb.integral() {
		return false
	}
	fa, fb := ra.float64(), rb.float64()
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return false
	}
	return fa == fb
}

// decimalExp returns d's exponent as a big.Int.
func decimalExp(d decimal) *big.Int {
	if d.huge == "" {
		return big.NewInt(d.exp)
	}
	e, _ := new(big.Int).SetString(d.huge, 10)
	if d.hugeNeg {
		e.Neg(e)
	}
	return e
}

// checkDecimal checks parseDecimal against refParse, and the one form of
// its exponent.
func checkDecimal(t *testing.T, s string) {
	t.Helper()
	d, r := parseDecimal(s), refParse(s)
	require.Equal(t, r.neg, d.neg, "sign of %s", s)
	require.Equal(t, r.digits, d.significand(), "digits of %s", s)
	require.Equal(t, r.exp.String(), decimalExp(d).String(), "exponent of %s", s)
	if d.huge != "" {
		require.Zero(t, d.exp, "%s: exp beside huge", s)
		require.GreaterOrEqual(t, len(d.huge), 19, "%s: huge exponent %s below 10^18", s, d.huge)
		require.NotEqual(t, byte('0'), d.huge[0], "%s: huge exponent %s with a leading zero", s, d.huge)
	} else {
		require.Less(t, d.exp, int64(hugeExp), "%s", s)
		require.Greater(t, d.exp, int64(-hugeExp), "%s", s)
	}
}

// refValidNumber is validNumber by encoding/json: a valid JSON text that
// starts as a number starts, with nothing around it.
func refValidNumber(s string) bool {
	if s == "" || s != strings.TrimSpace(s) || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return json.Valid([]byte(s))
}

// refMaxLen bounds the texts the math/big reference reads in the fuzz
// targets, so that each input stays cheap.
const refMaxLen = 1 << 12

// FuzzEqualNumbers checks the comparison of JSON numbers in Match.Args
// against an exact reference built on math/big, the reading of a number
// against one built on strings and math/big, and the JSON number grammar
// against encoding/json.
func FuzzEqualNumbers(f *testing.F) {
	seeds := [][2]string{
		{"1152921504606846976", "1152921504606846977"},
		{"1152921504606846977", "1.152921504606846977e18"},
		{"18446744073709551615", "18446744073709551616"},
		{"-9223372036854775808", "-9.223372036854775808E+18"},
		{"0.1", "0.1000000000000000055511151231257827"},
		{"0.1", "0.10000000000000001"},
		{"1", "1.0"},
		{"100", "1e2"},
		{"0", "-0.0e-5"},
		{"1e400", "1e400"},
		{"1e400", "2e400"},
		{"1e-400", "2e-400"},
		{"0.5", "5e-1"},
		{"0.99999999999999999999", "1"},
		{"4.9e-324", "5e-324"},
		{"12345678901234567890123456789", "12345678901234567890123456788"},
		{"1e10000000000000000", "1e10000000000000001"},
		{"100000e999999999999995", "1e1000000000000000"},
		{"10e999999999999999999", "1e1000000000000000000"},
		{"0.1e-999999999999999999", "1e-1000000000000000000"},
		{"0.01e-999999999999999999", "1e-1000000000000000001"},
		{"1000e99999999999999999999999999999999997", "1e100000000000000000000000000000000000"},
		{"0.000001e1000000000000000000", "1e999999999999999994"},
		{"01", "1"},
		{"1.", "1"},
		{"-", "+1"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []string{a, b} {
			require.Equal(t, refValidNumber(s), validNumber(s), "validNumber(%q)", s)
		}
		if !validNumber(a) || !validNumber(b) {
			return
		}
		got := equalNumbers(json.Number(a), json.Number(b))
		require.Equal(t, got, equalNumbers(json.Number(b), json.Number(a)), "equalNumbers(%s, %s) is not symmetric", a, b)
		require.True(t, equalNumbers(json.Number(a), json.Number(a)), "%s does not equal itself", a)
		if len(a) > refMaxLen || len(b) > refMaxLen {
			return
		}
		checkDecimal(t, a)
		checkDecimal(t, b)
		require.Equal(t, refEqualNumbers(a, b), got, "equalNumbers(%s, %s)", a, b)
		if smallExponent(a) && smallExponent(b) {
			// The reference's own reading against big.Rat's.
			ra, _ := new(big.Rat).SetString(a)
			rb, _ := new(big.Rat).SetString(b)
			require.Equal(t, ra.Cmp(rb) == 0, refParse(a).equal(refParse(b)), "refParse: %s vs %s", a, b)
			require.Equal(t, refFloatExact(ra), floatExact(json.Number(a)), "floatExact(%s)", a)
		}
	})
}

// refFloatExact is floatExact by big.Rat: a non-integer, or an integer
// that converts to a float64 exactly.
func refFloatExact(r *big.Rat) bool {
	if !r.IsInt() {
		return true
	}
	_, exact := r.Float64()
	return exact
}

// TestFloatExactLongSpellings pins floatExact on integers spelled with
// many zeros around their digits, which it reads from their significant
// digits alone.
func TestFloatExactLongSpellings(t *testing.T) {
	zeros := strings.Repeat("0", 1<<18)
	manyZeros := strings.Repeat("0", 1_000_001) // more than big.Rat reads
	for s, want := range map[string]bool{
		"1152921504606846976." + manyZeros:          true,
		"1152921504606846976." + zeros:              true, // 2^60
		"1152921504606846977." + zeros:              false,
		"0." + zeros + "1152921504606846976e262163": true, // 2^60 again
		"1" + zeros + "e-262144":                    true,
		"1e300":                                     false,
		"0." + zeros + "1e-5":                       true,  // not an integer
		"-9007199254740993" + zeros + "e-262144":    false, // 2^53 + 1
	} {
		require.True(t, validNumber(s), "%.40s...", s)
		require.Equal(t, want, floatExact(json.Number(s)), "%.40s...", s)
	}
}

// smallExponent reports whether s's written exponent, if any, is small
// enough for big.Rat to compute 10^exp quickly.
func smallExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	e := strings.TrimLeft(s[i+1:], "+-")
	e = strings.TrimLeft(e, "0")
	return len(e) <= 4
}

// TestEqualNumbersHugeExponents covers exponents too large for big.Rat,
// those around 10^18 where the exponent changes form, and carries and
// borrows through all the digits of a written exponent: they are compared
// exactly all the same.
func TestEqualNumbersHugeExponents(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"100000e999999999999995", "1e1000000000000000", true},
		{"1e10000000000000000", "1e10000000000000001", false},
		{"1e10000000000000000", "10e9999999999999999", true},
		{"1e-10000000000000000", "2e-10000000000000000", true}, // two non-integers, both the float64 0
		{"1e-10000000000000000", "0", false},                   // 0 is an integer
		{"1e99999999999999999999", "1e99999999999999999999", true},
		{"10e999999999999999999", "1e1000000000000000000", true},                                       // 10^18 + 1 both ways
		{"1e999999999999999999", "1e1000000000000000000", false},                                       // 10^18 vs 10^18 + 1
		{"0.1e1000000000000000000", "1e999999999999999999", true},                                      // 10^18 both ways
		{"0.1e-999999999999999999", "1e-1000000000000000000", true},                                    // -(10^18 - 1) both ways
		{"0.001e1000000000000000000", "1e999999999999999997", true},                                    // a borrow below 10^18
		{"1000e99999999999999999999999999999999997", "1e100000000000000000000000000000000000", true},   // a carry through every digit
		{"0.0001e100000000000000000000000000000000000", "1e99999999999999999999999999999999996", true}, // a borrow through every digit
		{"1e100000000000000000000000000000000000", "1e99999999999999999999999999999999999", false},
		{"-1e-99999999999999999999", "1e-99999999999999999999", true}, // -0 and 0 as float64s
		{"1e-99999999999999999999", "1e99999999999999999999", false},
	} {
		require.Equal(t, tc.want, equalNumbers(json.Number(tc.a), json.Number(tc.b)), "%s vs %s", tc.a, tc.b)
		require.Equal(t, tc.want, refEqualNumbers(tc.a, tc.b), "reference: %s vs %s", tc.a, tc.b)
		checkDecimal(t, tc.a)
		checkDecimal(t, tc.b)
	}
}

// worstNumbers returns pairs of JSON numbers of about size bytes each that
// a comparison converting decimal to binary handles in time growing faster
// than their length: long exponents (with a carry through all of their
// digits), and long mantissas with points and exponents, and the result
// equalNumbers gives each pair.
func worstNumbers(size int) []struct {
	a, b string
	want bool
} {
	sevens := strings.Repeat("7", size)
	nines := strings.Repeat("9", size)
	zeros := strings.Repeat("0", size)
	return []struct {
		a, b string
		want bool
	}{
		{"1e" + sevens, "1e" + sevens + "1", false},
		{"1e-" + sevens, "2e-" + sevens, true}, // both round to 0
		{"1e" + sevens, "1e" + sevens, true},
		{"10e" + nines, "1e1" + zeros, true},  // a carry through every digit
		{"0.1e1" + zeros, "1e" + nines, true}, // a borrow through every digit
		{"1." + sevens + "e9999", "1." + sevens + "e9998", false},
		{"0." + zeros + "1e-9999", "0." + zeros + "2e-9999", true},
		{sevens, sevens + ".5", false},
		{"0." + sevens, "0." + sevens + "1", true},
		{"1" + zeros + "e" + nines, "1" + zeros + "e" + sevens, false},
		{"-1" + zeros + "e-" + nines, "1" + zeros + "e-" + sevens, true}, // both round to 0
	}
}

// TestEqualNumbersWorstInputs compares numbers of a quarter of a million
// digits of the kinds in worstNumbers: converting one such exponent to
// binary takes about as long as this whole test, and four times longer for
// each doubling of its length (BenchmarkEqualNumbersWorst shows the cost
// per byte staying flat).
func TestEqualNumbersWorstInputs(t *testing.T) {
	for _, tc := range worstNumbers(1 << 18) {
		require.True(t, validNumber(tc.a) && validNumber(tc.b))
		require.Equal(t, tc.want, equalNumbers(json.Number(tc.a), json.Number(tc.b)), "%.40s... vs %.40s...", tc.a, tc.b)
		require.Equal(t, tc.want, equalNumbers(json.Number(tc.b), json.Number(tc.a)), "%.40s... vs %.40s...", tc.b, tc.a)
	}
	// The same kinds, short enough for the reference.
	for _, tc := range worstNumbers(1 << 8) {
		require.Equal(t, tc.want, refEqualNumbers(tc.a, tc.b), "%.40s... vs %.40s...", tc.a, tc.b)
		checkDecimal(t, tc.a)
		checkDecimal(t, tc.b)
	}
}

// BenchmarkEqualNumbersWorst compares the numbers of worstNumbers at
// growing sizes; MB/s stays flat when the cost is linear in the length.
func BenchmarkEqualNumbersWorst(b *testing.B) {
	for _, size := range []int{1 << 10, 1 << 14, 1 << 18} {
		cases := worstNumbers(size)
		total := 0
		for _, tc := range cases {
			total += len(tc.a) + len(tc.b)
		}
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, tc := range cases {
					equalNumbers(json.Number(tc.a), json.Number(tc.b))
				}
			}
		})
	}
}

// spellNumber writes the digits of m with a point p digits from the right
// (none when p <= 0 or p >= the digit count), an exponent e (none when e is
// 0 and odd is false) and a sign.
func spellNumber(neg bool, m uint64, p int8, e int16, odd bool) string {
	s := strconv.FormatUint(m, 10)
	if int(p) > 0 && int(p) < len(s) {
		s = s[:len(s)-int(p)] + "." + s[len(s)-int(p):]
	}
	if e != 0 || odd {
		s += "e" + strconv.Itoa(int(e))
	}
	if neg {
		s = "-" + s
	}
	return s
}

// FuzzEqualNumberSpellings checks equalNumbers against the math/big
// reference on numbers built from integers, so that most inputs are
// numbers spelled in many ways (points, exponents, large mantissas).
func FuzzEqualNumberSpellings(f *testing.F) {
	f.Add(false, uint64(1152921504606846977), int8(0), int16(0), false, uint64(1152921504606846976), int8(0), int16(0), false)
	f.Add(false, uint64(1152921504606846977), int8(18), int16(18), true, uint64(1152921504606846977), int8(0), int16(0), false)
	f.Add(false, uint64(1), int8(1), int16(0), false, uint64(10000000000000000555), int8(20), int16(0), false)
	f.Add(true, uint64(0), int8(0), int16(5), true, uint64(0), int8(0), int16(0), false)
	f.Add(false, uint64(15), int8(1), int16(-1), true, uint64(15), int8(0), int16(-2), true)
	f.Fuzz(func(t *testing.T, negA bool, mA uint64, pA int8, eA int16, oddA bool, mB uint64, pB int8, eB int16, oddB bool) {
		a := spellNumber(negA, mA, pA, eA, oddA)
		b := spellNumber(false, mB, pB, eB, oddB)
		for _, s := range []string{a, b, "-" + b} {
			require.True(t, validNumber(s), "%s", s)
			for _, o := range []string{a, b, "-" + b} {
				require.Equal(t, refEqualNumbers(s, o), equalNumbers(json.Number(s), json.Number(o)), "equalNumbers(%s, %s)", s, o)
			}
		}
	})
}
