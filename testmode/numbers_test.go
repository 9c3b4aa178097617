package testmode_test

import (
	"context"
	"encoding/json"
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/testmode"
)

// idArgs carries a 64-bit identifier, as many real job args do.
type idArgs struct {
	ID int64 `json:"id"`
}

func (idArgs) Kind() string { return "by_id" }

// uidArgs carries an unsigned 64-bit identifier.
type uidArgs struct {
	ID uint64 `json:"id"`
}

func (uidArgs) Kind() string { return "by_uid" }

// amountArgs carries a float.
type amountArgs struct {
	Amount float64 `json:"amount"`
	Ratio  float32 `json:"ratio"`
}

func (amountArgs) Kind() string { return "amount" }

// rawNumArgs carries a number spelled by hand.
type rawNumArgs struct {
	N json.RawMessage `json:"n"`
}

func (rawNumArgs) Kind() string { return "raw_num" }

func newNumberClient(t *testing.T) *testmode.Client {
	t.Helper()
	ws := testmode.NewWorkers()
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[idArgs](nil2[idArgs])))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[uidArgs](nil2[uidArgs])))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[amountArgs](nil2[amountArgs])))
	require.NoError(t, testmode.AddWorker(ws, testmode.WorkerFunc[rawNumArgs](nil2[rawNumArgs])))
	cfg := testmode.DefaultConfig()
	cfg.Mode, cfg.Workers = testmode.Manual, ws
	c, err := testmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// TestArgsIntegersCompareExactly pins that an integer in Match.Args never
// matches a different integer, however large, and whatever Go type spells
// it; and that floats still compare as floats.
func TestArgsIntegersCompareExactly(t *testing.T) {
	c := newNumberClient(t)
	ctx := context.Background()
	const big60 = int64(1) << 60
	for _, a := range []testmode.Args{
		idArgs{ID: big60 + 1},
		idArgs{ID: math.MaxInt64},
		idArgs{ID: math.MinInt64},
		uidArgs{ID: math.MaxUint64},
		amountArgs{Amount: 0.1, Ratio: 0.1},
		rawNumArgs{N: json.RawMessage(`1.0e2`)},
		rawNumArgs{N: json.RawMessage(`123456789012345678901234567890`)},
	} {
		_, err := c.Insert(ctx, a, nil)
		require.NoError(t, err)
	}
	hugeInt, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	hugeNeighbour := new(big.Int).Add(hugeInt, big.NewInt(1))
	cases := []struct {
		name  string
		m     testmode.Match
		match bool
	}{
		{"int64 neighbour below", testmode.Match{Kind: "by_id", Args: map[string]any{"id": big60}}, false},
		{"int64 exact", testmode.Match{Kind: "by_id", Args: map[string]any{"id": big60 + 1}}, true},
		{"int64 neighbour above", testmode.Match{Kind: "by_id", Args: map[string]any{"id": big60 + 2}}, false},
		{"struct neighbour", testmode.Match{Args: idArgs{ID: big60}}, false},
		{"struct exact", testmode.Match{Args: idArgs{ID: big60 + 1}}, true},
		{"float64 of the neighbour", testmode.Match{Kind: "by_id", Args: map[string]any{"id": float64(big60)}}, false},
		{"MaxInt64 exact", testmode.Match{Kind: "by_id", Args: map[string]any{"id": int64(math.MaxInt64)}}, true},
		{"MaxInt64 - 1", testmode.Match{Kind: "by_id", Args: map[string]any{"id": int64(math.MaxInt64 - 1)}}, false},
		{"MinInt64 exact", testmode.Match{Kind: "by_id", Args: map[string]any{"id": int64(math.MinInt64)}}, true},
		{"MinInt64 + 1", testmode.Match{Kind: "by_id", Args: map[string]any{"id": int64(math.MinInt64 + 1)}}, false},
		{"MaxUint64 exact", testmode.Match{Kind: "by_uid", Args: map[string]any{"id": uint64(math.MaxUint64)}}, true},
		{"MaxUint64 - 1", testmode.Match{Kind: "by_uid", Args: map[string]any{"id": uint64(math.MaxUint64 - 1)}}, false},
		{"json.Number exact", testmode.Match{Kind: "by_uid", Args: map[string]any{"id": json.Number("18446744073709551615")}}, true},
		{"json.Number neighbour", testmode.Match{Kind: "by_uid", Args: map[string]any{"id": json.Number("18446744073709551614")}}, false},
		{"json.Number exponent form", testmode.Match{Kind: "by_id", Args: map[string]any{"id": json.Number("1.152921504606846977e18")}}, true},
		{"json.Number exponent neighbour", testmode.Match{Kind: "by_id", Args: map[string]any{"id": json.Number("1.152921504606846976e18")}}, false},
		{"big.Int exact", testmode.Match{Kind: "raw_num", Args: map[string]any{"n": hugeInt}}, true},
		{"big.Int neighbour", testmode.Match{Kind: "raw_num", Args: map[string]any{"n": hugeNeighbour}}, false},
		{"integer spelled as a float", testmode.Match{Kind: "raw_num", Args: map[string]any{"n": 100}}, true},
		{"float64 equal", testmode.Match{Kind: "amount", Args: map[string]any{"amount": 0.1}}, true},
		{"float32 equal", testmode.Match{Kind: "amount", Args: map[string]any{"ratio": float32(0.1)}}, true},
		{"float spelled longer", testmode.Match{Kind: "amount", Args: map[string]any{"amount": json.Number("0.1000000000000000055511151231257827")}}, true},
		{"float differs", testmode.Match{Kind: "amount", Args: map[string]any{"amount": 0.2}}, false},
		{"float is no integer", testmode.Match{Kind: "amount", Args: map[string]any{"amount": 0}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTB{}
			got := testmode.AssertEnqueued(f, c, tc.m)
			require.Equal(t, tc.match, !f.failed, "AssertEnqueued(%v): %s", tc.m, f.message())
			require.Equal(t, tc.match, got != nil)
			f = &fakeTB{}
			testmode.RefuteEnqueued(f, c, tc.m)
			require.Equal(t, tc.match, f.failed, "RefuteEnqueued(%v): %s", tc.m, f.message())
			all, err := testmode.AllEnqueued(c, tc.m)
			require.NoError(t, err)
			require.Equal(t, tc.match, len(all) == 1, "AllEnqueued(%v)", tc.m)
		})
	}
}

