package fileops

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParseTempName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		base string
		kind Kind
		ok   bool
	}{
		{".config.json.tmp-for-write-0123456789abcdef", "config.json", KindTempFile, true},
		{"..env.tmp-for-write-ffffffffffffffff", ".env", KindTempFile, true},
		{"01HX.tmp-for-creation", "01HX", KindCreation, true},
		{"01HX.tmp-for-deletion", "01HX", KindDeletion, true},
		{"01HX.tmp-for-replacement", "01HX", KindReplacement, true},
		{"a.tmp-for-creation.tmp-for-deletion", "a.tmp-for-creation", KindDeletion, true},
		// Not ours.
		{".tmp-for-creation", "", "", false},
		{"..tmp-for-creation", "", "", false},
		{"...tmp-for-creation", "", "", false},
		{"x.tmp", "", "", false},
		{"x.tmp-for-creation ", "", "", false},
		{".x.tmp-for-write-0123456789ABCDEF", "", "", false},
		{".x.tmp-for-write-0123456789abcde", "", "", false},
		{"x.tmp-for-write-0123456789abcdef", "", "", false},
		{"..tmp-for-write-0123456789abcdef", "", "", false},
		{LockFileName, "", "", false},
		{"", "", "", false},
	}
	for _, c := range cases {
		base, kind, ok := ParseTempName(c.name)
		require.Equal(t, c.ok, ok, c.name)
		require.Equal(t, c.base, base, c.name)
		require.Equal(t, c.kind, kind, c.name)
	}
}

func TestTempFileNameFits(t *testing.T) {
	t.Parallel()
	for _, base := range []string{
		strings.Repeat("a", 255),
		strings.Repeat("é", 127), // 254 bytes, cut between characters
		strings.Repeat("\x80", 255),
	} {
		name := tempFileName(base, 42)
		require.LessOrEqual(t, len(name), maxNameLen)
		got, kind, ok := ParseTempName(name)
		require.True(t, ok, name)
		require.Equal(t, KindTempFile, kind)
		require.True(t, strings.HasPrefix(base, got))
		if utf8.ValidString(base) {
			require.True(t, utf8.ValidString(got))
		}
	}
}

func TestCheckName(t *testing.T) {
	t.Parallel()
	local := nameRules{local: true}
	dir := nameRules{local: true, dir: true}
	for _, c := range []struct {
		name  string
		rules nameRules
		want  string // "" for an invalid name
	}{
		{"a", local, "a"},
		{"a/b/../c", local, "a/c"},
		{"./a", local, "a"},
		{"d/", dir, "d"},
		{"d/", local, ""},
		{"", local, ""},
		{".", local, ""},
		{"..", local, ""},
		{"../a", local, ""},
		{"/abs", local, ""},
		{"/abs/file", nameRules{}, "/abs/file"},
		{"/", nameRules{dir: true}, ""},
		{"a/..", local, ""},
		{"x.tmp-for-replacement", dir, ""},
		{LockFileName, local, ""},
		{strings.Repeat("n", maxDirBase), dir, strings.Repeat("n", maxDirBase)},
		{strings.Repeat("n", maxDirBase+1), dir, ""},
	} {
		got, err := checkName(c.name, c.rules)
		if c.want == "" {
			require.ErrorIs(t, err, ErrInvalidName, "%q", c.name)
			continue
		}
		require.NoError(t, err, "%q", c.name)
		require.Equal(t, c.want, got)
	}
}

