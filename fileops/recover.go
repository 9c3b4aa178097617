package fileops

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Outcome is what [Recover] did with a temporary name it found.
type Outcome string

// The outcomes.
const (
	// Removed: the temporary file or tree was deleted.
	Removed Outcome = "removed"
	// RolledForward: a complete new copy ("<name>.tmp-for-creation") was
	// renamed to a destination that a half-done replacement had left
	// missing.
	RolledForward Outcome = "rolled-forward"
	// RolledBack: the old copy ("<name>.tmp-for-replacement") was renamed
	// back to a destination that a half-done replacement had left missing,
	// because there was no new copy to publish.
	RolledBack Outcome = "rolled-back"
	// Skipped: the name looks like one of this package's temporary names
	// but has a type this package never gives it (for example a regular
	// file named "x.tmp-for-creation", or a symbolic link named like a
	// temporary file), so it is not ours and was left alone.
	Skipped Outcome = "skipped"
)

// Action is one thing [Recover] found and what it did about it.
type Action struct {
	// Path is the temporary name, relative to Report.Dir.
	Path string
	// Kind says which operation left it.
	Kind Kind
	// Did is what Recover did or, when Err is not nil, tried to do.
	Did Outcome
	// Err is why the action failed, or nil.
	Err error
}

// String returns a line such as "removed x.tmp-for-creation (tmp-for-creation)".
func (a Action) String() string {
	s := string(a.Did) + " " + a.Path + " (" + string(a.Kind) + ")"
	if a.Err != nil {
		s += ": " + a.Err.Error()
	}
	return s
}

// Report is what [Recover] did, in the order it did it.
type Report struct {
	// Dir is the directory that was recovered, as the caller named it.
	Dir string
	// Actions lists every temporary name found, below Dir at any depth.
	// It is empty when there was nothing to do.
	Actions []Action
}

// Err joins the errors of the actions that failed, or returns nil.
func (r Report) Err() error {
	var errs []error
	for _, a := range r.Actions {
		if a.Err != nil {
			errs = append(errs, &OpError{Op: "recover", Stage: string(a.Did), Path: filepath.Join(r.Dir, a.Path), Err: a.Err})
		}
	}
	return errors.Join(errs...)
}

