package conventions

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// modulePath is the module path of the repository root that
// TestRepositoryFollowsConventions checks.
const modulePath = "github.com/ecopatterns/ecopatterns"

// goleakPath is the import path whose VerifyTestMain every TestMain must call.
const goleakPath = "go.uber.org/goleak"

// Rule names, as they appear in violation messages.
const (
	ruleDocGo    = "doc.go"
	ruleTestMain = "TestMain"
	ruleExample  = "Example"
	ruleListed   = "examples listed"
	ruleParse    = "parse"
	ruleLength   = "function length"
)

// outputPrefix matches the comment that makes go test run an example. It is
// the pattern go/doc applies to the last comment in an example's body.
var outputPrefix = regexp.MustCompile(`(?i)^[[:space:]]*(unordered )?output:`)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRepositoryFollowsConventions checks the real repository and reports
// every violation of the rules described in the package documentation.
func TestRepositoryFollowsConventions(t *testing.T) {
	root := findModuleRoot(t)
	for _, v := range check(root) {
		t.Errorf("%s", v)
	}
}

// TestCheckDetectsViolations proves that check can fail: it builds fake
// module trees that break each rule and asserts the exact violations.
func TestCheckDetectsViolations(t *testing.T) {
	t.Run("violations", func(t *testing.T) {
		root := t.TempDir()
		writeTree(t, root, conformingTree)
		writeTree(t, root, violatingTree)

		want := []string{
			`cmd/bad: rule "doc.go": doc.go has no doc comment attached to the package clause`,
			`emptydoc: rule "doc.go": doc.go has no doc comment attached to the package clause`,
			`examples/demo: rule "TestMain": tests exist but no TestMain calling goleak.VerifyTestMain`,
			`internal/helper: rule "TestMain": tests exist but no TestMain calling goleak.VerifyTestMain`,
			`noexample: rule "Example": exports identifiers but has no Example function`,
			`noleak: rule "TestMain": TestMain does not call goleak.VerifyTestMain`,
			`nooutput: rule "Example": ExampleThing_Do has no // Output: comment, so go test never runs it`,
			`nooutput: rule "Example": ExampleThing has no // Output: comment, so go test never runs it`,
			`nodoc: rule "doc.go": no doc.go with a package comment`,
			`notestmain: rule "TestMain": tests exist but no TestMain calling goleak.VerifyTestMain`,
			`unlisted: rule "examples listed": the package comment does not list ExampleThing_Do_slowly: add "- Thing.Do (slowly): <what it shows>" to its "# Examples" section`,
			`unlisted: rule "examples listed": the package comment lists example "Gone (old)", which no Example function shows`,
			`wrongdoc: rule "doc.go": doc.go package comment must start with "Package wrongdoc"`,
			`wrongleak: rule "TestMain": TestMain does not call goleak.VerifyTestMain`,
			`wrongsig: rule "TestMain": tests exist but no TestMain calling goleak.VerifyTestMain`,
		}
		sort.Strings(want)
		require.Equal(t, want, violationStrings(check(root)))
	})

	t.Run("conforming", func(t *testing.T) {
		root := t.TempDir()
		writeTree(t, root, conformingTree)
		require.Empty(t, violationStrings(check(root)))
	})

	t.Run("parse error", func(t *testing.T) {
		root := t.TempDir()
		writeTree(t, root, map[string]string{
			"go.mod":             "module example.com/fake\n\ngo 1.25\n",
			"broken/doc.go":      "// Package broken is half written.\npackage broken\n",
			"broken/broken.go":   "package broken\n\nfunc (\n",
			"broken/_scratch.go": "this file is ignored by the go tool\n",
		})
		got := violationStrings(check(root))
		require.Len(t, got, 1)
		require.True(t, strings.HasPrefix(got[0], `broken: rule "parse": broken/broken.go:`), got[0])
	})
}

// goMod is the go.mod of the fake module trees.
const goMod = "module example.com/fake\n\ngo 1.25\n"

// leakMain is a test file body fragment holding a conforming TestMain.
const leakMain = `
import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
`

