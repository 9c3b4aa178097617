package fileops_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		runKillChild(dir) // never returns
	}
	goleak.VerifyTestMain(m)
}

// tree is a directory tree in the form of fileopstest.Snapshot: file paths
// map to contents, directory paths with a trailing slash map to "/".
type tree map[string]string

// with returns a copy of t with the entries of more added (or, for an
// empty value with a "-" key prefix, removed).
func (t tree) with(more tree) tree {
	out := make(tree, len(t)+len(more))
	for k, v := range t {
		out[k] = v
	}
	for k, v := range more {
		if name, ok := strings.CutPrefix(k, "-"); ok {
			for existing := range out {
				if existing == name || strings.HasPrefix(existing, name) && strings.HasSuffix(name, "/") {
					delete(out, existing)
				}
			}
			continue
		}
		out[k] = v
	}
	return out
}

// build creates t below dir of fsys, directories first.
func build(tb testing.TB, fsys fileops.FS, dir string, t tree) {
	tb.Helper()
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys) // parents sort before their children
	for _, k := range keys {
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(k, "/")))
		if strings.HasSuffix(k, "/") {
			require.NoError(tb, fsys.Mkdir(name, 0o755))
			continue
		}
		f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		require.NoError(tb, err)
		_, err = f.Write([]byte(t[k]))
		require.NoError(tb, err)
		require.NoError(tb, f.Close())
	}
}

// writeTree is a fill function's body: it writes t below dir of fsys.
func writeTree(fsys fileops.FS, dir string, t tree) error {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(k, "/")))
		if strings.HasSuffix(k, "/") {
			if err := fsys.Mkdir(name, 0o755); err != nil {
				return err
			}
			continue
		}
		f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(t[k])); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// snapshot reads the tree below dir.
func snapshot(tb testing.TB, fsys fileops.FS, dir string) tree {
	tb.Helper()
	s, err := fileopstest.Snapshot(fsys, dir)
	require.NoError(tb, err)
	return s
}

// tempNames lists the paths in t whose last element is a temporary name.
func tempNames(t tree) []string {
	var out []string
	for k := range t {
		if _, _, ok := fileops.ParseTempName(filepath.Base(strings.TrimSuffix(k, "/"))); ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// testOptions returns Dir options over fsys (nil for the OS, confined).
func testOptions(fsys fileops.FS) fileops.Options {
	opts := fileops.DefaultOptions()
	opts.FS = fsys
	return opts
}

// open opens dir and closes it when the test ends.
func open(tb testing.TB, dir string, fsys fileops.FS) *fileops.Dir {
	tb.Helper()
	d, err := fileops.Open(dir, testOptions(fsys))
	require.NoError(tb, err)
	tb.Cleanup(func() { d.Close() })
	return d
}

// ctx returns the test's context.
func ctx(tb testing.TB) context.Context { return tb.Context() }