// String returns a summary such as
// "recovered /data: 2 actions: removed a.tmp-for-creation (tmp-for-creation); ...".
func (r Report) String() string {
	var b strings.Builder
	b.WriteString("recovered ")
	b.WriteString(r.Dir)
	b.WriteString(": ")
	if len(r.Actions) == 0 {
		b.WriteString("nothing to do")
		return b.String()
	}
	b.WriteString(strconv.Itoa(len(r.Actions)))
	b.WriteString(" action(s): ")
	for i, a := range r.Actions {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// LogValue groups the report for log/slog: "dir", "actions" (the count),
// "failed" (the count of failed actions) and one attribute per action,
// keyed by its path, whose value is the outcome and kind.
func (r Report) LogValue() slog.Value {
	failed := 0
	for _, a := range r.Actions {
		if a.Err != nil {
			failed++
		}
	}
	attrs := make([]slog.Attr, 0, 3+len(r.Actions))
	attrs = append(attrs, slog.String("dir", r.Dir), slog.Int("actions", len(r.Actions)), slog.Int("failed", failed))
	for _, a := range r.Actions {
		v := string(a.Did) + " (" + string(a.Kind) + ")"
		if a.Err != nil {
			v += ": " + a.Err.Error()
		}
		attrs = append(attrs, slog.String(a.Path, v))
	}
	return slog.GroupValue(attrs...)
}

// Recover cleans up after operations that a crash interrupted in dir and
// every directory below it, and reports what it did. It handles only the
// names this package creates (see [Kind] and [ParseTempName]), with the
// types this package gives them, and never follows a symbolic link: a link
// with a temporary name is removed or renamed itself, and links to
// directories are not descended into.
//
// For each destination name it restores one consistent state:
//
//   - a half-done two-step [ReplaceDir] (the destination missing, its old
//     copy at ".tmp-for-replacement") is rolled forward to the complete new
//     copy when there is one at ".tmp-for-creation", otherwise rolled back;
//     the directory is fsynced before anything is removed;
//   - then every ".tmp-for-creation" (an unpublished new copy, or the old
//     one after an exchange), ".tmp-for-deletion" (an interrupted
//     [RemoveDir]) and ".tmp-for-write-" file (an interrupted [WriteFile])
//     is removed.
//
// Recover must not run while another process works in dir, because it
// would remove that process's temporary names: use [Open], which takes
// [Lock] first, or call Lock yourself. An error means some actions failed
// (the report says which, and Report.Err returns the same errors) or a
// directory could not be read; the report holds what was done anyway.
func Recover(dir string) (Report, error) {
	e := osEnv()
	return e.recover(noCaller(), dir, dir)
}

// recover recovers name (a name of e.fsys); shown is how the report names it.
func (e *env) recover(ctx context.Context, name, shown string) (Report, error) {
	rep := Report{Dir: shown}
	var meta []slog.Attr
	if e.tel != nil {
		meta = []slog.Attr{slog.String("dir", shown)}
	}
	err := e.tel.Span(ctx, RecoverSpan, meta, func(ctx context.Context, s *telemetry.Scope) error {
		var st stats
		var errs []error
		if name == "" {
			errs = append(errs, &OpError{Op: "recover", Stage: "validate", Path: shown, Err: errEmptyDir})
		} else {
			errs = e.recoverDir(ctx, filepath.Clean(name), ".", &rep, &st, errs)
		}
		failed := 0
		for _, a := range rep.Actions {
			if a.Err != nil {
				failed++
			}
		}
		s.AddMeasurements(telemetry.Int("actions", int64(len(rep.Actions))), telemetry.Int("failed", int64(failed)),
			telemetry.Int("fsyncs", st.fsyncs))
		if err := rep.Err(); err != nil {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	return rep, err
}

// found is a temporary name in the directory being recovered.
type found struct {
	name string // entry name
	base string // destination name
	kind Kind
	typ  fs.FileMode
}

// ours reports whether this package could have created an entry of kind k
// and type typ: temporary files are regular files; the directory kinds are
// directories, or a symbolic link that an operation moved aside.
func ours(k Kind, typ fs.FileMode) bool {
	if k == KindTempFile {
		return typ.IsRegular()
	}
	return typ.IsDir() || typ&fs.ModeSymlink != 0
}

func (e *env) recoverDir(ctx context.Context, dir, rel string, rep *Report, st *stats, errs []error) []error {
	if err := ctx.Err(); err != nil {
		return append(errs, &OpError{Op: "recover", Stage: "context", Path: e.display(dir), Err: err})
	}
	entries, err := e.fsys.ReadDir(dir)
	if err != nil {
		return append(errs, &OpError{Op: "recover", Stage: "read dir", Path: e.display(dir), Err: err})
	}
	present := make(map[string]fs.FileMode, len(entries))
	var temps []found
	var subdirs []string
	for _, ent := range entries {
		present[ent.Name()] = ent.Type()
		base, kind, ok := ParseTempName(ent.Name())
		switch {
		case ok:
			temps = append(temps, found{name: ent.Name(), base: base, kind: kind, typ: ent.Type()})
		case ent.IsDir():
			subdirs = append(subdirs, ent.Name())
		}
	}
	act := func(f found, did Outcome, err error) {
		rep.Actions = append(rep.Actions, Action{Path: filepath.Join(rel, f.name), Kind: f.kind, Did: did, Err: err})
	}
	path := func(entry string) string { return filepath.Join(dir, entry) }

	// Half-done replacements first: they decide what happens to the
	// matching creation directory.
	renamed := false
	consumed := make(map[string]bool)
	for _, f := range temps {
		if f.kind != KindReplacement || !ours(f.kind, f.typ) {
			continue
		}
		if _, ok := present[f.base]; ok {
			continue // the new copy is in place; the old one is removed below
		}
		creation := tempDirName(f.base, KindCreation)
		if typ, ok := present[creation]; ok && typ.IsDir() {
			// The replacement moved the old copy aside only after the new
			// one was complete and synced, so the new one can be published.
			err := e.renameNoReplace(path(creation), path(f.base))
			act(found{name: creation, base: f.base, kind: KindCreation}, RolledForward, err)
			if err == nil {
				renamed = true
				consumed[creation] = true
				present[f.base] = fs.ModeDir
			}
			continue
		}
		err := e.renameNoReplace(path(f.name), path(f.base))
		act(f, RolledBack, err)
		if err == nil {
			renamed = true
			consumed[f.name] = true
			present[f.base] = f.typ
		}
	}
	if renamed {
		// The restored name must be durable before the copies that could
		// replace it are removed.
		if err := e.syncName(dir, st); err != nil {
			return append(errs, &OpError{Op: "recover", Stage: "sync dir", Path: e.display(dir), Err: syncFailed(err)})
		}
	}
	for _, f := range temps {
		switch {
		case consumed[f.name]:
		case !ours(f.kind, f.typ):
			act(f, Skipped, nil)
		case f.kind == KindReplacement:
			if _, ok := present[f.base]; !ok {
				// A roll-back failed above; keep the only old copy.
				continue
			}
			act(f, Removed, e.removeAll(path(f.name)))
		case f.kind == KindCreation:
			if _, ok := present[f.base]; !ok && hasReplacement(temps, f.base, consumed) {
				// A roll-forward failed above; keep the only new copy.
				continue
			}
			act(f, Removed, e.removeAll(path(f.name)))
		default:
			act(f, Removed, e.removeAll(path(f.name)))
		}
	}
	for _, sub := range subdirs {
		errs = e.recoverDir(ctx, path(sub), filepath.Join(rel, sub), rep, st, errs)
	}
	return errs
}

func hasReplacement(temps []found, base string, consumed map[string]bool) bool {
	for _, f := range temps {
		if f.kind == KindReplacement && f.base == base && !consumed[f.name] && ours(f.kind, f.typ) {
			return true
		}
	}
	return false
}