// conformingTree is a fake module, as file path to content, that follows
// every rule, exercising the less common forms the checker must accept.
var conformingTree = map[string]string{
	"go.mod": goMod,

	// The module root itself is a package.
	"doc.go":       "// Package fake is the root package.\n//\n// # Examples\n//\n//   - Example: nothing.\npackage fake\n",
	"fake.go":      "package fake\n\n// Version is exported.\nconst Version = \"1\"\n",
	"fake_test.go": "package fake_test\n" + leakMain + "\nfunc Example() {\n\t// Output:\n}\n",

	// Aliased goleak and testing imports; internal and external test files
	// share the single TestMain; an unordered output example.
	"good/doc.go": `// Package good follows every rule.
//
// # Examples
//
// Items may wrap, and the section may end with another heading:
//
//   - Hello: says hello, on a line
//     that wraps.
//   - Example (unordered): prints lines in any order.
//
// # Other
//
// Text of another section.
package good
`,
	"good/good.go": `package good

// Hello is exported.
func Hello() string { return "hello" }
`,
	"good/good_internal_test.go": `package good

import (
	tst "testing"

	leak "go.uber.org/goleak"
)

func TestMain(m *tst.M) {
	leak.VerifyTestMain(m, leak.IgnoreCurrent())
}

func TestHello(t *tst.T) {}
`,
	"good/good_test.go": `package good_test

import (
	"fmt"

	"example.com/fake/good"
)

func ExampleHello() {
	fmt.Println(good.Hello())
	// Output: hello
}

func Example_unordered() {
	// Unordered output:
	// a
	// b
}

// Examplefoo is not an example to go test: a lower-case letter follows the
// prefix, so it needs no output comment.
func Examplefoo() {}
`,
	// Files the go tool ignores must not confuse the checker.
	"good/_scratch.go": "not go at all\n",
	"good/.hidden.go":  "not go either\n",
	"good/gen.go":      "//go:build ignore\n\npackage main\n\nfunc main() {}\n",

	// A dot-imported goleak.
	"dotleak/doc.go": "// Package dotleak has no exports.\npackage dotleak\n",
	"dotleak/x.go":   "package dotleak\n\nfunc unexported() {}\n",
	"dotleak/x_test.go": `package dotleak

import (
	"testing"

	. "go.uber.org/goleak"
)

func TestMain(m *testing.M) { VerifyTestMain(m) }
`,

	// Exported methods on an unexported type export nothing, so no Example
	// is required; a test-only directory needs only the TestMain.
	"hidden/doc.go":         "// Package hidden exports nothing.\npackage hidden\n",
	"hidden/hidden.go":      "package hidden\n\ntype thing struct{}\n\n// Do is exported on an unexported type.\nfunc (thing) Do() {}\n",
	"testonly/only_test.go": "package testonly\n" + leakMain,

	// Commands may use any doc comment.
	"cmd/tool/doc.go":       "// Command tool does things.\npackage main\n",
	"cmd/tool/main.go":      "package main\n\nfunc main() {}\n",
	"cmd/tool/main_test.go": "package main\n" + leakMain,

	// internal/ and examples/ are exempt from rules 1 and 3.
	"internal/util/util.go":   "package util\n\n// Exported needs no Example here.\nfunc Exported() {}\n",
	"internal/util/u_test.go": "package util\n" + leakMain + "\nfunc ExampleExported() {}\n",
	"examples/lib/lib.go":     "package lib\n\n// Exported needs no Example here.\nfunc Exported() {}\n",
	"examples/cli/main.go":    "package main\n\nfunc main() {}\n",
	"examples/cli/m_test.go":  "package main\n" + leakMain,

	// Nested modules, testdata, vendor and hidden directories are skipped.
	"nested/go.mod":           "module example.com/fake/nested\n\ngo 1.25\n",
	"nested/bad.go":           "package nested\n\nfunc Exported() {}\n",
	"nested/bad_test.go":      "package nested\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
	"nested/sub/sub.go":       "package sub\n\nfunc Exported() {}\n",
	"good/testdata/bad.go":    "package bad\n\nfunc Exported() {}\n",
	"vendor/x/bad.go":         "package x\n\nfunc Exported() {}\n",
	".hidden/bad.go":          "package bad\n\nfunc Exported() {}\n",
	"_ignored/bad.go":         "package bad\n\nfunc Exported() {}\n",
	"good/testdata/x_test.go": "package bad\n",
}

