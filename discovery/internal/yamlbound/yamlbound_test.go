package yamlbound

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(s), &n))
	return &n
}

// laughs builds levels of anchors, each a list of width aliases to the
// previous one.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("- &l0 [x]\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("- &l" + string(rune('0'+i)) + " [")
		for j := range width {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	require.NoError(t, Check(nil))
	require.NoError(t, Check(parse(t, "a: {b: [1, 2, 3]}")))
	require.NoError(t, Check(parse(t, "defaults: &d {x: 1, y: 2}\na: {<<: *d}\nb: {<<: *d}\n")), "shared defaults")
	require.NoError(t, Check(parse(t, laughs(3, 10))), "a thousand values are below the floor")
	err := Check(parse(t, laughs(9, 10)))
	require.ErrorContains(t, err, "excessive aliasing")
	require.ErrorContains(t, err, "line 1")
}
