package discovery_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// tree is a configuration type that nests itself, as real mechanisms'
// configurations nest structs and lists of structs.
type tree struct {
	Name string `yaml:"name"`
	Kids []tree `yaml:"kids"`
	Next *tree  `yaml:"next"`
}

// laughs is a document of levels anchors, each a node whose kids are width
// aliases of the one before: it expands to width^levels nodes.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("name: root\nkids:\n  - &l0 {name: leaf}\n")
	for i := 1; i <= levels; i++ {
		b.WriteString("  - &l" + strconv.Itoa(i) + " {kids: [")
		for j := range width {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + strconv.Itoa(i-1))
		}
		b.WriteString("]}\n")
	}
	return b.String()
}

// within runs f and fails the test if it has not returned after a bound
// far above its expected time, so that exponential work fails rather than
// hangs.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still working after 10 s: the work is not linear in the input")
	}
}

// Aliases and merge keys are walked once per node, and a document whose
// aliases expand it past the bound is refused with an error, whatever path
// decodes it.
func TestYAMLAliasExpansionIsBounded(t *testing.T) {
	for _, levels := range []int{1, 2, 7} {
		doc := laughs(levels, 10)
		var n yaml.Node
		require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
		var err error
		within(t, func() { err = discovery.DecodeYAML(&n, new(tree)) })
		if levels <= 2 {
			require.NoError(t, err, "levels %d", levels)
			continue
		}
		require.ErrorContains(t, err, "discovery: line 1: excessive aliasing")
	}
}

// Merge keys, also in their list form, are checked for unknown fields like
// any mapping, and walked once per node.
func TestYAMLMergeKeys(t *testing.T) {
	var v tree
	require.NoError(t, discovery.DecodeYAML(node(t, "base: &b {name: x}\nnext: {<<: *b}"), &struct {
		Base tree  `yaml:"base"`
		Next *tree `yaml:"next"`
	}{}))
	err := discovery.DecodeYAML(node(t, "next: {<<: [{name: x}, {nmae: y}]}"), &v)
	require.ErrorContains(t, err, `next: line 1: unknown field "nmae" (did you mean "name"?)`)

	// Ten levels of merges of merges: 10^10 steps for a walk that
	// follows every merge again.
	var b strings.Builder
	b.WriteString("kids:\n  - &m0 {name: x}\n")
	for i := 1; i <= 10; i++ {
		b.WriteString("  - &m" + strconv.Itoa(i) + " {<<: [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*m" + strconv.Itoa(i-1))
		}
		b.WriteString("]}\n")
	}
	within(t, func() { err = discovery.DecodeYAML(node(t, b.String()), &v) })
	require.ErrorContains(t, err, "excessive aliasing")
}

func node(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &n))
	return &n
}

// A static_configs section whose groups alias one list of targets is
// refused before it expands.
func TestStaticConfigsAliasFanOutIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("web:\n  static_configs:\n    - targets: &t [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("h" + strconv.Itoa(i) + ":1")
	}
	b.WriteString("]\n")
	for range 300 {
		b.WriteString("    - targets: *t\n")
	}
	var sets map[string]discovery.Configs
	var err error
	within(t, func() { err = yaml.Unmarshal([]byte(b.String()), &sets) })
	require.ErrorContains(t, err, "excessive aliasing")

}

// FuzzConfigsYAML checks that decoding a configuration never panics and
// takes time linear in its size, aliases and merge keys included, and
// that what it accepts encodes to a form that decodes to equal Configs.
// Seeds, many alias-heavy, are in testdata/fuzz/FuzzConfigsYAML.
func FuzzConfigsYAML(f *testing.F) {
	f.Add([]byte("static_configs: [{targets: [a:1], labels: {env: prod}}]\n"))
	f.Add([]byte("testing_sd_configs: [&c {nodes: [a]}, {<<: *c, port: 2}]\n"))
	f.Add([]byte(laughs(6, 10)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cs discovery.Configs
		if err := yaml.Unmarshal(data, &cs); err != nil {
			return
		}
		b, err := yaml.Marshal(cs)
		require.NoError(t, err)
		var again discovery.Configs
		require.NoError(t, yaml.Unmarshal(b, &again), "%s", b)
		require.Len(t, again, len(cs), "%s", b)
	})
}