// violatingTree adds packages to conformingTree that each break one rule.
var violatingTree = map[string]string{
	// Rule "examples listed": one example listed, one not (it is listed
	// only under another heading), and one listed that does not exist.
	"unlisted/doc.go": `// Package unlisted forgets an example.
//
// # Examples
//
//   - Thing: listed.
//   - Gone (old): no such example.
//
// # Not examples
//
//   - Thing.Do (slowly): listed in the wrong section.
package unlisted
`,
	"unlisted/x.go": "package unlisted\n\n// Thing is exported.\ntype Thing struct{}\n\n// Do is exported.\nfunc (Thing) Do() {}\n",
	"unlisted/x_test.go": "package unlisted_test\n" + leakMain + `
func ExampleThing() {
	// Output:
}

func ExampleThing_Do_slowly() {
	// Output:
}
`,

	// Rule "doc.go".
	"nodoc/nodoc.go":     "// Package nodoc documents itself in the wrong file.\npackage nodoc\n",
	"emptydoc/doc.go":    "// Package emptydoc is detached by a blank line.\n\npackage emptydoc\n",
	"wrongdoc/doc.go":    "// This package forgot the convention.\npackage wrongdoc\n",
	"cmd/bad/doc.go":     "package main\n",
	"cmd/bad/main.go":    "package main\n\nfunc main() {}\n",
	"examples/demo/x.go": "package main\n\nfunc main() {}\n",

	// Rule "TestMain".
	"notestmain/doc.go": "// Package notestmain has no TestMain.\npackage notestmain\n",
	"notestmain/x_test.go": `package notestmain_test

import "testing"

func TestX(t *testing.T) {}
`,
	"noleak/doc.go": "// Package noleak has a TestMain without goleak.\npackage noleak\n",
	"noleak/x_test.go": `package noleak

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }
`,
	"wrongleak/doc.go": "// Package wrongleak calls an impostor.\npackage wrongleak\n",
	"wrongleak/x_test.go": `package wrongleak

import (
	"testing"

	goleak "example.com/fake/internal/notleak"
	realleak "go.uber.org/goleak"
)

var _ = realleak.IgnoreCurrent

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
`,
	"wrongsig/doc.go": "// Package wrongsig has a TestMain go test rejects.\npackage wrongsig\n",
	"wrongsig/x_test.go": `package wrongsig

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(t *testing.T) { goleak.VerifyNone(t) }

func init() { goleak.VerifyTestMain(nil) }
`,
	"internal/helper/h.go":      "package helper\n\nfunc Exported() {}\n",
	"internal/helper/h_test.go": "package helper\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",
	"examples/demo/x_test.go":   "package main\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n",

	// Rule "Example".
	"noexample/doc.go": "// Package noexample exports a type.\npackage noexample\n",
	"noexample/x.go":   "package noexample\n\n// Thing is exported.\ntype Thing[T any] struct{}\n",
	"nooutput/doc.go":  "// Package nooutput has examples that never run.\n//\n// # Examples\n//\n//   - Thing: a.\n//   - Thing.Do: b.\n//   - Example: c.\npackage nooutput\n",
	"nooutput/x.go":    "package nooutput\n\n// Thing is exported.\ntype Thing struct{}\n\n// Do is exported.\nfunc (*Thing) Do() {}\n",
	"nooutput/x_test.go": "package nooutput_test\n" + leakMain + `
func ExampleThing() {
	// Output: comes too early
	_ = 1
	// a later comment hides it
}

func ExampleThing_Do() {}

func Example() {
	// output: lower case is accepted
}
`,
}

