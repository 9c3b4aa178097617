// Package apisurface writes down the exported API of a Go module, one line per
// exported identifier with its signature, in the way of the Go project's api/
// files, and checks a module against the file it committed.
//
// Every module of the repository keeps its surface in api.txt at its root and
// checks it in a test; a change of the exported API that does not update the
// file fails that test, so every API change is visible in review. The lines
// are derived from the compiled packages (go/types reading export data), not
// from source text: a changed type behind an alias, a promoted method or a
// constant's value shows up too.
//
// What counts: every package of the module except main packages, internal/
// packages and everything under examples/. Per package: functions, methods
// of exported types (including promoted ones, which callers can call),
// exported struct fields, interface methods, constants with their values,
// variables and type declarations.
package apisurface

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecopatterns/ecopatterns/internal/golist"
)

// Lines returns the exported API of the module in moduleDir, sorted.
func Lines(moduleDir string) ([]string, error) {
	modPath, local, err := localModules(moduleDir)
	if err != nil {
		return nil, err
	}
	l, err := golist.Load(golist.Options{Dir: moduleDir}, "./...")
	if err != nil {
		return nil, err
	}
	var lines, failures []string
	for _, p := range l.Packages {
		if p.DepOnly || !counts(modPath, p) {
			continue
		}
		if p.Error != nil {
			failures = append(failures, p.Error.Err)
			continue
		}
		pkg, err := l.Importer().Import(p.ImportPath)
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		lines = append(lines, packageLines(local, displayPath(modPath, p.ImportPath), pkg)...)
	}
	if len(failures) > 0 {
		return nil, fmt.Errorf("apisurface: packages that do not compile:\n%s", strings.Join(failures, "\n"))
	}
	slices.Sort(lines)
	return slices.Compact(lines), nil
}

// localModules returns the path of the module in moduleDir, and the paths of
// it and of the modules it replaces with directories of the repository: the
// modules whose packages the API file names by package name.
func localModules(moduleDir string) (string, []string, error) {
	out, err := golist.Go(moduleDir, "list", "-m", "-f", "{{.Main}} {{.Path}} {{with .Replace}}{{.Path}}{{end}}", "all")
	if err != nil {
		return "", nil, err
	}
	var modPath string
	var local []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "true":
			modPath = f[1]
			local = append(local, f[1])
		case len(f) == 3 && (strings.HasPrefix(f[2], ".") || filepath.IsAbs(f[2])):
			local = append(local, f[1])
		}
	}
	return modPath, local, nil
}

// counts reports whether the package's exports belong to the module's API.
func counts(modPath string, p *golist.Package) bool {
	if p.Name == "main" || p.Name == "" {
		return false // commands, and directories holding only tests
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, modPath), "/")
	for _, elem := range strings.Split(rel, "/") {
		if elem == "internal" {
			return false
		}
	}
	return rel != "examples" && !strings.HasPrefix(rel, "examples/")
}

// displayPath names a package in the file: its path inside the module, or the
// module's last path element for the module's root package.
func displayPath(modPath, importPath string) string {
	if importPath == modPath {
		return modPath[strings.LastIndex(modPath, "/")+1:]
	}
	return strings.TrimPrefix(importPath, modPath+"/")
}

// Check compares the API of the module in moduleDir with the file (a path
// relative to moduleDir). With update, it writes the file instead. regenerate
// is the command that updates the file, quoted in the failure.
func Check(t testing.TB, moduleDir, file string, update bool, regenerate string) {
	t.Helper()
	lines, err := Lines(moduleDir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(moduleDir, file)
	want := Format(lines)
	if update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s does not exist; create it with: %s", file, regenerate)
	} else if err != nil {
		t.Fatal(err)
	}
	if diff := Diff(string(got), want); diff != "" {
		t.Fatalf("the exported API differs from %s (- in the file, + in the code):\n%s\n"+
			"If the change is intended, regenerate the file with: %s\n"+
			"and say what changed under Unreleased in CHANGELOG.md.", file, diff, regenerate)
	}
}

// header starts every API file.
const header = "# The exported API of this module, one line per identifier; checked by a test.\n" +
	"# Regenerate after an intended change with the command in README.md (Contributing).\n"

// Format renders sorted lines as the file's content.
func Format(lines []string) string {
	var b strings.Builder
	b.WriteString(header)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// Diff returns the lines only in have prefixed with "- " and the lines only
// in want prefixed with "+ ", or "" when the two hold the same lines.
func Diff(have, want string) string {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				m[l] = true
			}
		}
		return m
	}
	h, w := set(have), set(want)
	var out []string
	for l := range h {
		if !w[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range w {
		if !h[l] {
			out = append(out, "+ "+l)
		}
	}
	// Sort by the line itself, so that a changed signature shows its old and
	// new forms next to each other.
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(a[2:]+a[:1], b[2:]+b[:1]) })
	return strings.Join(out, "\n")
}
