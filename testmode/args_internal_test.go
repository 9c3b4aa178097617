package testmode

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type plainArgs struct {
	S  string            `json:"s"`
	N  int64             `json:"n"`
	U  uint8             `json:"u,omitempty"`
	F  float64           `json:"f"`
	B  []byte            `json:"b"`
	L  []string          `json:"l,omitempty"`
	M  map[string]string `json:"m"`
	IM map[int]bool      `json:"im"`
	P  *string           `json:"p"`
	A  [2]int32          `json:"a"`
	C  child             `json:"c"`
	R  []child           `json:"r"`
}

type child struct {
	Name string  `json:"name"`
	Kids []child `json:"kids,omitempty"`
}

func (plainArgs) Kind() string { return "plain" }

type richArgs struct {
	When    time.Time       `json:"when"`
	Raw     json.RawMessage `json:"raw"`
	Any     any             `json:"any"`
	Ignored string          `json:"-"`
	Dur     time.Duration   `json:"dur"`
}

func (richArgs) Kind() string { return "rich" }

type embedded struct{ child }

func (embedded) Kind() string { return "embedded" }

type ptrToSlice struct{ P *[]int }

func (ptrToSlice) Kind() string { return "ptr_to_slice" }

func TestLosslessType(t *testing.T) {
	for typ, want := range map[reflect.Type]bool{
		reflect.TypeFor[plainArgs]():  true,
		reflect.TypeFor[*plainArgs](): true,
		reflect.TypeFor[richArgs]():   false, // custom marshalers, interface, ignored field
		reflect.TypeFor[embedded]():   false,
		reflect.TypeFor[ptrToSlice](): false,
		reflect.TypeFor[struct {
			A string `json:"x"`
			B string `json:"X"`
		}](): false,
		reflect.TypeFor[struct {
			N int `json:",string"`
		}](): false,
		reflect.TypeFor[map[float64]int](): false,
	} {
		require.Equal(t, want, losslessType(typ), "%s", typ)
	}
}

func TestEncodeArgs(t *testing.T) {
	s := "p"
	ok := []Args{
		plainArgs{S: "héllo <b>&", N: -1 << 62, F: 1.5e-300, B: []byte{0, 255}, M: map[string]string{"k": "v"}, IM: map[int]bool{-3: true}, P: &s,
			C: child{Name: "a", Kids: []child{{Name: "b"}}}, L: []string{}},
		&plainArgs{S: "\u2028\ufffd"},
		richArgs{When: time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600)), Raw: json.RawMessage(`{ "a" : [1, 2] }`), Any: "str", Dur: time.Second},
		richArgs{When: time.Now(), Any: map[string]any{"a": []any{1.5, "x", nil, true}}},
		embedded{child{Name: "promoted fields round-trip"}},
	}
	for _, args := range ok {
		b, err := encodeArgs(args.Kind(), args)
		require.NoError(t, err, "%#v", args)
		require.True(t, json.Valid(b))
	}
	bad := map[string]Args{
		"invalid UTF-8":     plainArgs{S: "a\xffb"},
		"invalid UTF-8 key": plainArgs{M: map[string]string{"\xfe": "v"}},
		"ignored field":     richArgs{Ignored: "x"},
		"interface int":     richArgs{Any: 3},
		"ptr to nil slice":  ptrToSlice{P: new([]int)},
	}
	for name, args := range bad {
		_, err := encodeArgs(args.Kind(), args)
		require.ErrorIs(t, err, ErrArgsNotJSON, name)
	}
	// A valid string that merely contains the text of an escape takes the
	// slow path and passes.
	_, err := encodeArgs("plain", plainArgs{S: `\ufffd`})
	require.NoError(t, err)
}

// FuzzArgsRoundTrip checks the fast path of encodeArgs against the full
// round trip: for plain args, encodeArgs accepts exactly the values that
// decode back to an equal value, and what it accepts does decode back.
func FuzzArgsRoundTrip(f *testing.F) {
	f.Add("hello", int64(1), 1.5, []byte("x"), "k")
	f.Add("a\xffb", int64(-1), math.Copysign(0, -1), []byte{}, "\xfe")
	f.Add(`\ufffd`, int64(1<<62), 1e308, []byte(nil), "")
	f.Fuzz(func(t *testing.T, s string, n int64, fl float64, b []byte, key string) {
		args := plainArgs{S: s, N: n, F: fl, B: b, M: map[string]string{key: s}, P: &s, C: child{Name: key}}
		enc, err := encodeArgs("plain", args)

		full, merr := json.Marshal(args)
		var back plainArgs
		roundTrips := merr == nil && json.Unmarshal(full, &back) == nil
		if roundTrips {
			_, _, _, roundTrips = equalValues(reflect.ValueOf(args), reflect.ValueOf(back), "")
		}
		require.Equal(t, roundTrips, err == nil, "encodeArgs error %v", err)
		if err == nil {
			var got plainArgs
			require.NoError(t, json.Unmarshal(enc, &got))
			_, was, came, same := equalValues(reflect.ValueOf(args), reflect.ValueOf(got), "")
			require.True(t, same, "%s came back as %s", was, came)
		}
	})
}