// violationStrings renders violations as the messages the tests report.
func violationStrings(vs []violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

// writeTree creates each file of tree, a map from slash-separated path
// relative to root to file content.
func writeTree(t *testing.T, root string, tree map[string]string) {
	t.Helper()
	for name, content := range tree {
		p := filepath.Join(root, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// findModuleRoot walks up from the working directory to the directory whose
// go.mod declares modulePath.
func findModuleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && moduleOf(data) == modulePath {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod declaring module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// moduleOf returns the module path declared by the go.mod content data, or
// "" if it declares none.
func moduleOf(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 2 && fields[0] == "module" {
			if p, err := strconv.Unquote(fields[1]); err == nil {
				return p
			}
			return fields[1]
		}
	}
	return ""
}

// violation is one broken rule in one package directory.
type violation struct {
	dir  string // slash-separated, relative to the module root; "." for the root
	rule string
	msg  string
}

// String renders v as `dir: rule "name": message`.
func (v violation) String() string {
	return fmt.Sprintf("%s: rule %q: %s", v.dir, v.rule, v.msg)
}

// goFile is one parsed Go file of a package directory.
type goFile struct {
	name string // base name
	ast  *ast.File
}

// pkgDir holds the parsed Go files of one directory.
type pkgDir struct {
	fset  *token.FileSet
	rel   string   // slash-separated, relative to the module root
	srcs  []goFile // non-test files
	tests []goFile // _test.go files
}

// check walks the module rooted at root and returns every rule violation,
// sorted by message.
func check(root string) []violation {
	var out []violation
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			out = append(out, violation{relDir(root, p), "walk", err.Error()})
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if p != root {
			if skipDir(d.Name()) {
				return fs.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return fs.SkipDir // nested module
			}
		}
		out = append(out, checkDir(root, p)...)
		return nil
	})
	if err != nil {
		out = append(out, violation{".", "walk", err.Error()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// skipDir reports whether the directory called name, and everything under
// it, is outside the set of packages the go tool builds from this module.
func skipDir(name string) bool {
	switch name {
	case "testdata", "vendor":
		return true
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// relDir returns dir relative to root, slash-separated.
func relDir(root, dir string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return filepath.ToSlash(dir)
	}
	return filepath.ToSlash(rel)
}

// checkDir applies every rule to the package in dir.
func checkDir(root, dir string) []violation {
	p, errs := loadDir(root, dir)
	if len(errs) > 0 {
		return errs
	}
	elems := strings.Split(p.rel, "/")
	exempt := elems[0] == "examples"
	for _, e := range elems {
		if e == "internal" {
			exempt = true
		}
	}

	var out []violation
	if len(p.srcs) > 0 && !exempt {
		out = append(out, checkDocGo(p)...)
	}
	if len(p.tests) > 0 {
		out = append(out, checkTestMain(p)...)
	}
	if len(p.srcs) > 0 && !exempt && packageName(p) != "main" {
		out = append(out, checkExamples(p)...)
	}
	out = append(out, checkLength(p)...)
	return out
}

// loadDir parses the Go files directly in dir that the go tool would
// consider. Parse failures are returned as violations.
func loadDir(root, dir string) (pkgDir, []violation) {
	p := pkgDir{rel: relDir(root, dir)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return p, []violation{{p.rel, "walk", err.Error()}}
	}
	fset := token.NewFileSet()
	p.fset = fset
	var errs []violation
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") ||
			strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			errs = append(errs, violation{p.rel, ruleParse, err.Error()})
			continue
		}
		f, err := parser.ParseFile(fset, path.Join(p.rel, name), src, parser.ParseComments)
		if err != nil {
			errs = append(errs, violation{p.rel, ruleParse, err.Error()})
			continue
		}
		if buildIgnored(f) {
			continue
		}
		if strings.HasSuffix(name, "_test.go") {
			p.tests = append(p.tests, goFile{name, f})
		} else {
			p.srcs = append(p.srcs, goFile{name, f})
		}
	}
	return p, errs
}

// buildIgnored reports whether f is excluded from every build by the
// conventional "//go:build ignore" constraint. Other constraints are not
// evaluated: the rules apply to files for any platform.
func buildIgnored(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.TrimSpace(c.Text) == "//go:build ignore" {
				return true
			}
		}
	}
	return false
}

// packageName returns the package name of the non-test files of p,
// preferring doc.go's.
func packageName(p pkgDir) string {
	for _, f := range p.srcs {
		if f.name == "doc.go" {
			return f.ast.Name.Name
		}
	}
	return p.srcs[0].ast.Name.Name
}

// checkDocGo applies rule "doc.go": the package comment lives in doc.go.
func checkDocGo(p pkgDir) []violation {
	fail := func(format string, args ...any) []violation {
		return []violation{{p.rel, ruleDocGo, fmt.Sprintf(format, args...)}}
	}
	var doc *ast.File
	for _, f := range p.srcs {
		if f.name == "doc.go" {
			doc = f.ast
		}
	}
	if doc == nil {
		return fail("no doc.go with a package comment")
	}
	text := ""
	if doc.Doc != nil {
		text = doc.Doc.Text()
	}
	if strings.TrimSpace(text) == "" {
		return fail("doc.go has no doc comment attached to the package clause")
	}
	name := doc.Name.Name
	if name == "main" {
		return nil // "Command x ...", "X is ...": any doc comment will do
	}
	want := "Package " + name
	rest, ok := strings.CutPrefix(text, want)
	if !ok || (rest != "" && !unicode.IsSpace(rune(rest[0])) && rest[0] != '.' && rest[0] != ',') {
		return fail("doc.go package comment must start with %q", want)
	}
	return nil
}

// checkTestMain applies rule "TestMain": the test binary verifies that no
// goroutine leaks, via goleak.VerifyTestMain in TestMain.
func checkTestMain(p pkgDir) []violation {
	found := false
	for _, f := range p.tests {
		testingNames := importNames(f.ast, "testing")
		goleakNames := importNames(f.ast, goleakPath)
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Name.Name != "TestMain" || fn.Body == nil ||
				!isTestMainSignature(fn.Type, testingNames) {
				continue
			}
			found = true
			if callsVerifyTestMain(fn.Body, goleakNames) {
				return nil
			}
		}
	}
	msg := "tests exist but no TestMain calling goleak.VerifyTestMain"
	if found {
		msg = "TestMain does not call goleak.VerifyTestMain"
	}
	return []violation{{p.rel, ruleTestMain, msg}}
}

// importNames returns the names under which f imports importPath: the
// declared alias, "." for a dot import, or the last path element. Blank
// imports are omitted.
func importNames(f *ast.File, importPath string) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != importPath {
			continue
		}
		switch {
		case imp.Name == nil:
			names[path.Base(p)] = true
		case imp.Name.Name != "_":
			names[imp.Name.Name] = true
		}
	}
	return names
}