// FuzzParseTempName checks that the parser never panics, and that what it
// accepts is exactly a name the package builds.
func FuzzParseTempName(f *testing.F) {
	for _, s := range []string{"x.tmp-for-creation", ".x.tmp-for-write-0123456789abcdef", "", ".", "..tmp-for-deletion"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		base, kind, ok := ParseTempName(name)
		if !ok {
			if base != "" || kind != "" {
				t.Fatalf("rejected %q but returned %q, %q", name, base, kind)
			}
			return
		}
		if !validTempBase(base) {
			t.Fatalf("accepted %q with an invalid destination %q", name, base)
		}
		switch kind {
		case KindTempFile:
			prefix := "." + base + writeMarker
			if !strings.HasPrefix(name, prefix) || len(name) != len(prefix)+randDigits {
				t.Fatalf("accepted %q as a temporary file of %q", name, base)
			}
		case KindCreation, KindDeletion, KindReplacement:
			if tempDirName(base, kind) != name {
				t.Fatalf("accepted %q as %s of %q, which builds %q", name, kind, base, tempDirName(base, kind))
			}
		default:
			t.Fatalf("accepted %q with unknown kind %q", name, kind)
		}
		if !reserved(name) {
			t.Fatalf("%q parses but is not reserved", name)
		}
	})
}

// FuzzTempNames checks, for any byte string a caller can pass as a name,
// that every temporary name the package can build for it is recognised by
// recovery: the temporary file's name (at most 255 bytes, its destination
// cut short when needed) and the creation, deletion and replacement names
// of a directory operation. None of them is itself accepted as a
// destination.
func FuzzTempNames(f *testing.F) {
	f.Add("config.json", uint64(0))
	f.Add(strings.Repeat("x", 300), uint64(1<<63))
	f.Add("a.tmp-for-creation", uint64(7))
	f.Add(".0"+strings.Repeat("\x80", 230), uint64(3))
	f.Fuzz(func(t *testing.T, name string, r uint64) {
		checkTempNames(t, name, r)
	})
}

func checkTempNames(t *testing.T, name string, r uint64) {
	t.Helper()
	if clean, err := checkName(name, nameRules{local: true}); err == nil {
		base := filepath.Base(clean)
		tmp := tempFileName(base, r)
		got, kind, ok := ParseTempName(tmp)
		if !ok || kind != KindTempFile || !strings.HasPrefix(base, got) {
			t.Fatalf("tempFileName(%q) = %q parses as %q, %q, %v", base, tmp, got, kind, ok)
		}
		if len(tmp) > maxNameLen {
			t.Fatalf("tempFileName(%q) is %d bytes long", base, len(tmp))
		}
		if utf8.ValidString(base) && !utf8.ValidString(tmp) {
			t.Fatalf("tempFileName(%q) = %q cuts a character", base, tmp)
		}
		if _, err := checkName(tmp, nameRules{local: true}); err == nil {
			t.Fatalf("temporary name %q is accepted as a destination", tmp)
		}
	}
	if clean, err := checkName(name, nameRules{local: true, dir: true}); err == nil {
		base := filepath.Base(clean)
		for _, k := range []Kind{KindCreation, KindDeletion, KindReplacement} {
			tmp := tempDirName(base, k)
			got, kind, ok := ParseTempName(tmp)
			if !ok || kind != k || got != base {
				t.Fatalf("tempDirName(%q, %s) = %q parses as %q, %q, %v", base, k, tmp, got, kind, ok)
			}
			if len(tmp) > maxNameLen {
				t.Fatalf("tempDirName(%q, %s) is %d bytes long", base, k, len(tmp))
			}
			if _, err := checkName(tmp, nameRules{local: true, dir: true}); err == nil {
				t.Fatalf("temporary name %q is accepted as a destination", tmp)
			}
		}
	}
}

// TestTempNamesOfInvalidUTF8 pins names that are not UTF-8, which the
// package accepts as the operating system does: cutting a long one must
// not leave a destination part ("." or "..") that recovery refuses.
func TestTempNamesOfInvalidUTF8(t *testing.T) {
	t.Parallel()
	for _, lead := range []string{".0", "..", ".", "a", "é", "dir/.0"} {
		for _, fill := range []string{"\x80", "\xff", "\xc3"} {
			for n := 200; n <= 260; n += 5 {
				checkTempNames(t, lead+strings.Repeat(fill, n), uint64(n))
			}
		}
	}
}
