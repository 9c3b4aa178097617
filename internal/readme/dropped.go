package readme

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ecopatterns/ecopatterns/internal/golist"
)

// compiled reports the compile errors of the snippet packages and, for those
// that compile, the errors their code drops.
func (c *compilation) compiled(l *golist.Listing) []string {
	var problems []string
	for _, dir := range c.packageDirs() {
		var p *golist.Package
		for _, q := range l.Packages {
			if filepath.Clean(q.Dir) == dir {
				p = q
			}
		}
		switch {
		case p == nil:
			problems = append(problems, fmt.Sprintf("readme: the go command did not list %s", dir))
		case p.Error != nil:
			// The go command heads its report with the package path,
			// which names the overlay, not the README.
			msg := strings.TrimSpace(p.Error.Err)
			if strings.HasPrefix(msg, "# ") {
				_, msg, _ = strings.Cut(msg, "\n")
			}
			problems = append(problems, msg)
		default:
			problems = append(problems, c.droppedErrors(l, dir)...)
		}
	}
	return problems
}

// droppedErrors type-checks the package of the snippets in dir and returns a
// problem for every call whose error result the code discards.
func (c *compilation) droppedErrors(l *golist.Listing, dir string) []string {
	fset := token.NewFileSet()
	var files []*ast.File
	for _, s := range c.snippets {
		if s.pkgDir != dir {
			continue
		}
		f, err := parser.ParseFile(fset, c.overlayFiles[s.file], nil, parser.ParseComments)
		if err != nil {
			return []string{err.Error()}
		}
		files = append(files, f)
	}
	info := &types.Info{
		Types:     map[ast.Expr]types.TypeAndValue{},
		Uses:      map[*ast.Ident]types.Object{},
		Defs:      map[*ast.Ident]types.Object{},
		Implicits: map[ast.Node]types.Object{},
	}
	conf := types.Config{Importer: l.Importer()}
	if _, err := conf.Check(dir, fset, files, info); err != nil {
		return []string{err.Error()}
	}
	problems := staleComments(fset, files, info)
	report := func(call *ast.CallExpr, how string) {
		problems = append(problems, fmt.Sprintf("%s: the error of %s is %s; check it", fset.Position(call.Pos()), callName(call), how))
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ExprStmt:
				if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok && errorResult(info, call) >= 0 && !exempt(info, call) {
					report(call, "dropped")
				}
			case *ast.GoStmt:
				if errorResult(info, n.Call) >= 0 {
					report(n.Call, "dropped by the go statement")
				}
			case *ast.AssignStmt:
				if len(n.Rhs) != 1 {
					return true
				}
				call, ok := ast.Unparen(n.Rhs[0]).(*ast.CallExpr)
				if !ok {
					return true
				}
				if i := errorResult(info, call); i >= 0 && i < len(n.Lhs) {
					if id, ok := n.Lhs[i].(*ast.Ident); ok && id.Name == "_" {
						report(call, "assigned to _")
					}
				}
			}
			return true
		})
	}
	return problems
}

// qualifiedName matches a name qualified by a package, such as
// stopper.ErrUnavailable, in a comment.
var qualifiedName = regexp.MustCompile(`\b([a-z][a-z0-9]*)\.([A-Z][A-Za-z0-9_]*)\b`)

// staleComments returns a problem for every comment that names an exported
// identifier of an imported package, pkg.Name, that the package does not
// declare: comments are not compiled, so a renamed sentinel would otherwise
// live on in them.
func staleComments(fset *token.FileSet, files []*ast.File, info *types.Info) []string {
	var problems []string
	for _, f := range files {
		imported := map[string]*types.Package{}
		for _, imp := range f.Imports {
			if obj, ok := info.Implicits[imp].(*types.PkgName); ok {
				imported[obj.Name()] = obj.Imported()
			} else if imp.Name != nil {
				if obj, ok := info.Defs[imp.Name].(*types.PkgName); ok {
					imported[obj.Name()] = obj.Imported()
				}
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				for _, m := range qualifiedName.FindAllStringSubmatch(c.Text, -1) {
					pkg, ok := imported[m[1]]
					if ok && pkg.Scope().Lookup(m[2]) == nil {
						problems = append(problems, fmt.Sprintf("%s: the comment names %s.%s, which package %s does not declare",
							fset.Position(c.Pos()), m[1], m[2], pkg.Path()))
					}
				}
			}
		}
	}
	return problems
}

// errorType is the predeclared error interface.
var errorType = types.Universe.Lookup("error").Type()

// errorResult returns the index of the call's last result of type error, or
// -1 when it returns no error.
func errorResult(info *types.Info, call *ast.CallExpr) int {
	tv, ok := info.Types[call]
	if !ok {
		return -1
	}
	switch t := tv.Type.(type) {
	case *types.Tuple:
		for i := t.Len() - 1; i >= 0; i-- {
			if types.Identical(t.At(i).Type(), errorType) {
				return i
			}
		}
	default:
		if t != nil && types.Identical(t, errorType) {
			return 0
		}
	}
	return -1
}

// exempt reports calls whose errors code conventionally ignores: printing
// with fmt.
func exempt(info *types.Info, call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "fmt" {
		return false
	}
	return strings.HasPrefix(fn.Name(), "Print") || strings.HasPrefix(fn.Name(), "Fprint")
}

// callName renders the called function for a message.
func callName(call *ast.CallExpr) string {
	var b strings.Builder
	var walk func(ast.Expr)
	walk = func(e ast.Expr) {
		switch e := e.(type) {
		case *ast.Ident:
			b.WriteString(e.Name)
		case *ast.SelectorExpr:
			walk(e.X)
			b.WriteString("." + e.Sel.Name)
		case *ast.CallExpr:
			walk(e.Fun)
			b.WriteString("(...)")
		case *ast.IndexExpr:
			walk(e.X)
		case *ast.IndexListExpr:
			walk(e.X)
		default:
			b.WriteString("a call")
		}
	}
	walk(call.Fun)
	return b.String()
}