// TestArgsNumberFailureShowsBothNumbers pins that the failure message
// prints both integers in full, not rounded.
func TestArgsNumberFailureShowsBothNumbers(t *testing.T) {
	c := newNumberClient(t)
	_, err := c.Insert(context.Background(), idArgs{ID: 1<<60 + 1}, nil)
	require.NoError(t, err)
	f := &fakeTB{}
	testmode.AssertEnqueued(f, c, testmode.Match{Args: idArgs{ID: 1 << 60}})
	require.True(t, f.failed)
	require.Contains(t, f.message(), "Args.id: got 1152921504606846977, want 1152921504606846976")
}

// TestMatchRejectsInvalidNumber pins that a json.Number that is no JSON
// number is an invalid Match, not a number that never matches.
func TestMatchRejectsInvalidNumber(t *testing.T) {
	c := newNumberClient(t)
	_, err := testmode.AllEnqueued(c, testmode.Match{Args: map[string]any{"id": json.Number("12abc")}})
	require.ErrorContains(t, err, `field Args: "12abc" is not a JSON number`)
}

// TestMetaRefusesIntegersAFloatWouldChange pins that Meta, stored as
// float64s, refuses an integer it would round to another one, and keeps
// those it holds exactly.
func TestMetaRefusesIntegersAFloatWouldChange(t *testing.T) {
	c := newNumberClient(t)
	ctx := context.Background()
	_, err := c.Insert(ctx, idArgs{ID: 1}, &testmode.InsertOpts{Meta: map[string]any{"trace": map[string]any{"ids": []any{1, int64(1<<60 + 1)}}}})
	require.ErrorContains(t, err, `InsertOpts.Meta["trace"]["ids"][1]: the integer 1152921504606846977 has no exact float64 form`)
	row, err := c.Insert(ctx, idArgs{ID: 2}, &testmode.InsertOpts{Meta: map[string]any{"big": int64(1 << 60), "max": int64(1<<53 + 1 - 1), "f": 0.1}})
	require.NoError(t, err)
	require.Equal(t, float64(1<<60), row.Meta["big"])
	testmode.AssertEnqueued(t, c, testmode.Match{Meta: map[string]any{"big": int64(1 << 60)}})
	testmode.AssertEnqueued(t, c, testmode.Match{Meta: map[string]any{"big": float64(1 << 60), "f": 0.1, "max": 1 << 53}})
	testmode.RefuteEnqueued(t, c, testmode.Match{Meta: map[string]any{"big": int64(1<<60 + 1)}})
	testmode.RefuteEnqueued(t, c, testmode.Match{Meta: map[string]any{"big": int64(1<<60 - 1)}})
	testmode.RefuteEnqueued(t, c, testmode.Match{Meta: map[string]any{"max": 1<<53 - 1}})
}
