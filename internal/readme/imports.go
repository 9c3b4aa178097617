package readme

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
)

// missingImports returns the import paths a declaration block needs and does
// not import: the unambiguous names of table it uses as package qualifiers
// without declaring them.
func missingImports(text string, declared map[string]bool, table map[string]string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package snippets\n"+text, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	// The block alone, without its imports' packages: what the checker
	// cannot resolve is either another block's declaration or a missing
	// import. The errors are expected; the compiler reports real ones later.
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: noImporter{}, Error: func(error) {}}
	_, _ = conf.Check("snippets", fset, []*ast.File{f}, info)
	var paths []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok || info.Uses[x] != nil || declared[x.Name] {
			return true
		}
		if path, ok := table[x.Name]; ok {
			paths = append(paths, path)
		}
		return true
	})
	slices.Sort(paths)
	return slices.Compact(paths)
}

// noImporter imports nothing; go/types then declares a placeholder package
// for each import, so that its uses still resolve.
type noImporter struct{}

func (noImporter) Import(string) (*types.Package, error) {
	return nil, errors.New("not imported while finding missing imports")
}