// isTestMainSignature reports whether ft is func(*testing.M), given the
// names under which the file imports "testing".
func isTestMainSignature(ft *ast.FuncType, testingNames map[string]bool) bool {
	if ft.TypeParams != nil || ft.Results != nil || ft.Params.NumFields() != 1 {
		return false
	}
	star, ok := ft.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	return isQualified(star.X, testingNames, "M")
}

// callsVerifyTestMain reports whether body calls goleak.VerifyTestMain,
// given the names under which the file imports goleak.
func callsVerifyTestMain(body *ast.BlockStmt, goleakNames map[string]bool) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isQualified(call.Fun, goleakNames, "VerifyTestMain") {
			found = true
		}
		return !found
	})
	return found
}

// isQualified reports whether e refers to the identifier sel of a package
// imported under one of names: pkg.sel, or plain sel for a dot import.
func isQualified(e ast.Expr, names map[string]bool, sel string) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name != "." && names[x.Name] && e.Sel.Name == sel
	case *ast.Ident:
		return names["."] && e.Name == sel
	}
	return false
}

// checkExamples applies rule "Example": an exporting package has examples,
// and each of them runs.
func checkExamples(p pkgDir) []violation {
	var out []violation
	examples := 0
	for _, f := range p.tests {
		for _, d := range f.ast.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !isExampleName(fn.Name.Name) ||
				fn.Type.Params.NumFields() != 0 || fn.Body == nil {
				continue
			}
			examples++
			if !hasOutputComment(fn.Body, f.ast.Comments) {
				out = append(out, violation{p.rel, ruleExample,
					fn.Name.Name + " has no // Output: comment, so go test never runs it"})
			}
		}
	}
	if examples == 0 && exportsIdentifiers(p.srcs) {
		out = append(out, violation{p.rel, ruleExample, "exports identifiers but has no Example function"})
	}
	return append(out, checkExamplesListed(p)...)
}

