package fileops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Dir is a directory owned by this process: locked, recovered, and with
// every operation confined to it. Its methods take names relative to the
// directory ("config.json", "blocks/01") and refuse empty names, absolute
// names and names with ".." that leave it, with [ErrInvalidName]. Through
// the operating system's filesystem, [os.Root] also stops symbolic links
// from leading outside.
//
// Methods are safe for concurrent use. Operations on the same name are
// not coordinated with each other: each still leaves the name holding a
// whole old or new content, the last rename wins, and of two directory
// operations running at once the second may fail (a "mkdir temp" error,
// or ErrExist). Each method checks ctx before its point of no return (the
// rename) and passes it to fill functions; a cancelled ctx never
// interrupts a rename or an fsync half-way.
type Dir struct {
	e         env
	path      string
	lock      io.Closer
	root      *os.Root // nil with Options.FS
	recovered Report

	mu     sync.RWMutex
	closed bool
}

// Open takes the lock of dir (see [Lock]), then recovers it (see
// [Recover]) and returns a Dir for working in it. Recovery runs under the
// lock, so it can never remove the temporary names of another process
// that is still working, which Prometheus TSDB's clean-up before locking
// can. What recovery did is logged to opts.Logger (one record per action)
// and kept in [Dir.Recovered].
//
// The directory must exist: Open fails with an error matching
// fs.ErrNotExist that says so, unless opts.CreateMissing is set, which
// creates it and its missing parents. Open also fails when opts do not
// validate, dir is not a directory ([ErrNotDir]; a symbolic link to one is
// fine), the lock is held ([ErrLocked]), the lock file is not a regular
// file ([ErrNotRegular]), or recovery failed: a directory that may hold a
// half-done replacement is not handed out. The lock is released on
// failure.
func Open(dir string, opts Options) (*Dir, error) {
	if err := opts.Validate(); err != nil {
		return nil, &OpError{Op: "open", Stage: "validate", Path: dir, Err: fmt.Errorf("invalid options: %w", err)}
	}
	if dir == "" {
		return nil, &OpError{Op: "open", Stage: "validate", Err: errEmptyDir}
	}
	tel := opts.Telemetry
	if tel == nil {
		tel = telemetry.Default()
	}
	d := &Dir{path: dir}
	if err := d.openDir(dir, opts); err != nil {
		return nil, &OpError{Op: "open", Stage: "open", Path: dir, Err: err}
	}
	d.e.tel, d.e.logger, d.e.dirMode, d.e.prefix = tel, opts.Logger, opts.DirMode, d.path

	lock, err := d.e.fsys.Lock(LockFileName)
	if err != nil {
		d.closeRoot()
		return nil, &OpError{Op: "open", Stage: "lock", Path: d.path, Err: err}
	}
	d.lock = lock
	// Open has no context parameter (like os.OpenRoot); recovery runs once
	// here, and its span has no parent to carry.
	ctx := context.Background()
	rep, err := d.e.recover(ctx, ".", d.path)
	for _, a := range rep.Actions {
		level := slog.LevelInfo
		attrs := []slog.Attr{slog.String("dir", d.path), slog.String("path", a.Path), slog.String("kind", string(a.Kind)), slog.String("did", string(a.Did))}
		if a.Err != nil {
			level = slog.LevelError
			attrs = append(attrs, slog.Any("error", a.Err))
		}
		d.e.logger.LogAttrs(ctx, level, "fileops: recovered", attrs...)
	}
	if err != nil {
		d.lock.Close()
		d.closeRoot()
		return nil, &OpError{Op: "open", Stage: "recover", Path: d.path, Err: err}
	}
	d.recovered = rep
	return d, nil
}

// openDir checks that dir is a directory (creating it when
// opts.CreateMissing asks for it), then opens it for d. The type is
// checked first because opening a FIFO would wait for a writer.
func (d *Dir) openDir(dir string, opts Options) error {
	fsys, name := opts.FS, dir
	if fsys == nil {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		fsys, name = osFS{}, abs
	}
	info, err := fsys.Lstat(name)
	if st, ok := fsys.(stater); ok && err == nil && info.Mode()&fs.ModeSymlink != 0 {
		info, err = st.Stat(name) // a link to a directory is fine
	}
	if notExist(err) && opts.CreateMissing {
		if err = mkdirAll(fsys, name, opts.DirMode); err == nil {
			info, err = fsys.Lstat(name)
		}
	}
	switch {
	case notExist(err):
		return &missingDirError{hint: "create it first, or set Options.CreateMissing", err: err}
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%w (%s)", ErrNotDir, describeMode(info.Mode()))
	}
	if opts.FS != nil {
		d.e.fsys = subFS{fsys: opts.FS, dir: dir}
		return nil
	}
	root, err := os.OpenRoot(name)
	if err != nil {
		return err
	}
	d.path, d.root = name, root
	d.e.fsys = &rootFS{root: root, path: name}
	return nil
}

// mkdirAll creates dir and its missing parents with mode perm, and fsyncs
// the parent of each directory it created, so that the new directory
// survives a power loss like everything else this package creates.
func mkdirAll(fsys FS, dir string, perm fs.FileMode) error {
	if _, err := fsys.Lstat(dir); err == nil || !notExist(err) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAll(fsys, parent, perm); err != nil {
			return err
		}
	}
	if err := fsys.Mkdir(dir, perm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // created concurrently
		}
		return err
	}
	if err := fsys.Sync(parent); err != nil {
		return syncFailed(err)
	}
	return nil
}

