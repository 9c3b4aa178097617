package fileops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
)

// WriteFile replaces the file at path with data, atomically and durably:
// readers see the old content or the new one, never a mix, and once
// WriteFile returns nil the new content survives a power loss.
//
// It writes a temporary file next to path (".<name>.tmp-for-write-<random>",
// created with O_EXCL), fsyncs it, closes it, renames it over path and
// fsyncs the directory: two fsyncs. The new file's mode is perm minus the
// umask, also when path existed with another mode (use [NewPendingFile]
// with PermExisting to keep it). When path is a symbolic link, the link is
// replaced by the file and its target is left alone. When path is a
// directory, WriteFile fails with [ErrIsDir].
//
// On error path holds its old content, or, for a failure at the stage
// "sync dir", the new content whose durability is unknown (see
// [ErrSyncFailed]); WriteFile removes its temporary file unless a crash
// prevents it, in which case [Recover] does.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	e := osEnv()
	return e.writeFile(noCaller(), "writefile", path, data, FileOptions{Mode: perm, Perm: PermUmask, Durability: Durable}, nil)
}

// writeFile is WriteFile on any environment, in a span. batch is not nil
// for a Batch's files.
func (e *env) writeFile(ctx context.Context, op, name string, data []byte, fo FileOptions, batch *Batch) error {
	o := opSpan{span: WriteSpan, key: "path", name: name, durability: durabilityLabel(fo, batch), measures: measureBytes}
	return e.inSpan(ctx, o, func(ctx context.Context) (stats, error) {
		st := stats{bytes: int64(len(data))}
		err := e.writeFileSteps(ctx, op, name, data, fo, batch, &st)
		return st, err
	})
}

func (e *env) writeFileSteps(ctx context.Context, op, name string, data []byte, fo FileOptions, batch *Batch, st *stats) error {
	p, err := e.openPending(ctx, op, name, fo, batch)
	if err != nil {
		return err
	}
	if _, err := p.Write(data); err != nil {
		p.cleanup()
		return err
	}
	return p.commit(st)
}

func durabilityLabel(fo FileOptions, batch *Batch) string {
	if batch != nil {
		return "batch"
	}
	return string(fo.Durability)
}

// PendingFile is a temporary file that replaces its destination when
// CloseAtomicallyReplace succeeds, for content written in pieces. It is
// not safe for concurrent use.
//
//	p, err := fileops.NewPendingFile(path, fileops.DefaultFileOptions())
//	if err != nil { ... }
//	defer p.Cleanup()
//	if _, err := io.Copy(p, src); err != nil { ... }
//	if err := p.CloseAtomicallyReplace(); err != nil { ... }
type PendingFile struct {
	e     *env
	ctx   context.Context // for telemetry and the check before the rename
	op    string
	name  string // destination, as a name of e.fsys
	tmp   string // temporary file, as a name of e.fsys
	f     File
	fo    FileOptions
	batch *Batch

	bytes   int64
	err     error // the first write error; the file can no longer be committed
	closed  bool  // f is closed
	done    bool  // renamed into place
	removed bool  // cleaned up
}

// NewPendingFile creates a temporary file in path's directory that
// [PendingFile.CloseAtomicallyReplace] renames over path. It checks opts
// and the destination first: it fails with [ErrIsDir] when path is a
// directory, and with an fs.ErrNotExist error when path's directory does
// not exist.
func NewPendingFile(path string, opts FileOptions) (*PendingFile, error) {
	if err := opts.Validate(); err != nil {
		return nil, &OpError{Op: "pendingfile", Stage: "validate", Path: path, Err: err}
	}
	e := osEnv()
	return e.openPending(noCaller(), "pendingfile", path, opts, nil)
}

func (e *env) openPending(ctx context.Context, op, name string, fo FileOptions, batch *Batch) (*PendingFile, error) {
	opErr := e.opErrs(op, &name)
	clean, err := checkName(name, nameRules{local: e.prefix != ""})
	if err != nil {
		return nil, opErr("validate", err)
	}
	name = clean
	if err := ctx.Err(); err != nil {
		return nil, opErr("context", err)
	}
	info, err := e.fsys.Lstat(name)
	switch {
	case err == nil && info.IsDir():
		return nil, opErr("check destination", ErrIsDir)
	case err != nil && !notExist(err):
		return nil, opErr("check destination", err)
	}
	mode, chmod := fo.Mode, fo.Perm == PermStatic
	if fo.Perm == PermExisting && err == nil && info.Mode().IsRegular() {
		mode, chmod = info.Mode()&modeBits, true
	}
	base := filepath.Base(name)
	var f File
	var tmp string
	for attempt := 0; ; attempt++ {
		tmp = sibling(name, tempFileName(base, rand.Uint64()))
		f, err = e.fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err == nil {
			break
		}
		// A clash of 64 random bits means someone else creates our names;
		// a few attempts tell that apart from bad luck.
		if !errors.Is(err, fs.ErrExist) || attempt == 3 {
			return nil, opErr("create temp", e.explainMissing(tmp, err))
		}
	}
	p := &PendingFile{e: e, ctx: ctx, op: op, name: name, tmp: tmp, f: f, fo: fo, batch: batch}
	if chmod {
		if err := f.Chmod(mode); err != nil {
			p.cleanup()
			return nil, opErr("chmod", err)
		}
	}
	return p, nil
}

