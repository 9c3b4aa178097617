package conventions

import (
	"fmt"
	"go/ast"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// maxLines is the length, in lines from "func" to the closing brace, past
// which a non-test function must say why it is not split into named
// phases.
const maxLines = 80

// notSplit starts the comment, in a long function's doc comment or body,
// that says why it is not split: "// Not split: <why>".
const notSplit = "Not split:"

// knownLong lists the long functions, by "dir.Func" or "dir.Recv.Method",
// that are not split yet and carry no "Not split:" comment, each with why
// it is here. The list only shrinks: an entry whose function is split, or
// gone, is itself a violation, so it is removed with the split.
var knownLong = map[string]string{
	"discovery.Manager.build":  "builds one provider's discoverers and their senders; to be split with ApplyConfig",
	"fileops.env.recoverDir":   "recovery's cases in one pass over the directory; to be split into named cases",
	"examples/job-testing.run": "an example's run tells its story top to bottom; to carry a Not split: comment",
}

// checkLength applies rule "function length": a non-test function longer
// than maxLines lines carries a "Not split: <why>" comment, or is a
// known offender in knownLong.
func checkLength(p pkgDir) []violation {
	var out []violation
	seen := map[string]bool{}
	for _, f := range p.srcs {
		for _, d := range f.ast.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := p.rel + "." + funcName(fd)
			lines := p.fset.Position(fd.End()).Line - p.fset.Position(fd.Pos()).Line + 1
			if lines <= maxLines {
				continue
			}
			if _, ok := knownLong[name]; ok {
				seen[name] = true
				continue
			}
			if !saysWhyNotSplit(fd, f.ast.Comments) {
				out = append(out, violation{p.rel, ruleLength, fmt.Sprintf(
					"%s (%s) is %d lines, over %d: split it into named phases, or say why not in a %q comment",
					funcName(fd), p.fset.Position(fd.Pos()), lines, maxLines, "// "+notSplit+" <why>")})
			}
		}
	}
	for name := range knownLong {
		dir, fn, _ := cutDir(name)
		if dir == p.rel && len(p.srcs) > 0 && !seen[name] {
			out = append(out, violation{p.rel, ruleLength, fmt.Sprintf(
				"knownLong lists %s, which is no longer over %d lines (or is gone): remove the entry", fn, maxLines)})
		}
	}
	return out
}

// cutDir splits a knownLong key into its directory and function name: the
// directory is everything up to the first '.' after the last '/'.
func cutDir(name string) (dir, fn string, ok bool) {
	slash := strings.LastIndex(name, "/")
	dot := strings.Index(name[slash+1:], ".")
	if dot < 0 {
		return "", name, false
	}
	return name[:slash+1+dot], name[slash+2+dot:], true
}

// funcName returns "Func" or "Recv.Method" for fd.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// saysWhyNotSplit reports whether fd's doc comment, or a comment in its
// body, has a line "Not split: <why>" with a reason after the colon.
func saysWhyNotSplit(fd *ast.FuncDecl, comments []*ast.CommentGroup) bool {
	groups := []*ast.CommentGroup{fd.Doc}
	for _, cg := range comments {
		if cg.Pos() > fd.Body.Lbrace && cg.End() < fd.Body.Rbrace {
			groups = append(groups, cg)
		}
	}
	for _, cg := range groups {
		if cg == nil {
			continue
		}
		for _, line := range strings.Split(cg.Text(), "\n") {
			if why, ok := strings.CutPrefix(strings.TrimSpace(line), notSplit); ok && strings.TrimSpace(why) != "" {
				return true
			}
		}
	}
	return false
}

// TestLengthRuleDetectsLongFunctions proves that rule "function length" can
// fail: a fake module holds functions just under, at and over the limit,
// with and without a reason, in source and test files, and a knownLong
// that lists one offender and one function that is no longer long.
func TestLengthRuleDetectsLongFunctions(t *testing.T) {
	saved := knownLong
	t.Cleanup(func() { knownLong = saved })
	knownLong = map[string]string{
		"internal/long.T.Listed": "listed",
		"internal/long.Short":    "no longer long",
		"internal/long.Gone":     "removed",
	}
	// fn returns a function whose declaration spans lines lines.
	fn := func(doc, sig string, lines int, inside string) string {
		return doc + "func " + sig + " {\n" + inside + strings.Repeat("\t_ = 0\n", lines-2-strings.Count(inside, "\n")) + "}\n\n"
	}
	src := "package long\n\ntype T struct{}\n\n" +
		fn("", "AtLimit()", maxLines, "") +
		fn("", "Over()", maxLines+1, "") +
		fn("// Why is long.\n//\n// Not split: one table.\n", "Why()", 120, "") +
		fn("// NoReason is long.\n//\n// Not split:\n", "NoReason()", 90, "") +
		fn("", "(t *T) Listed()", 90, "") +
		fn("", "(T) Body()", 90, "\t// Not split: a state machine reads best in one piece.\n") +
		fn("", "Short()", 3, "") +
		fn("", "Generic[E any](e E)", 90, "")
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":                          goMod,
		"internal/long/long.go":           src,
		"internal/long/long_test.go":      "package long\n" + leakMain + "\n" + fn("", "helper()", 200, ""),
		"internal/other/other.go":         "package other\n\n" + fn("", "Long()", 100, ""),
		"internal/other/other_generic.go": "package other\n\ntype G[K, V any] struct{}\n\n" + fn("", "(g *G[K, V]) Method()", 82, ""),
	})
	want := []string{
		`internal/long: rule "function length": Generic (internal/long/long.go:` + line(src, "func Generic") + `:1) is 90 lines, over 80: split it into named phases, or say why not in a "// Not split: <why>" comment`,
		`internal/long: rule "function length": NoReason (internal/long/long.go:` + line(src, "func NoReason") + `:1) is 90 lines, over 80: split it into named phases, or say why not in a "// Not split: <why>" comment`,
		`internal/long: rule "function length": Over (internal/long/long.go:` + line(src, "func Over") + `:1) is 81 lines, over 80: split it into named phases, or say why not in a "// Not split: <why>" comment`,
		`internal/long: rule "function length": knownLong lists Gone, which is no longer over 80 lines (or is gone): remove the entry`,
		`internal/long: rule "function length": knownLong lists Short, which is no longer over 80 lines (or is gone): remove the entry`,
		`internal/other: rule "function length": G.Method (internal/other/other_generic.go:5:1) is 82 lines, over 80: split it into named phases, or say why not in a "// Not split: <why>" comment`,
		`internal/other: rule "function length": Long (internal/other/other.go:3:1) is 100 lines, over 80: split it into named phases, or say why not in a "// Not split: <why>" comment`,
	}
	sort.Strings(want)
	require.Equal(t, want, violationStrings(check(root)))
}

// line returns the 1-based line number, as text, of the first line of src
// that starts with prefix.
func line(src, prefix string) string {
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strconv.Itoa(i + 1)
		}
	}
	return "?"
}