func (d *Dir) closeRoot() {
	if d.root != nil {
		d.root.Close()
	}
}

// Path returns the directory's path: absolute for the operating system's
// filesystem, as given to Open otherwise.
func (d *Dir) Path() string { return d.path }

// Recovered returns what the recovery run by Open did.
func (d *Dir) Recovered() Report { return d.recovered }

// Close releases the lock. Operations must have returned, and pending
// files and batches been finished, before Close is called; later calls
// fail with an fs.ErrClosed error. Calling Close again returns nil.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	err := d.lock.Close()
	if d.root != nil {
		err = errors.Join(err, d.root.Close())
	}
	if err != nil {
		return &OpError{Op: "close", Path: d.path, Err: err}
	}
	return nil
}

// enter holds the Dir open for one method; it fails once Close was called.
func (d *Dir) enter(op, name string) error {
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		return &OpError{Op: op, Stage: "validate", Path: d.e.display(name), Err: fs.ErrClosed}
	}
	return nil
}

func (d *Dir) leave() { d.mu.RUnlock() }

// WriteFile is [WriteFile] for the file name in the directory.
func (d *Dir) WriteFile(ctx context.Context, name string, data []byte, perm fs.FileMode) error {
	if err := d.enter("writefile", name); err != nil {
		return err
	}
	defer d.leave()
	return d.e.writeFile(ctx, "writefile", name, data, FileOptions{Mode: perm, Perm: PermUmask, Durability: Durable}, nil)
}

// ReadFile returns the content of the file name in the directory, read
// through the directory's filesystem and confined to it like every other
// method. As every write of this package replaces a file whole, it returns
// one whole version. A missing file is an error matching fs.ErrNotExist;
// names of temporary files and of the lock file are refused with
// [ErrInvalidName].
//
// Only regular files are read: a FIFO, socket, device or directory, or a
// symbolic link to one, is refused with [ErrNotRegular] before it is
// opened, because opening or reading it can block for ever. The open does
// not wait on Unix (O_NONBLOCK), and the file's type is checked again once
// it is open, so a file swapped in between is refused too. ctx is checked
// before the open and between reads of at most 1 MiB; a single read of a
// regular file is not interruptible, as no system call on one is.
func (d *Dir) ReadFile(ctx context.Context, name string) ([]byte, error) {
	if err := d.enter("readfile", name); err != nil {
		return nil, err
	}
	defer d.leave()
	return d.e.readFile(ctx, name)
}

// NewPendingFile is [NewPendingFile] for the file name in the directory.
// ctx is checked again by CloseAtomicallyReplace before it renames.
func (d *Dir) NewPendingFile(ctx context.Context, name string, opts FileOptions) (*PendingFile, error) {
	if err := d.enter("pendingfile", name); err != nil {
		return nil, err
	}
	defer d.leave()
	if err := opts.Validate(); err != nil {
		return nil, &OpError{Op: "pendingfile", Stage: "validate", Path: d.e.display(name), Err: err}
	}
	return d.e.openPending(ctx, "pendingfile", name, opts, nil)
}

// NewBatch is [NewBatch] for the directory sub (use "." for the directory
// itself). ctx is checked by each of the batch's files before it renames.
func (d *Dir) NewBatch(ctx context.Context, sub string, opts FileOptions) (*Batch, error) {
	if err := d.enter("batch", sub); err != nil {
		return nil, err
	}
	defer d.leave()
	return d.e.newBatch(ctx, sub, opts)
}

// CreateDir is [CreateDir] for the directory name in the directory, with
// the directory mode of Options.DirMode. fill receives ctx and the
// temporary directory's path: for the operating system's filesystem an
// ordinary path below [Dir.Path]; with Options.FS, a name of that FS.
// fill is trusted code: it may write anywhere it likes.
func (d *Dir) CreateDir(ctx context.Context, name string, fill func(ctx context.Context, tmp string) error) error {
	if err := d.enter("createdir", name); err != nil {
		return err
	}
	defer d.leave()
	return d.e.createDir(ctx, "createdir", name, fill, false)
}

// ReplaceDir is [ReplaceDir] for the directory name in the directory,
// with fill as in [Dir.CreateDir].
func (d *Dir) ReplaceDir(ctx context.Context, name string, fill func(ctx context.Context, tmp string) error) error {
	if err := d.enter("replacedir", name); err != nil {
		return err
	}
	defer d.leave()
	return d.e.createDir(ctx, "replacedir", name, fill, true)
}

// RemoveDir is [RemoveDir] for the directory name in the directory.
func (d *Dir) RemoveDir(ctx context.Context, name string) error {
	if err := d.enter("removedir", name); err != nil {
		return err
	}
	defer d.leave()
	return d.e.removeDir(ctx, name)
}

// Recover runs [Recover] on the directory again. Under the Dir's lock no
// other process can be working in it, but this process can: call it only
// when none of the Dir's operations is running.
func (d *Dir) Recover(ctx context.Context) (Report, error) {
	if err := d.enter("recover", "."); err != nil {
		return Report{Dir: d.path}, err
	}
	defer d.leave()
	return d.e.recover(ctx, ".", d.path)
}