func (p *PendingFile) opErr(stage string, err error) error {
	return &OpError{Op: p.op, Stage: stage, Path: p.e.display(p.name), Err: err}
}

var (
	errCommitted = errors.New("already replaced the destination")
	errCleanedUp = errors.New("cleaned up")
)

// Write writes to the temporary file. After an error every later Write
// and CloseAtomicallyReplace fail with the same error, and the destination
// is never replaced.
func (p *PendingFile) Write(b []byte) (int, error) {
	switch {
	case p.err != nil:
		return 0, p.err
	case p.done:
		return 0, p.opErr("write", errCommitted)
	case p.removed:
		return 0, p.opErr("write", errCleanedUp)
	}
	n, err := p.f.Write(b)
	p.bytes += int64(n)
	if err != nil {
		p.err = p.opErr("write", err)
		return n, p.err
	}
	return n, nil
}

// CloseAtomicallyReplace fsyncs and closes the temporary file, renames it
// over the destination and, when the durability is Durable, fsyncs the
// directory. On error the temporary file is removed (except after a
// successful rename, when there is none left) and the destination holds
// its old content, or the new content of unknown durability when the
// stage is "sync dir". It fails without side effects when called twice.
//
// A PendingFile from a [Dir] or a [Batch] checks the context it was
// created with before renaming, and fails with the stage "context" once
// that context is done.
func (p *PendingFile) CloseAtomicallyReplace() error {
	o := opSpan{span: WriteSpan, key: "path", name: p.name, durability: durabilityLabel(p.fo, p.batch), measures: measureBytes}
	return p.e.inSpan(p.ctx, o, func(context.Context) (stats, error) {
		var st stats
		err := p.commit(&st)
		st.bytes = p.bytes
		return st, err
	})
}

func (p *PendingFile) commit(st *stats) error {
	switch {
	case p.err != nil:
		p.cleanup()
		return p.err
	case p.done:
		return p.opErr("commit", errCommitted)
	case p.removed:
		return p.opErr("commit", errCleanedUp)
	}
	if err := p.ctx.Err(); err != nil {
		p.cleanup()
		return p.opErr("context", err)
	}
	// The file's data must be on disk before its name is: without this
	// fsync a crash after the rename can leave an empty or partial file
	// under the destination's name.
	st.fsyncs++
	if err := p.f.Sync(); err != nil {
		p.cleanup()
		return p.opErr("sync file", syncFailed(err))
	}
	p.closed = true
	if err := p.f.Close(); err != nil {
		p.cleanup()
		return p.opErr("close", err)
	}
	if err := p.e.fsys.Rename(p.tmp, p.name, RenameReplace); err != nil {
		p.cleanup()
		return p.opErr("rename", err)
	}
	p.done = true
	if p.batch != nil {
		p.batch.replaced()
		return nil
	}
	if p.fo.Durability == Durable {
		// rename(2) changes the directory, and only an fsync of the
		// directory makes that change durable: without it a power loss can
		// bring back the old name.
		if err := p.e.syncName(parentOf(p.name), st); err != nil {
			return p.opErr("sync dir", syncFailed(err))
		}
	}
	return nil
}

// Cleanup closes and removes the temporary file. It does nothing after a
// successful CloseAtomicallyReplace, and is always safe to defer. Its error
// is for reporting only: a temporary file it could not remove is removed
// by the next [Recover].
func (p *PendingFile) Cleanup() error {
	if err := p.cleanup(); err != nil {
		return p.opErr("cleanup", err)
	}
	return nil
}

func (p *PendingFile) cleanup() error {
	if p.done || p.removed {
		return nil
	}
	p.removed = true
	var errs []error
	if !p.closed {
		p.closed = true
		if err := p.f.Close(); err != nil && p.err == nil {
			errs = append(errs, err)
		}
	}
	if err := p.e.fsys.Remove(p.tmp); err != nil && !notExist(err) {
		errs = append(errs, err)
		p.e.cleanupFailed(p.ctx, p.tmp, err)
	}
	return errors.Join(errs...)
}

