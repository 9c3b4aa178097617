package fileops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// env is what every operation needs: the filesystem, where to report, and
// how to show names to people.
type env struct {
	fsys    FS
	tel     *telemetry.Registry
	logger  *slog.Logger
	dirMode fs.FileMode
	// prefix is joined to names in errors, reports and the path given to
	// fill functions: the Dir's path, or "" when names are already paths.
	prefix string
}

var discardLogger = slog.New(slog.DiscardHandler)

// osEnv is the environment of the package-level functions: the operating
// system's filesystem with unconfined paths, and the default telemetry
// registry as it is now (those functions have no constructor to read it
// once in).
func osEnv() env {
	return env{fsys: osFS{}, tel: telemetry.Default(), logger: discardLogger, dirMode: defaultDirMode}
}

// display returns the path of name as the caller knows it.
func (e *env) display(name string) string {
	if e.prefix == "" {
		return name
	}
	return filepath.Join(e.prefix, name)
}

// stats counts what an operation did, for its span.
type stats struct {
	fsyncs, bytes, files int64
	// method is the "method" metadata of a replacement's stop event: how
	// the new content was published. "" adds none.
	method string
}

// An opSpan says how an operation shows in its span: the span, the
// metadata naming what it works on (key "path" or "dir", with the name as
// e.fsys knows it, shown as the caller knows it), the "durability"
// metadata of a write, and the measurements it reports beside "fsyncs".
type opSpan struct {
	span       telemetry.SpanName
	key, name  string
	durability string // "" adds none
	measures   measures
}

// measures are the measurements of stats that a span reports, in this
// order, before "fsyncs", which every span reports.
type measures uint8

const (
	measureBytes measures = 1 << iota
	measureFiles
)

// inSpan runs steps, an operation's steps, in the span o describes, and
// ends it with the measurements and metadata of the stats steps returns.
// Metadata is built only when e reports to a registry. (steps returns its
// stats instead of filling a pointer so that they stay on the stack.)
func (e *env) inSpan(ctx context.Context, o opSpan, steps func(ctx context.Context) (stats, error)) error {
	var attrs [2]slog.Attr
	var meta []slog.Attr
	if e.tel != nil {
		meta = append(attrs[:0], slog.String(o.key, e.display(o.name)))
		if o.durability != "" {
			meta = append(meta, slog.String("durability", o.durability))
		}
	}
	return e.tel.Span(ctx, o.span, meta, func(ctx context.Context, s *telemetry.Scope) error {
		st, err := steps(ctx)
		if s == nil {
			return err
		}
		if o.measures&measureBytes != 0 {
			s.AddMeasurements(telemetry.Int("bytes", st.bytes))
		}
		if o.measures&measureFiles != 0 {
			s.AddMeasurements(telemetry.Int("files", st.files))
		}
		s.AddMeasurements(telemetry.Int("fsyncs", st.fsyncs))
		if st.method != "" {
			s.AddMetadata(slog.String("method", st.method))
		}
		return err
	})
}

func (e *env) syncName(name string, st *stats) error {
	st.fsyncs++
	return e.fsys.Sync(name)
}

// parentOf returns the directory holding name, as a name of e.fsys.
func parentOf(name string) string { return filepath.Dir(name) }

// sibling returns the name of base in the same directory as name.
func sibling(name, base string) string {
	return filepath.Join(filepath.Dir(name), base)
}

// nameRules says which names an operation accepts.
type nameRules struct {
	local bool // a Dir's name: relative, no "..", not the Dir itself
	dir   bool // a directory operation: trailing separators allowed, length bound
}

