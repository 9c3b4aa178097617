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

// refEqualNumbers is equalNumbers computed exactly with math/big: equal
// exact values, else not equal when either is an integer, else equal when
// both round to the same finite float64.
func refEqualNumbers(a, b string) bool {
	ra, okA := new(big.Rat).SetString(a)
	rb, okB := new(big.Rat).SetString(b)
	if !okA || !okB {
		panic("not a number: " + a + " " + b)
	}
	if ra.Cmp(rb) == 0 {
		return true
	}
	if ra.IsInt() || rb.IsInt() {
		return false
	}
	fa, _ := ra.Float64()
	fb, _ := rb.Float64()
	if math.IsInf(fa, 0) || math.IsInf(fb, 0) {
		return false
	}
	return fa == fb
}

// refValidNumber is validNumber by encoding/json: a valid JSON text that
// starts as a number starts, with nothing around it.
func refValidNumber(s string) bool {
	if s == "" || s != strings.TrimSpace(s) || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return false
	}
	return json.Valid([]byte(s))
}

// smallExponent reports whether s's written exponent, if any, is small
// enough for the big.Rat reference to compute 10^exp quickly.
func smallExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	e := strings.TrimLeft(s[i+1:], "+-")
	e = strings.TrimLeft(e, "0")
	return len(e) <= 4
}

// FuzzEqualNumbers checks the comparison of JSON numbers in Match.Args
// against an exact reference built on math/big, and the JSON number
// grammar against encoding/json.
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
		if !smallExponent(a) || !smallExponent(b) {
			return
		}
		require.Equal(t, refEqualNumbers(a, b), got, "equalNumbers(%s, %s)", a, b)
	})
}

// TestEqualNumbersHugeExponents covers exponents too large for the
// reference: they are compared exactly all the same.
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
	} {
		require.Equal(t, tc.want, equalNumbers(json.Number(tc.a), json.Number(tc.b)), "%s vs %s", tc.a, tc.b)
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
