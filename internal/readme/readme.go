// Package readme compiles the Go code blocks of a README, runs the programs
// among them whose output the README shows, and fails on errors the code
// drops, so that code users copy from a README cannot drift from the API.
//
// A ```go block is one of two kinds:
//
//   - A complete file: it starts with a package clause. It is compiled as a
//     package of its own. If it is package main and the next fenced block of
//     the README has the info string "output", the program is run and what it
//     prints must equal that block. An output block that follows no such
//     program is an error, since nothing would check it.
//   - Top-level declarations without a package clause (functions, types,
//     variables, optionally led by imports). All such blocks of one README
//     are compiled together as one package, one file per block, so a block
//     may use what another declares. Imports of the standard library and of
//     the module's own packages are added as goimports would add them, when
//     the name is unambiguous; any other import is written in the block.
//
// Statements outside a function are neither, and fail with a message that
// says so. Every block must check the errors it receives: a call whose error
// result is discarded (as a statement, by assigning it to _, or in a go
// statement) fails, except the fmt.Print and fmt.Fprint families and deferred
// calls. A comment that names pkg.Name of an imported package must name
// something the package declares, so that renaming a sentinel cannot leave
// the README's comments behind.
//
// The blocks are laid into the module through the go command's -overlay, so
// they compile against the module's current code with its go.mod and go.sum,
// and nothing is written inside the repository. Errors name the README's
// lines, through //line directives.
package readme

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ecopatterns/ecopatterns/internal/golist"
)

// Block is one fenced code block of a README.
type Block struct {
	Info string // the info string's first word: "go", "output", "sh", ...
	Line int    // the line of the block's first content line, counting from 1
	Text string // the content, without the fences
}

// Blocks returns the fenced code blocks of a Markdown document, in order.
func Blocks(markdown string) ([]Block, error) {
	var blocks []Block
	var cur *Block
	var fence string
	sc := bufio.NewScanner(strings.NewReader(markdown))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
			info := strings.Fields(trimmed[len(fence):])
			cur = &Block{Line: n + 1}
			if len(info) > 0 {
				cur.Info = info[0]
			}
		case cur != nil && strings.TrimSpace(trimmed) == fence:
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.Text += line + "\n"
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("readme: the block opened on line %d is never closed", cur.Line-1)
	}
	return blocks, sc.Err()
}

// snippet is one go block placed in the module.
type snippet struct {
	Block
	complete bool   // has a package clause
	pkgDir   string // directory in the overlay
	file     string // file in the overlay
	output   *Block // expected output of a program, or nil
}

// Check compiles the go blocks of the README at readmePath against the module
// in moduleDir and reports every problem through t.
func Check(t testing.TB, readmePath, moduleDir string) {
	t.Helper()
	for _, p := range Problems(readmePath, moduleDir) {
		t.Error(p)
	}
}

// Problems returns every problem of the README's go blocks: blocks that are
// neither kind, compile errors, dropped errors, and programs whose output
// differs from the README.
func Problems(readmePath, moduleDir string) []string {
	readmePath, err := filepath.Abs(readmePath)
	if err != nil {
		return []string{err.Error()}
	}
	moduleDir, err = filepath.Abs(moduleDir)
	if err != nil {
		return []string{err.Error()}
	}
	src, err := os.ReadFile(readmePath)
	if err != nil {
		return []string{err.Error()}
	}
	blocks, err := Blocks(string(src))
	if err != nil {
		return []string{err.Error()}
	}
	snippets, problems := classify(readmePath, moduleDir, blocks)
	if len(problems) > 0 || len(snippets) == 0 {
		return problems
	}
	work, err := os.MkdirTemp("", "readme-snippets-")
	if err != nil {
		return []string{err.Error()}
	}
	defer os.RemoveAll(work)
	c := &compilation{readme: readmePath, moduleDir: moduleDir, work: work, snippets: snippets}
	return c.run()
}

// classify sorts the go blocks into complete files and declarations, and
// pairs programs with their output blocks.
func classify(readmePath, moduleDir string, blocks []Block) ([]*snippet, []string) {
	rel, err := filepath.Rel(moduleDir, readmePath)
	if err != nil {
		return nil, []string{err.Error()}
	}
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, rel)
	base := filepath.Join(moduleDir, "readmesnippets", slug)
	var snippets []*snippet
	var problems []string
	for i, b := range blocks {
		if b.Info == "output" && (i == 0 || !isProgram(blocks[i-1])) {
			problems = append(problems, fmt.Sprintf("%s:%d: an output block must directly follow the go block of "+
				"a package main whose output it is; this one follows none, so nothing checks it", readmePath, b.Line))
		}
		if b.Info != "go" {
			continue
		}
		s := &snippet{Block: b}
		fset := token.NewFileSet()
		if f, err := parser.ParseFile(fset, "", b.Text, parser.PackageClauseOnly); err == nil && f.Name != nil {
			s.complete = true
			s.pkgDir = filepath.Join(base, fmt.Sprintf("line%d", b.Line))
			if isProgram(b) && i+1 < len(blocks) && blocks[i+1].Info == "output" {
				s.output = &blocks[i+1]
			}
		} else {
			if _, err := parser.ParseFile(fset, "", "package snippets\n"+b.Text, parser.SkipObjectResolution); err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: a go block must be a complete file (with a package clause) "+
					"or top-level declarations (put statements in a function): %v", readmePath, b.Line, err))
				continue
			}
			s.pkgDir = filepath.Join(base, "decls")
		}
		s.file = filepath.Join(s.pkgDir, fmt.Sprintf("line%d.go", b.Line))
		snippets = append(snippets, s)
	}
	return snippets, problems
}

