// Package golist loads compiled Go packages through the go command, for the
// repository's own checks of its API surface and of its README snippets.
//
// It asks `go list -export -deps` for the packages and reads their export
// data with the standard library's importer, so that checking a module costs
// one go command whose compilation the build cache keeps, and no dependency
// beyond the standard library.
package golist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Package is one package as the go command lists it.
type Package struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	Export     string // file holding the compiled export data
	DepOnly    bool   // matched no pattern; listed as a dependency
	Standard   bool
	Module     *struct{ Path, Dir, GoMod string }
	Error      *struct{ Err string }
}

// Listing is the result of one Load: the packages matching the patterns and
// their dependencies, all compiled.
type Listing struct {
	Packages []*Package // in the go command's order: dependencies first
	byPath   map[string]*Package
	fset     *token.FileSet
	imp      types.Importer
}

// Options configure Load.
type Options struct {
	// Dir is the directory the go command runs in, which selects the module.
	Dir string
	// Overlay, when not empty, is the file passed to -overlay.
	Overlay string
}

// Load compiles the packages matching patterns, and their dependencies, and
// lists them. A package that fails to compile is listed with its Error set;
// Load itself fails only when the go command does.
func Load(opts Options, patterns ...string) (*Listing, error) {
	args := []string{"list", "-e", "-export", "-deps", "-json=ImportPath,Name,Dir,GoFiles,Export,DepOnly,Standard,Module,Error"}
	if opts.Overlay != "" {
		args = append(args, "-overlay", opts.Overlay)
	}
	args = append(args, "--")
	args = append(args, patterns...)
	out, err := Go(opts.Dir, args...)
	if err != nil {
		return nil, err
	}
	l := &Listing{byPath: map[string]*Package{}, fset: token.NewFileSet()}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(Package)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("golist: decoding go list output: %w", err)
		}
		l.Packages = append(l.Packages, p)
		l.byPath[p.ImportPath] = p
	}
	l.imp = importer.ForCompiler(l.fset, "gc", l.lookup)
	l.recordInputs()
	return l, nil
}

// recordInputs opens the source files of every listed package outside the
// standard library, and the go.mod files of their modules. The go command
// does not see what a subprocess reads, but it does see what the test opens:
// a test that checks packages through Load must run again, not be answered
// from the test cache, when one of these files changes.
func (l *Listing) recordInputs() {
	for _, p := range l.Packages {
		if p.Standard {
			continue
		}
		files := p.GoFiles
		if p.Module != nil && p.Module.GoMod != "" {
			files = append(slices.Clip(files), p.Module.GoMod)
		}
		for _, name := range files {
			if !filepath.IsAbs(name) {
				name = filepath.Join(p.Dir, name)
			}
			if f, err := os.Open(name); err == nil {
				_ = f.Close() // read-only; the open is what counts
			}
		}
	}
}

// Go runs the go command in dir and returns its standard output; on failure
// the error holds its standard error.
func Go(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("golist: go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// Package returns the listed package with the import path, or nil.
func (l *Listing) Package(path string) *Package { return l.byPath[path] }

// FileSet is the file set that positions of imported objects refer to.
func (l *Listing) FileSet() *token.FileSet { return l.fset }

// Importer imports listed packages from their export data. Every package it
// returns shares the objects of its dependencies with the others.
func (l *Listing) Importer() types.Importer { return l.imp }

func (l *Listing) lookup(path string) (io.ReadCloser, error) {
	p := l.byPath[path]
	switch {
	case p == nil:
		return nil, fmt.Errorf("golist: package %q was not listed", path)
	case p.Error != nil:
		return nil, fmt.Errorf("golist: package %q: %s", path, p.Error.Err)
	case p.Export == "":
		return nil, fmt.Errorf("golist: package %q has no export data", path)
	}
	return os.Open(p.Export)
}