// checkName validates name and returns it cleaned.
func checkName(name string, rules nameRules) (string, error) {
	invalid := func(reason string) (string, error) {
		return "", wrapInvalid(quote(name) + " " + reason)
	}
	if name == "" {
		return invalid("is empty")
	}
	if strings.IndexByte(name, 0) >= 0 {
		return invalid("holds a NUL byte")
	}
	if rules.local && !filepath.IsLocal(name) {
		return invalid("is not local to the directory (absolute, \"..\" or reserved by the system)")
	}
	if !rules.dir && os.IsPathSeparator(name[len(name)-1]) {
		return invalid("ends with a path separator")
	}
	clean := filepath.Clean(name)
	base := filepath.Base(clean)
	if base == "." || base == ".." || os.IsPathSeparator(base[len(base)-1]) || clean == filepath.VolumeName(clean) {
		return invalid("names no file in a directory")
	}
	if reserved(base) {
		return invalid("is reserved for temporary names or the lock file")
	}
	if rules.dir && len(base) > maxDirBase {
		return invalid(fmt.Sprintf("is longer than %d bytes, leaving no room for a temporary suffix", maxDirBase))
	}
	return clean, nil
}

func wrapInvalid(msg string) error { return fmt.Errorf("%w: %s", ErrInvalidName, msg) }

func quote(s string) string { return strconv.Quote(s) }

func notExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// renameNoReplace renames without replacing: atomically where the FS
// can, otherwise by checking first. Between that check and the rename
// another process could create newname; rename(2) would then replace an
// empty directory or a file there, and fail on a non-empty directory.
// Processes that share a directory through Open never race like this,
// because they hold its lock.
func (e *env) renameNoReplace(oldname, newname string) error {
	err := e.fsys.Rename(oldname, newname, RenameNoReplace)
	if !errors.Is(err, ErrUnsupported) {
		return err
	}
	if _, lerr := e.fsys.Lstat(newname); lerr == nil {
		return renameError(oldname, newname, RenameNoReplace, fs.ErrExist)
	} else if !notExist(lerr) {
		return lerr
	}
	return e.fsys.Rename(oldname, newname, RenameReplace)
}

// removeAll removes name and, for a directory, everything below it. It
// never follows symbolic links: a link is removed, not its target. A name
// that does not exist is not an error.
func (e *env) removeAll(name string) error {
	err := e.fsys.Remove(name)
	if err == nil || notExist(err) {
		return nil
	}
	info, lerr := e.fsys.Lstat(name)
	if lerr != nil {
		if notExist(lerr) {
			return nil
		}
		return err
	}
	if !info.IsDir() {
		return err
	}
	entries, rerr := e.fsys.ReadDir(name)
	if rerr != nil {
		if notExist(rerr) {
			return nil
		}
		return rerr
	}
	var errs []error
	for _, ent := range entries {
		if err := e.removeAll(filepath.Join(name, ent.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	if err := e.fsys.Remove(name); err != nil && !notExist(err) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// cleanupFailed logs a clean-up that failed after the operation itself
// succeeded or had already failed: what it left behind is a temporary name
// that the next recovery removes.
func (e *env) cleanupFailed(ctx context.Context, name string, err error) {
	if err != nil {
		e.logger.LogAttrs(ctx, slog.LevelWarn, "fileops: clean-up failed; Recover will remove what is left",
			slog.String("path", e.display(name)), slog.Any("error", err))
	}
}

// explainMissing turns a not-exist error from creating name into one that
// names the missing directory and says what to do, when that is the cause.
func (e *env) explainMissing(name string, err error) error {
	if !notExist(err) {
		return err
	}
	parent := parentOf(name)
	if _, lerr := e.fsys.Lstat(parent); !notExist(lerr) {
		return err
	}
	return &missingDirError{dir: e.display(parent), hint: noParentsHint, err: err}
}

// noCaller is the context of the package-level functions (WriteFile,
// CreateDir, Recover, ...), whose signatures match the os package's and
// take none: their span needs a context only to carry its parent, of
// which there is none.
func noCaller() context.Context { return context.Background() }

// opErrs returns the constructor of the errors of operation op on the
// name *name: an *OpError naming the stage, with the path *name has when
// the error is made (operations clean the name after validating it).
func (e *env) opErrs(op string, name *string) func(stage string, err error) error {
	return func(stage string, err error) error {
		return &OpError{Op: op, Stage: stage, Path: e.display(*name), Err: err}
	}
}