// isProgram reports whether b is a go block holding package main.
func isProgram(b Block) bool {
	if b.Info != "go" {
		return false
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", b.Text, parser.PackageClauseOnly)
	return err == nil && f.Name != nil && f.Name.Name == "main"
}

// compilation is the work of one Problems call after classification.
type compilation struct {
	readme, moduleDir, work string
	snippets                []*snippet
	overlay                 string            // the -overlay file
	overlayFiles            map[string]string // path in the module -> file written
}

func (c *compilation) run() []string {
	names, err := c.importTable()
	if err != nil {
		return []string{err.Error()}
	}
	if err := c.writeOverlay(names); err != nil {
		return []string{err.Error()}
	}
	l, err := golist.Load(golist.Options{Dir: c.moduleDir, Overlay: c.overlay}, c.packageDirs()...)
	if err != nil {
		return []string{err.Error()}
	}
	if problems := c.compiled(l); len(problems) > 0 {
		return problems
	}
	return c.runPrograms()
}

// packageDirs lists the overlay's package directories, sorted.
func (c *compilation) packageDirs() []string {
	var dirs []string
	for _, s := range c.snippets {
		dirs = append(dirs, s.pkgDir)
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// importTable maps package names to import paths, for the standard library
// and the module's packages, leaving out names two packages share, except
// that the standard library's package wins over the module's (a reader
// takes http to be net/http).
func (c *compilation) importTable() (map[string]string, error) {
	out, err := golist.Go(c.moduleDir, "list", "-e", "-f", "{{.Name}} {{.ImportPath}}", "std", "./...")
	if err != nil {
		return nil, err
	}
	table := map[string]string{}
	ambiguous := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, path, ok := strings.Cut(line, " ")
		if !ok || name == "main" || name == "" || hidden(path) {
			continue
		}
		if prev, dup := table[name]; dup && prev != path {
			if standard(prev) != standard(path) {
				if standard(path) {
					table[name] = path
				}
				continue
			}
			ambiguous[name] = true
		}
		table[name] = path
	}
	for name := range ambiguous {
		delete(table, name)
	}
	return table, nil
}

// standard reports whether an import path is the standard library's: its
// first element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// hidden reports whether a package cannot or should not be imported by name.
func hidden(path string) bool {
	for _, elem := range strings.Split(path, "/") {
		if elem == "internal" || elem == "vendor" || elem == "testdata" || elem == "examples" {
			return true
		}
	}
	return false
}

// writeOverlay writes each snippet's file, with its package clause and the
// imports it needs added, and the -overlay file that places them.
func (c *compilation) writeOverlay(names map[string]string) error {
	declared := declaredNames(c.snippets)
	replace := map[string]string{}
	for _, s := range c.snippets {
		directive := fmt.Sprintf("//line %s:%d:1\n", c.readme, s.Line)
		var text string
		if s.complete {
			text = directive + s.Text
		} else {
			var imports strings.Builder
			for _, path := range missingImports(s.Text, declared, names) {
				fmt.Fprintf(&imports, "import %q\n", path)
			}
			text = "package snippets\n\n" + imports.String() + directive + s.Text
		}
		tmp := filepath.Join(c.work, fmt.Sprintf("line%d.go", s.Line))
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			return err
		}
		replace[s.file] = tmp
	}
	c.overlayFiles = replace
	data, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		return err
	}
	c.overlay = filepath.Join(c.work, "overlay.json")
	return os.WriteFile(c.overlay, data, 0o644)
}

// runPrograms builds the programs that have an output block, runs each, and
// compares what it prints with the README.
func (c *compilation) runPrograms() []string {
	var programs []*snippet
	for _, s := range c.snippets {
		if s.output != nil {
			programs = append(programs, s)
		}
	}
	if len(programs) == 0 {
		return nil
	}
	bin := filepath.Join(c.work, "bin") + string(filepath.Separator)
	args := []string{"build", "-overlay", c.overlay, "-o", bin}
	for _, p := range programs {
		args = append(args, p.pkgDir)
	}
	if _, err := golist.Go(c.moduleDir, args...); err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for _, p := range programs {
		if problem := c.runProgram(filepath.Join(bin, filepath.Base(p.pkgDir)), p); problem != "" {
			problems = append(problems, problem)
		}
	}
	return problems
}

// programTimeout bounds one README program's run.
const programTimeout = 2 * time.Minute

func (c *compilation) runProgram(exe string, p *snippet) string {
	// A README program runs on its own, so its deadline is not a caller's.
	ctx, cancel := context.WithTimeout(context.Background(), programTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Dir = c.work
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Sprintf("%s:%d: the program failed: %v\n%s", c.readme, p.Line, err, stderr.String())
	}
	if got, want := normalize(stdout.String()), normalize(p.output.Text); got != want {
		return fmt.Sprintf("%s:%d: the program printed\n%s\nbut the output block on line %d says\n%s",
			c.readme, p.Line, got, p.output.Line, want)
	}
	return ""
}

// normalize drops trailing spaces on each line and trailing blank lines.
func normalize(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// declaredNames returns the names declared at the top level of the
// declaration blocks, which the blocks share.
func declaredNames(snippets []*snippet) map[string]bool {
	declared := map[string]bool{}
	for _, s := range snippets {
		if s.complete {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), "", "package snippets\n"+s.Text, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					declared[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							declared[n.Name] = true
						}
					case *ast.TypeSpec:
						declared[spec.Name.Name] = true
					}
				}
			}
		}
	}
	return declared
}
