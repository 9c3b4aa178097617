package readme_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/internal/readme"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRootREADME compiles the repository's README.md, runs its programs and
// checks that its code drops no error. The programs run in the environment
// the README gives the options program: a variable of its own prefix, and
// one of another program's, which the strict LoadEnv must leave alone.
func TestRootREADME(t *testing.T) {
	t.Setenv("PROBER_STOPPER_NAME", "api")
	t.Setenv("APP_PORT", "8080")
	readme.Check(t, "../../README.md", "../..")
}

// TestExampleREADMEs checks the READMEs of the root module's examples (the
// nested module examples/otel checks its own).
func TestExampleREADMEs(t *testing.T) {
	paths, err := filepath.Glob("../../examples/*/README.md")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "go.mod")); err == nil {
			continue
		}
		readme.Check(t, path, "../..")
	}
}

// fakeModule returns a module with one library package and the README.
func fakeModule(t *testing.T, md string) (readmePath, dir string) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/fake\n\ngo 1.25\n",
		"lib/lib.go": `package lib

import "errors"

// Open fails for the empty name.
func Open(name string) (int, error) {
	if name == "" {
		return 0, errors.New("lib: empty name")
	}
	return len(name), nil
}

// Close never fails.
func Close() error { return nil }
`,
		"README.md": md,
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return filepath.Join(dir, "README.md"), dir
}

// problems returns the problems with the temporary directory's path replaced
// by DIR.
func problems(t *testing.T, md string) []string {
	t.Helper()
	path, dir := fakeModule(t, md)
	got := readme.Problems(path, dir)
	for i := range got {
		got[i] = strings.ReplaceAll(got[i], dir, "DIR")
	}
	return got
}

const fence = "```"

func TestDeclarationsAndProgramsPass(t *testing.T) {
	md := "# fake\n\n" + fence + "go\n" + `// Length uses an import added for it (lib, strings) and a type of another block.
func Length(s string) (Size, error) {
	n, err := lib.Open(strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	defer lib.Close() // deferred calls may drop their errors
	fmt.Println(n)    // so may fmt's printing
	return Size(n), nil
}
` + fence + "\n\nSome prose.\n\n" + fence + "go\n" + `import yaml "example.com/fake/lib" // explicit imports are kept

type Size int

var _ = yaml.Open
` + fence + "\n\n" + fence + "go\n" + `package main

import (
	"fmt"

	"example.com/fake/lib"
)

func main() {
	n, err := lib.Open("four")
	if err != nil {
		panic(err)
	}
	fmt.Println("length", n)
}
` + fence + "\n\n" + fence + "output\nlength 4\n" + fence + "\n\n" + fence + "sh\nnot go at all\n" + fence + "\n"
	require.Empty(t, problems(t, md))
}