var _ io.Writer = (*PendingFile)(nil)

// Batch replaces several files in one directory and pays one directory
// fsync for all of them: N files cost N + 1 fsyncs instead of 2N. Each file
// is replaced atomically as soon as its WriteFile or CloseAtomicallyReplace
// returns (readers, and the disk after a crash, see its old or new content),
// and all of them become durable together when Commit returns. A Batch is
// safe for concurrent use; it may be committed any number of times.
type Batch struct {
	e   *env
	ctx context.Context
	dir string // the directory, as a name of e.fsys
	fo  FileOptions

	mu    sync.Mutex
	files int64 // replaced since the last Commit
}

// NewBatch returns a Batch for files in dir, which must be an existing
// directory. opts.Durability is ignored: a batch's files are atomic at
// once and durable at Commit.
func NewBatch(dir string, opts FileOptions) (*Batch, error) {
	e := osEnv()
	return e.newBatch(noCaller(), dir, opts)
}

func (e *env) newBatch(ctx context.Context, dir string, fo FileOptions) (*Batch, error) {
	opErr := e.opErrs("batch", &dir)
	if err := fo.Validate(); err != nil {
		return nil, opErr("validate", err)
	}
	if dir == "" {
		return nil, opErr("validate", errEmptyDir)
	}
	if e.prefix != "" && !filepath.IsLocal(dir) {
		return nil, opErr("validate", errNotLocal(dir))
	}
	dir = filepath.Clean(dir)
	info, err := e.fsys.Lstat(dir)
	if notExist(err) {
		err = &missingDirError{hint: noParentsHint, err: err}
	}
	if err != nil {
		return nil, opErr("check destination", err)
	}
	if !info.IsDir() {
		return nil, opErr("check destination", fmt.Errorf("%w (%s)", ErrNotDir, describeMode(info.Mode())))
	}
	return &Batch{e: e, ctx: ctx, dir: dir, fo: fo}, nil
}

var errEmptyDir = wrapInvalid("directory name is empty")

func errNotLocal(name string) error {
	return wrapInvalid(quote(name) + " is not local to the directory (absolute, \"..\" or reserved by the system)")
}

func (b *Batch) checkBase(name string) error {
	if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
		return wrapInvalid(quote(name) + " is not a file name in the batch's directory")
	}
	return nil
}

// WriteFile atomically replaces the file name (a name in the batch's
// directory, without separators) with data, fsyncing the file but not the
// directory. perm takes the place of the batch's FileOptions.Mode; its
// permission policy applies.
func (b *Batch) WriteFile(name string, data []byte, perm fs.FileMode) error {
	if err := b.checkBase(name); err != nil {
		return &OpError{Op: "batch", Stage: "validate", Path: b.e.display(filepath.Join(b.dir, name)), Err: err}
	}
	fo := b.fo
	fo.Mode = perm
	return b.e.writeFile(b.ctx, "batch", filepath.Join(b.dir, name), data, fo, b)
}

// NewPendingFile returns a PendingFile for name (a name in the batch's
// directory, without separators) with the batch's options. Its
// CloseAtomicallyReplace fsyncs the file but not the directory.
func (b *Batch) NewPendingFile(name string) (*PendingFile, error) {
	if err := b.checkBase(name); err != nil {
		return nil, &OpError{Op: "batch", Stage: "validate", Path: b.e.display(filepath.Join(b.dir, name)), Err: err}
	}
	return b.e.openPending(b.ctx, "batch", filepath.Join(b.dir, name), b.fo, b)
}

func (b *Batch) replaced() {
	b.mu.Lock()
	b.files++
	b.mu.Unlock()
}

// Commit fsyncs the directory, which makes durable every replacement whose
// WriteFile or CloseAtomicallyReplace returned before Commit was called.
// On error (which matches [ErrSyncFailed]) those files hold their new
// content now, but whether it survives a power loss is unknown.
func (b *Batch) Commit() error {
	b.mu.Lock()
	files := b.files
	b.files = 0
	b.mu.Unlock()
	return b.e.inSpan(b.ctx, opSpan{span: BatchCommitSpan, key: "dir", name: b.dir, measures: measureFiles}, func(context.Context) (stats, error) {
		st := stats{files: files}
		if err := b.e.syncName(b.dir, &st); err != nil {
			return st, &OpError{Op: "batch", Stage: "sync dir", Path: b.e.display(b.dir), Err: syncFailed(err)}
		}
		return st, nil
	})
}
