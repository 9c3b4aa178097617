package testmode

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzMatchPrefilter checks the needles of a matcher against the full
// comparison: for any recorded args (valid JSON, however its strings are
// spelled) and any wanted args, matches answers the same with and without
// the needles, and the job's own args, respelled canonically, match it.
func FuzzMatchPrefilter(f *testing.F) {
	f.Add(`{"raw":{"x":"\u0061b"}}`, `{"raw":{"x":"ab"}}`)
	f.Add(`{"to":"ada@example.com","n":1}`, `{"to":"ada@example.com"}`)
	f.Add(`{"k\u0065y":["a","<b>"]}`, `{"key":["a","<b>"]}`)
	f.Add(`{"s":"caf\u00e9 \ud83d\ude00"}`, `{"s":"café 😀"}`)
	f.Add("{\"s\":\"\xff\"}", `{"s":"\ufffd"}`)
	f.Add(`{"a":"x","a":"ab"}`, `{"a":"ab"}`)
	f.Fuzz(func(t *testing.T, enc, want string) {
		if !json.Valid([]byte(enc)) {
			t.Skip("a store holds valid JSON only")
		}
		var st Store
		_, rec := st.insertOne(&JobRow{Kind: "k", EncodedArgs: json.RawMessage(enc), Queue: DefaultQueue}, time.Now())
		agree := func(args any) bool {
			t.Helper()
			mt, err := compile(Match{Args: args})
			if err != nil {
				return false
			}
			full := *mt
			full.needles = nil
			got, wantMatch := mt.matches(rec), full.matches(rec)
			require.Equal(t, wantMatch, got, "args %s, Match.Args %s: the needles %q disagree with the full comparison", enc, showJSON(mt.args), mt.needles)
			return got
		}
		if json.Valid([]byte(want)) {
			agree(json.RawMessage(want))
		}
		doc, err := decodeGeneric([]byte(enc))
		if err != nil {
			return
		}
		canonical, err := json.Marshal(doc)
		require.NoError(t, err)
		require.True(t, agree(json.RawMessage(canonical)), "args %s do not match their own canonical spelling %s", enc, canonical)
	})
}
