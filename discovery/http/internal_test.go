package http

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/discovery"
)

func TestDecodeBody(t *testing.T) {
	groups, err := decodeBody([]byte(` [{"targets": ["a:1"], "labels": {"x": "y"}}, {"targets": []}] `), 10)
	require.NoError(t, err)
	require.Len(t, groups, 2)
	require.Equal(t, discovery.Labels{"x": "y"}, groups[0].Labels)
	for body, want := range map[string]string{
		``:                               "want a JSON list of groups",
		`null`:                           "got null",
		`[] []`:                          "trailing data",
		`[{"targets": ["a b"]}]`:         "entry 0: discovery: group: targets[0]",
		`[{"targets": [""]}]`:            "empty target",
		`[{"targets": ["a:1"], "x": 1}]`: `unknown field "x"`,
	} {
		_, err := decodeBody([]byte(body), 10)
		require.ErrorContains(t, err, want, body)
	}
}

// FuzzDecodeBody checks that the body decoder never panics, respects its
// target limit, and that what it accepts survives an encode and decode
// unchanged. Seeds are in testdata/fuzz/FuzzDecodeBody.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`[{"targets": ["a:1", "b:1"], "labels": {"env": "prod"}}, {"targets": []}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const max = 50
		groups, err := decodeBody(body, max)
		if err != nil {
			return
		}
		n := 0
		for _, g := range groups {
			n += len(g.Targets)
		}
		require.LessOrEqual(t, n, max)
		b, err := json.Marshal(groups)
		require.NoError(t, err)
		again, err := decodeBody(b, max)
		require.NoError(t, err, "%s", b)
		require.Len(t, again, len(groups))
		for i := range groups {
			require.True(t, groups[i].Equal(again[i]), "%s", b)
		}
	})
}