// examplesHeading is the heading of the package comment's section that
// lists the package's examples, which go doc does not print.
const examplesHeading = "# Examples"

// checkExamplesListed applies rule "examples listed": the package comment
// has a section headed examplesHeading with one list item per Example
// function, "- <name as pkg.go.dev shows it>: what it shows", and no item
// for an example that does not exist.
func checkExamplesListed(p pkgDir) []violation {
	want := map[string]string{} // display name -> function name
	for _, f := range p.tests {
		for _, d := range f.ast.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && isExampleName(fn.Name.Name) {
				want[exampleDisplayName(fn.Name.Name)] = fn.Name.Name
			}
		}
	}
	listed := listedExamples(p)
	var out []violation
	for display, fn := range want {
		if !listed[display] {
			out = append(out, violation{p.rel, ruleListed, fmt.Sprintf(
				"the package comment does not list %s: add %q to its %q section", fn, "- "+display+": <what it shows>", examplesHeading)})
		}
	}
	for display := range listed {
		if _, ok := want[display]; !ok {
			out = append(out, violation{p.rel, ruleListed, fmt.Sprintf(
				"the package comment lists example %q, which no Example function shows", display)})
		}
	}
	return out
}

// listedExamples returns the names listed in the examples section of the
// package comment in doc.go: the text of each list item before ": ".
func listedExamples(p pkgDir) map[string]bool {
	listed := map[string]bool{}
	for _, f := range p.srcs {
		if f.name != "doc.go" || f.ast.Doc == nil {
			continue
		}
		in := false
		for _, line := range strings.Split(f.ast.Doc.Text(), "\n") {
			switch trimmed := strings.TrimSpace(line); {
			case strings.HasPrefix(line, "# "):
				in = line == examplesHeading
			case in && strings.HasPrefix(trimmed, "- "):
				if name, _, ok := strings.Cut(strings.TrimPrefix(trimmed, "- "), ": "); ok {
					listed[name] = true
				}
			}
		}
	}
	return listed
}

// exampleDisplayName names an example function as pkg.go.dev shows it:
// ExampleT_M_suffix is "T.M (suffix)", Example_suffix is "Example (suffix)"
// and Example is "Example".
func exampleDisplayName(fn string) string {
	base := strings.TrimPrefix(fn, "Example")
	suffix := ""
	if i := strings.LastIndex(base, "_"); i >= 0 {
		if r, _ := utf8.DecodeRuneInString(base[i+1:]); unicode.IsLower(r) {
			base, suffix = base[:i], base[i+1:]
		}
	}
	display := strings.Replace(base, "_", ".", 1)
	if display == "" {
		display = "Example"
	}
	if suffix != "" {
		display += " (" + suffix + ")"
	}
	return display
}

// isExampleName reports whether go test treats a function called name as
// an example: "Example" alone or followed by a non-lower-case rune.
func isExampleName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Example")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// hasOutputComment reports whether the last comment in body is an output
// comment, which is what makes go test run an example.
func hasOutputComment(body *ast.BlockStmt, comments []*ast.CommentGroup) bool {
	var last *ast.CommentGroup
	for _, cg := range comments {
		if cg.Pos() > body.Lbrace && cg.End() < body.Rbrace {
			last = cg
		}
	}
	return last != nil && outputPrefix.MatchString(last.Text())
}

// exportsIdentifiers reports whether files declare an exported top-level
// func, type, var or const, or an exported method on an exported type.
func exportsIdentifiers(files []goFile) bool {
	for _, f := range files {
		for _, d := range f.ast.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil || receiverExported(d.Recv) {
					return true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							return true
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								return true
							}
						}
					}
				}
			}
		}
	}
	return false
}

// receiverExported reports whether the receiver's base type is exported.
func receiverExported(recv *ast.FieldList) bool {
	if recv.NumFields() == 0 {
		return false
	}
	t := recv.List[0].Type
	for {
		switch e := t.(type) {
		case *ast.StarExpr:
			t = e.X
		case *ast.ParenExpr:
			t = e.X
		case *ast.IndexExpr:
			t = e.X
		case *ast.IndexListExpr:
			t = e.X
		case *ast.Ident:
			return e.IsExported()
		default:
			return false
		}
	}
}
