package fileops_test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

// A scenario is one operation on a directory in a known state. The fault
// and crash tests run it while failing calls or cutting power, and check
// that the directory holds exactly the old or the new tree afterwards.
type scenario struct {
	name string
	old  tree
	new  tree
	// run performs the operation on d, whose filesystem is fsys (fill
	// functions write through it).
	run func(ctx context.Context, d *fileops.Dir, fsys fileops.FS) error
	// perPath: each path is independently old or new (a batch), rather
	// than the whole tree.
	perPath bool
	// atomicOnly: the operation does not promise durability on return.
	atomicOnly bool
	// noAtomicRenames runs the scenario without renameat2's flags.
	noAtomicRenames bool
}

func (s scenario) wrap(fsys fileops.FS) fileops.FS {
	if s.noAtomicRenames {
		return fileopstest.NoAtomicRenames(fsys)
	}
	return fsys
}

// check returns nil when got is an acceptable state: the new tree when
// mustBeNew, otherwise the old or the new one.
func (s scenario) check(got tree, mustBeNew bool) error {
	if temps := tempNames(got); len(temps) > 0 {
		return fmt.Errorf("temporary names left after recovery: %v", temps)
	}
	if equal(got, s.new) {
		return nil
	}
	if mustBeNew {
		return fmt.Errorf("want the new tree after the operation returned nil\n got: %v\nwant: %v", got, s.new)
	}
	if equal(got, s.old) {
		return nil
	}
	if s.perPath {
		var bad []string
		for _, k := range union(got, s.old, s.new) {
			g, gok := got[k]
			o, ook := s.old[k]
			n, nok := s.new[k]
			if !(gok == ook && g == o) && !(gok == nok && g == n) {
				bad = append(bad, k)
			}
		}
		if len(bad) == 0 {
			return nil
		}
		return fmt.Errorf("paths %v hold neither their old nor their new content\n got: %v\n old: %v\n new: %v", bad, got, s.old, s.new)
	}
	return fmt.Errorf("a tree that is neither the old nor the new one\n got: %v\n old: %v\n new: %v", got, s.old, s.new)
}

func equal(a, b tree) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func union(ts ...tree) []string {
	seen := map[string]bool{}
	for _, t := range ts {
		for k := range t {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// subtree returns the entries of t below prefix (a directory path with a
// trailing slash), relative to it.
func subtree(t tree, prefix string) tree {
	out := tree{}
	for k, v := range t {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

var (
	bigOld = strings.Repeat("old content, ", 700) // about 9 KiB: several pages
	bigNew = strings.Repeat("new content! ", 900)
)

func fill(fsys fileops.FS, content tree) func(context.Context, string) error {
	return func(_ context.Context, tmp string) error { return writeTree(fsys, tmp, content) }
}

// scenarios covers every operation, each fallback path and both
// durability levels.
func scenarios() []scenario {
	base := tree{"keep": "untouched"}
	dirOld := base.with(tree{"d/": "/", "d/a": "old a", "d/gone": "only in the old copy", "d/sub/": "/", "d/sub/b": bigOld})
	dirNew := base.with(tree{"d/": "/", "d/a": "new a", "d/sub/": "/", "d/sub/b": bigNew, "d/sub/c": "new c"})
	newContent := subtree(dirNew, "d/")
	var out []scenario
	out = append(out,
		scenario{
			name: "writefile/new", old: base, new: base.with(tree{"f": bigNew}),
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				return d.WriteFile(ctx, "f", []byte(bigNew), 0o644)
			},
		},
		scenario{
			name: "writefile/replace", old: base.with(tree{"f": bigOld}), new: base.with(tree{"f": bigNew}),
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				return d.WriteFile(ctx, "f", []byte(bigNew), 0o644)
			},
		},
		scenario{
			name: "writefile/nested", old: base.with(tree{"sub/": "/", "sub/f": "old"}), new: base.with(tree{"sub/": "/", "sub/f": "new"}),
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				return d.WriteFile(ctx, "sub/f", []byte("new"), 0o644)
			},
		},
		scenario{
			name: "pendingfile", old: base.with(tree{"f": bigOld}), new: base.with(tree{"f": "one,two," + bigNew}),
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				opts := fileops.DefaultFileOptions()
				opts.Perm = fileops.PermExisting
				p, err := d.NewPendingFile(ctx, "f", opts)
				if err != nil {
					return err
				}
				defer p.Cleanup()
				for _, s := range []string{"one,", "two,", bigNew} {
					if _, err := p.Write([]byte(s)); err != nil {
						return err
					}
				}
				return p.CloseAtomicallyReplace()
			},
		},
		scenario{
			name: "pendingfile/atomic-only", old: base.with(tree{"f": bigOld}), new: base.with(tree{"f": bigNew}), atomicOnly: true,
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				opts := fileops.DefaultFileOptions()
				opts.Durability = fileops.AtomicOnly
				p, err := d.NewPendingFile(ctx, "f", opts)
				if err != nil {
					return err
				}
				defer p.Cleanup()
				if _, err := p.Write([]byte(bigNew)); err != nil {
					return err
				}
				return p.CloseAtomicallyReplace()
			},
		},
		scenario{
			name:    "batch",
			old:     base.with(tree{"b/": "/", "b/x": "old x", "b/y": bigOld}),
			new:     base.with(tree{"b/": "/", "b/x": "new x", "b/y": bigNew, "b/z": "new z"}),
			perPath: true,
			run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
				b, err := d.NewBatch(ctx, "b", fileops.DefaultFileOptions())
				if err != nil {
					return err
				}
				if err := b.WriteFile("x", []byte("new x"), 0o644); err != nil {
					return err
				}
				p, err := b.NewPendingFile("y")
				if err != nil {
					return err
				}
				defer p.Cleanup()
				if _, err := p.Write([]byte(bigNew)); err != nil {
					return err
				}
				if err := p.CloseAtomicallyReplace(); err != nil {
					return err
				}
				if err := b.WriteFile("z", []byte("new z"), 0o644); err != nil {
					return err
				}
				return b.Commit()
			},
		},
	)
	for _, noAtomic := range []bool{false, true} {
		suffix := ""
		if noAtomic {
			suffix = "/no-atomic-renames"
		}
		out = append(out,
			scenario{
				name: "createdir" + suffix, old: base, new: base.with(tree{"d/": "/"}).with(prefixed("d/", newContent)),
				noAtomicRenames: noAtomic,
				run: func(ctx context.Context, d *fileops.Dir, fsys fileops.FS) error {
					return d.CreateDir(ctx, "d", fill(fsys, newContent))
				},
			},
			scenario{
				name: "replacedir" + suffix, old: dirOld, new: dirNew, noAtomicRenames: noAtomic,
				run: func(ctx context.Context, d *fileops.Dir, fsys fileops.FS) error {
					return d.ReplaceDir(ctx, "d", fill(fsys, newContent))
				},
			},
			scenario{
				name: "replacedir/missing" + suffix, old: base, new: dirNew, noAtomicRenames: noAtomic,
				run: func(ctx context.Context, d *fileops.Dir, fsys fileops.FS) error {
					return d.ReplaceDir(ctx, "d", fill(fsys, newContent))
				},
			},
			scenario{
				name: "removedir" + suffix, old: dirOld, new: base, noAtomicRenames: noAtomic,
				run: func(ctx context.Context, d *fileops.Dir, _ fileops.FS) error {
					return d.RemoveDir(ctx, "d")
				},
			},
		)
	}
	return out
}

func prefixed(prefix string, t tree) tree {
	out := tree{}
	for k, v := range t {
		out[prefix+k] = v
	}
	return out
}
