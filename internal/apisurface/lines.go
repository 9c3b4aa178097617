package apisurface

import (
	"fmt"
	"go/types"
	"slices"
	"strings"
)

// packageLines returns one line per exported identifier of pkg, and one per
// exported field, method and interface method of its exported types.
//
// Types are qualified by package name when they come from the standard
// library or a module of the repository (local), and by import path when
// they come from another module, where two modules may well share a name
// (gopkg.in/yaml.v3 and go.yaml.in/yaml/v3 are both yaml).
func packageLines(local []string, name string, pkg *types.Package) []string {
	qual := func(p *types.Package) string {
		path := p.Path()
		inLocal := slices.ContainsFunc(local, func(m string) bool { return path == m || strings.HasPrefix(path, m+"/") })
		switch {
		case p == pkg:
			return ""
		case inLocal:
			return p.Name()
		case strings.Contains(strings.SplitN(path, "/", 2)[0], "."):
			return path
		default:
			return p.Name()
		}
	}
	prefix := "pkg " + name + ", "
	var lines []string
	scope := pkg.Scope()
	for _, n := range scope.Names() {
		obj := scope.Lookup(n)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Const:
			lines = append(lines, fmt.Sprintf("%sconst %s %s = %s", prefix, n, types.TypeString(obj.Type(), qual), obj.Val().ExactString()))
		case *types.Var:
			lines = append(lines, fmt.Sprintf("%svar %s %s", prefix, n, types.TypeString(obj.Type(), qual)))
		case *types.Func:
			sig := obj.Type().(*types.Signature)
			lines = append(lines, fmt.Sprintf("%sfunc %s%s%s", prefix, n, typeParams(sig.TypeParams(), qual), signature(sig, qual)))
		case *types.TypeName:
			lines = append(lines, typeLines(prefix, obj, qual)...)
		}
	}
	return lines
}

// typeLines describes an exported type: its declaration, then its exported
// fields or interface methods, then its method set.
func typeLines(prefix string, obj *types.TypeName, qual types.Qualifier) []string {
	n := obj.Name()
	if obj.IsAlias() {
		return []string{fmt.Sprintf("%stype %s = %s", prefix, n, types.TypeString(types.Unalias(obj.Type()), qual))}
	}
	named, ok := obj.Type().(*types.Named)
	if !ok {
		return nil
	}
	decl := n + typeParams(named.TypeParams(), qual)
	var lines []string
	switch u := named.Underlying().(type) {
	case *types.Struct:
		lines = append(lines, fmt.Sprintf("%stype %s struct", prefix, decl))
		for f := range u.Fields() {
			switch {
			case !f.Exported():
			case f.Embedded():
				lines = append(lines, fmt.Sprintf("%stype %s struct, embedded %s", prefix, decl, types.TypeString(f.Type(), qual)))
			default:
				lines = append(lines, fmt.Sprintf("%stype %s struct, %s %s", prefix, decl, f.Name(), types.TypeString(f.Type(), qual)))
			}
		}
	case *types.Interface:
		var names []string
		for m := range u.Methods() {
			if m.Exported() {
				names = append(names, m.Name())
			}
		}
		if u.NumMethods() > len(names) {
			names = append(names, "unexported methods")
		}
		lines = append(lines, fmt.Sprintf("%stype %s interface { %s }", prefix, decl, strings.Join(names, ", ")))
		for m := range u.Methods() {
			if m.Exported() {
				lines = append(lines, fmt.Sprintf("%stype %s interface, %s%s", prefix, decl, m.Name(), signature(m.Type().(*types.Signature), qual)))
			}
		}
		return lines // the method set is the interface's methods
	default:
		lines = append(lines, fmt.Sprintf("%stype %s %s", prefix, decl, types.TypeString(u, qual)))
	}
	return append(lines, methodLines(prefix, named, qual)...)
}

// methodLines lists the exported methods callable on a value of the type and
// on a pointer to it, promoted ones included.
func methodLines(prefix string, named *types.Named, qual types.Qualifier) []string {
	recv := named.Obj().Name()
	if tps := named.TypeParams(); tps.Len() > 0 {
		params := make([]string, tps.Len())
		for i := range params {
			params[i] = tps.At(i).Obj().Name()
		}
		recv += "[" + strings.Join(params, ", ") + "]"
	}
	byValue := map[string]bool{}
	for sel := range types.NewMethodSet(named).Methods() {
		byValue[sel.Obj().Name()] = true
	}
	var lines []string
	for sel := range types.NewMethodSet(types.NewPointer(named)).Methods() {
		m := sel.Obj()
		if !m.Exported() {
			continue
		}
		r := "*" + recv
		if byValue[m.Name()] {
			r = recv
		}
		lines = append(lines, fmt.Sprintf("%smethod (%s) %s%s", prefix, r, m.Name(), signature(m.Type().(*types.Signature), qual)))
	}
	return lines
}

// signature renders parameters and results by type alone, as the Go
// project's API files do: names are not part of the API.
func signature(sig *types.Signature, qual types.Qualifier) string {
	var b strings.Builder
	b.WriteString("(")
	params := sig.Params()
	for i := range params.Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		t := params.At(i).Type()
		if sig.Variadic() && i == params.Len()-1 {
			b.WriteString("...")
			t = t.(*types.Slice).Elem()
		}
		b.WriteString(types.TypeString(t, qual))
	}
	b.WriteString(")")
	res := sig.Results()
	switch res.Len() {
	case 0:
	case 1:
		b.WriteString(" " + types.TypeString(res.At(0).Type(), qual))
	default:
		b.WriteString(" (")
		for i := range res.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(types.TypeString(res.At(i).Type(), qual))
		}
		b.WriteString(")")
	}
	return b.String()
}

// typeParams renders a type parameter list with constraints, or "".
func typeParams(tps *types.TypeParamList, qual types.Qualifier) string {
	if tps.Len() == 0 {
		return ""
	}
	parts := make([]string, tps.Len())
	for i := range parts {
		tp := tps.At(i)
		parts[i] = tp.Obj().Name() + " " + types.TypeString(tp.Constraint(), qual)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
