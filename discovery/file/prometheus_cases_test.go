package file_test

// Behaviours of Prometheus's discovery/file/file_test.go, ported as cases
// and expected outcomes.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInvalidFile: a file holding a null group yields no targets. The
// contract makes the first send a full set, so an empty one is sent, and
// the failure is reported.
func TestPromInvalidFile(t *testing.T) {
	for name, content := range map[string]string{"invalid_nil.yml": "- targets: [a:1]\n- null\n", "invalid_nil.json": `[{"targets": ["a:1"]}, null]`} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, name), content)
			r := start(t, config(filepath.Join(dir, "*"+filepath.Ext(name))))
			require.Equal(t, "", r.next(t))
			r.waitError(t, "is null")
		})
	}
}

// TestNoopFileUpdate. Deliberate difference: rewriting a file with the
// same groups sends nothing (Prometheus sends them again); the next real
// change is the next update.
func TestPromNoopFileUpdate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "valid.yml")
	write(t, path, "- targets: [localhost:9090, example.org:443]\n  labels: {foo: bar}\n- targets: [my.domain]\n")
	r := start(t, config(filepath.Join(dir, "*.yml")))
	require.Equal(t, "valid.yml:0: localhost:9090 example.org:443\nvalid.yml:1: my.domain", addrs(r.next(t), dir))
	write(t, path, "- labels: {foo: bar}\n  targets:\n    - localhost:9090\n    - example.org:443\n- {targets: [my.domain]}\n")
	write(t, path, "- targets: [localhost:9090, example.org:443]\n  labels: {foo: bar}\n- targets: [other.domain]\n")
	require.Equal(t, "valid.yml:1: other.domain", addrs(r.next(t), dir), "the rewrite with equal groups sent nothing")
}

// TestUpdateFileWithPartialWrites: a half-written file keeps the last good
// groups; once complete, its groups are sent, and groups it no longer has
// are deleted.
func TestPromUpdateFileWithPartialWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "valid.yml")
	write(t, path, "- targets: [localhost:9090]\n- targets: [my.domain]\n")
	r := start(t, config(filepath.Join(dir, "*.yml")))
	require.Equal(t, "valid.yml:0: localhost:9090\nvalid.yml:1: my.domain", addrs(r.next(t), dir))
	require.NoError(t, os.WriteFile(path, []byte("- targets"), 0o644))
	r.waitError(t, "valid.yml")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`: ["localhost:9091"]`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Equal(t, "valid.yml:0: localhost:9091\nvalid.yml:1: ", addrs(r.next(t), dir))
}