// TestProblems checks the problems of blocks that break each rule. Blocks
// that fail at the same stage share one fake module, to keep the test fast.
func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		md   string   // the README
		want []string // regular expressions the problems match, in order
	}{
		{
			name: "statements",
			md:   "# fake\n\n" + fence + "go\nx, err := lib.Open(\"a\")\n" + fence + "\n",
			want: []string{`^DIR/README.md:4: a go block must be a complete file \(with a package clause\) or top-level declarations \(put statements in a function\): `},
		},
		{
			name: "compile error names the README line",
			md:   "# fake\n\n" + fence + "go\nfunc F() {\n\n\tlib.Missing()\n}\n" + fence + "\n",
			want: []string{`^(\./|DIR/)?README.md:6:6: undefined: lib.Missing$`},
		},
		{
			name: "dropped errors",
			md: "# fake\n\n" + fence + "go\nfunc F() {\n\tlib.Close()\n}\n" + fence + "\n\n" +
				fence + "go\nfunc G() int {\n\tn, _ := lib.Open(\"a\")\n\treturn n\n}\n" + fence + "\n\n" +
				fence + "go\nfunc H() {\n\tgo lib.Close()\n}\n" + fence + "\n",
			want: []string{
				`^DIR/README.md:5:2: the error of lib.Close is dropped; check it$`,
				`^DIR/README.md:11:10: the error of lib.Open is assigned to _; check it$`,
				`^DIR/README.md:18:5: the error of lib.Close is dropped by the go statement; check it$`,
			},
		},
		{
			name: "output block of no program",
			md:   "# fake\n\n" + fence + "go\nfunc F() {}\n" + fence + "\n\n" + fence + "output\nx\n" + fence + "\n",
			want: []string{`^DIR/README.md:8: an output block must directly follow the go block of a package main whose output it is; this one follows none, so nothing checks it$`},
		},
		{
			name: "comment names what a package does not declare",
			md:   "# fake\n\n" + fence + "go\n// F returns lib.ErrGone, and lib.Open's error.\nfunc F() error { return lib.Close() }\n" + fence + "\n",
			want: []string{`^DIR/README.md:4:1: the comment names lib.ErrGone, which package example.com/fake/lib does not declare$`},
		},
		{
			name: "programs",
			md: "# fake\n\n" + fence + "go\npackage main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"got\") }\n" + fence + "\n\n" +
				fence + "output\nwant\n" + fence + "\n\n" +
				fence + "go\npackage main\n\nimport \"os\"\n\nfunc main() { os.Exit(3) }\n" + fence + "\n" +
				fence + "output\n" + fence + "\n",
			want: []string{
				`^DIR/README.md:4: the program printed\ngot\nbut the output block on line 12 says\nwant$`,
				`^DIR/README.md:16: the program failed: exit status 3`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := problems(t, tc.md)
			require.Len(t, got, len(tc.want), "%q", got)
			for i, want := range tc.want {
				require.Regexp(t, regexp.MustCompile(want), got[i])
			}
		})
	}
}

func TestUnclosedBlock(t *testing.T) {
	_, err := readme.Blocks("# x\n\n```go\nfunc F() {}\n")
	require.EqualError(t, err, "readme: the block opened on line 3 is never closed")
}

func TestBlocks(t *testing.T) {
	blocks, err := readme.Blocks("text\n```go title\na\n\n```\n  ````output\nb\n```\nc\n````\n")
	require.NoError(t, err)
	require.Equal(t, []readme.Block{
		{Info: "go", Line: 3, Text: "a\n\n"},
		{Info: "output", Line: 7, Text: "b\n```\nc\n"},
	}, blocks)
}

// FuzzBlocks checks that Blocks never panics, and that every block it
// returns is a run of the document's lines, starting at the line it says
// (line ends of \r\n read as \n).
func FuzzBlocks(f *testing.F) {
	f.Add("# x\n\n```go\nfunc F() {}\n```\n")
	f.Add("```\n````\n```\n")
	f.Add("  ````output\nb\n```\nc\n````\ntext")
	f.Add("```go\nunclosed\n")
	f.Add("\n```go title\r\nx\r\n```\r\n")
	f.Fuzz(func(t *testing.T, md string) {
		blocks, err := readme.Blocks(md)
		if err != nil {
			return
		}
		lines := strings.Split(md, "\n")
		for _, b := range blocks {
			if b.Line < 2 || b.Line > len(lines)+1 {
				t.Fatalf("block at line %d of a %d-line document", b.Line, len(lines))
			}
			if b.Text == "" {
				continue
			}
			body := strings.Split(strings.TrimSuffix(b.Text, "\n"), "\n")
			if b.Line-1+len(body) > len(lines) {
				t.Fatalf("block at line %d runs past the document's end", b.Line)
			}
			for i, l := range body {
				if doc := strings.TrimSuffix(lines[b.Line-1+i], "\r"); doc != l {
					t.Fatalf("block line %d is %q, the document's is %q", b.Line+i, l, doc)
				}
			}
		}
	})
}
