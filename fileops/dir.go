package fileops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// CreateDir creates the directory path with the content fill puts in it,
// atomically and durably: path does not exist until it is complete, and
// once CreateDir returns nil it survives a power loss.
//
// fill receives the path of an empty directory, path + ".tmp-for-creation",
// created with mode 0755 minus the umask, and writes the content there
// with any API (plain os calls will do; CreateDir fsyncs what fill wrote).
// Then CreateDir fsyncs every regular file and directory in the tree,
// renames the directory to path without replacing anything (renameat2
// RENAME_NOREPLACE or renamex_np RENAME_EXCL where available, a check then
// a rename elsewhere), and fsyncs path's parent.
//
// It fails with [ErrExist] when path exists, whatever it is (a directory,
// a file, a symbolic link). When fill returns an error or panics, or any
// step fails, the temporary directory is removed and path is left absent.
// It fails when the temporary directory already exists: an interrupted
// operation left it (run [Recover]) or a concurrent one is using it.
func CreateDir(path string, fill func(tmp string) error) error {
	e := osEnv()
	return e.createDir(noCaller(), "createdir", path, adaptFill(fill), false)
}

// ReplaceDir replaces the directory path with the content fill puts in
// it, atomically and durably: path holds the old content or the new one,
// never a mix, and once ReplaceDir returns nil the new content survives a
// power loss. When path does not exist it is created as by CreateDir.
//
// The new content is built and synced as in [CreateDir]. Where the
// filesystem can exchange two names atomically (Linux renameat2
// RENAME_EXCHANGE, macOS renamex_np RENAME_SWAP), one exchange publishes
// it. Elsewhere the old copy is first renamed to path +
// ".tmp-for-replacement", then the new one to path: a crash between the
// two leaves path missing, but both copies remain, the new one complete
// and synced, and [Recover] publishes it. Unlike Prometheus's Replace,
// which removes the old copy before renaming the new one, there is no
// moment at which a crash can lose both. The parent is fsynced, then the
// old copy removed.
//
// A symbolic link at path is replaced, not followed: its target is left
// alone. ReplaceDir fails with [ErrNotDir] when path is another kind of
// file.
func ReplaceDir(path string, fill func(tmp string) error) error {
	e := osEnv()
	return e.createDir(noCaller(), "replacedir", path, adaptFill(fill), true)
}

// RemoveDir removes the directory path and everything in it, so that a
// crash never leaves part of it under its name: it renames path to
// path + ".tmp-for-deletion", fsyncs the parent, then removes the renamed
// tree. Once the rename is durable the directory is gone for every reader
// and for [Recover], which finishes an interrupted removal.
//
// A symbolic link at path is removed, not followed. RemoveDir fails with
// an fs.ErrNotExist error when path does not exist and with [ErrNotDir]
// when it is another kind of file. An error at the stage "remove" means
// path is gone but some of its content is still on disk under the
// temporary name, for Recover to remove.
func RemoveDir(path string) error {
	e := osEnv()
	return e.removeDir(noCaller(), path)
}

func adaptFill(fill func(string) error) func(context.Context, string) error {
	if fill == nil {
		return nil
	}
	return func(_ context.Context, tmp string) error { return fill(tmp) }
}

var errNilFill = errors.New("fill function is nil")

func (e *env) createDir(ctx context.Context, op, name string, fill func(context.Context, string) error, replace bool) error {
	o := opSpan{span: CreateDirSpan, key: "path", name: name, measures: measureBytes | measureFiles}
	if replace {
		o.span = ReplaceDirSpan
	}
	return e.inSpan(ctx, o, func(ctx context.Context) (stats, error) {
		var st stats
		method, err := e.createDirSteps(ctx, op, name, fill, replace, &st)
		if replace {
			st.method = method
		}
		return st, err
	})
}

// createDirSteps creates (or, with replace, replaces) the directory name
// with the tree fill writes, in phases: check the destination, build the
// tree in a temporary directory and make it durable, publish it under
// name, and make the new name durable. It returns how the tree was
// published ("create", "exchange" or "two-step"), "" before publishing.
func (e *env) createDirSteps(ctx context.Context, op, name string, fill func(context.Context, string) error, replace bool, st *stats) (method string, err error) {
	opErr := e.opErrs(op, &name)
	clean, err := checkName(name, nameRules{local: e.prefix != "", dir: true})
	if err != nil {
		return "", opErr("validate", err)
	}
	name = clean
	exists, stage, err := e.checkDirDestination(ctx, name, fill, replace)
	if err != nil {
		return "", opErr(stage, err)
	}
	tmp := sibling(name, tempDirName(filepath.Base(name), KindCreation))
	if err := e.mkdirTemp(tmp); err != nil {
		return "", opErr("mkdir temp", err)
	}
	// keep is set once tmp must outlive this call: after it was published,
	// or when recovery needs it to roll forward.
	keep := false
	defer func() {
		if !keep {
			e.cleanupFailed(ctx, tmp, e.removeAll(tmp))
		}
	}()
	if stage, err := e.fillTree(ctx, tmp, fill, st); err != nil {
		return "", opErr(stage, err)
	}
	method, old, keep, err := e.publishDir(tmp, name, exists, replace)
	if err != nil {
		return "", opErr("publish", err)
	}
	// The rename changed the parent directory; only its fsync makes the
	// new name durable.
	if err := e.syncName(parentOf(name), st); err != nil {
		return method, opErr("sync dir", syncFailed(err))
	}
	if old != "" {
		e.cleanupFailed(ctx, old, e.removeAll(old))
	}
	return method, nil
}

// checkDirDestination checks, before anything is written, that fill is set,
// that ctx is live and that name may be created (or, with replace,
// replaced): it returns whether name exists, or the stage that failed and
// why.
func (e *env) checkDirDestination(ctx context.Context, name string, fill func(context.Context, string) error, replace bool) (exists bool, stage string, err error) {
	if fill == nil {
		return false, "validate", errNilFill
	}
	if err := ctx.Err(); err != nil {
		return false, "context", err
	}
	info, err := e.fsys.Lstat(name)
	exists = err == nil
	switch {
	case err != nil && !notExist(err):
		return false, "check destination", err
	case exists && !replace:
		return false, "check destination", fmt.Errorf("%w (%s)", ErrExist, describeMode(info.Mode()))
	case exists && !info.IsDir() && info.Mode()&fs.ModeSymlink == 0:
		return false, "check destination", fmt.Errorf("%w (%s)", ErrNotDir, describeMode(info.Mode()))
	}
	return exists, "", nil
}

// mkdirTemp makes the temporary directory tmp, explaining a clash.
func (e *env) mkdirTemp(tmp string) error {
	if err := e.fsys.Mkdir(tmp, e.dirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%w (an interrupted operation left it, and Recover removes it; or a concurrent operation on the same path is using it)", err)
		}
		return e.explainMissing(tmp, err)
	}
	return nil
}

// fillTree has fill write the tree in tmp and makes the tree durable, or
// returns the stage that failed and why.
func (e *env) fillTree(ctx context.Context, tmp string, fill func(context.Context, string) error, st *stats) (stage string, err error) {
	if err := fill(ctx, e.display(tmp)); err != nil {
		return "fill", err
	}
	if err := ctx.Err(); err != nil {
		return "context", err
	}
	// Every file's data and every directory's entries must be on disk
	// before the tree gets its final name; otherwise a crash can publish
	// a directory with missing or empty files.
	if err := e.syncTree(tmp, st); err != nil {
		return "sync tree", err
	}
	return "", nil
}

// publishDir gives the complete tree at tmp the name name: by a rename
// that does not replace when name did not exist, otherwise (or when
// something appeared at name since the check, with replace) by replacing
// what is there. It returns how ("create", "exchange" or "two-step"), where
// the old copy now is when it is to be removed, and keep, set when tmp
// must not be removed: it was published, or recovery needs it.
func (e *env) publishDir(tmp, name string, exists, replace bool) (method, old string, keep bool, err error) {
	if !exists {
		err := e.renameNoReplace(tmp, name)
		switch {
		case err == nil:
			return "create", "", true, nil
		case replace && errors.Is(err, fs.ErrExist):
			// Something appeared at name since the check: replace it.
		case errors.Is(err, fs.ErrExist):
			return "", "", false, fmt.Errorf("%w: %w", ErrExist, err)
		default:
			return "", "", false, err
		}
	}
	return e.replaceDir(tmp, name)
}

// replaceDir replaces what is at name with the tree at tmp: by an atomic
// exchange where the file system has one, otherwise in two steps, moving
// the old copy aside first. Its results are those of publishDir.
func (e *env) replaceDir(tmp, name string) (method, old string, keep bool, err error) {
	err = e.fsys.Rename(tmp, name, RenameExchange)
	switch {
	case err == nil:
		return "exchange", tmp, true, nil
	case !errors.Is(err, ErrUnsupported):
		return "", "", false, err
	}
	repl := sibling(name, tempDirName(filepath.Base(name), KindReplacement))
	if err := e.renameNoReplace(name, repl); err != nil {
		return "", "", false, err
	}
	if err := e.renameNoReplace(tmp, name); err != nil {
		if rerr := e.renameNoReplace(repl, name); rerr != nil {
			// name is missing, the old copy is at repl and the complete
			// new one at tmp: recovery publishes it.
			return "", "", true, errors.Join(err, rerr)
		}
		return "", "", false, err
	}
	return "two-step", repl, true, nil
}

// syncTree fsyncs every regular file and directory below name, children
// before parents, then name itself. Symbolic links and special files are
// not opened: their entries are made durable by their directory's fsync.
func (e *env) syncTree(name string, st *stats) error {
	entries, err := e.fsys.ReadDir(name)
	if err != nil {
		return err
	}
	for _, ent := range entries {
		child := filepath.Join(name, ent.Name())
		switch {
		case ent.IsDir():
			if err := e.syncTree(child, st); err != nil {
				return err
			}
		case ent.Type().IsRegular():
			st.files++
			if info, err := ent.Info(); err == nil {
				st.bytes += info.Size()
			}
			if err := e.syncName(child, st); err != nil {
				return syncFailed(err)
			}
		}
	}
	if err := e.syncName(name, st); err != nil {
		return syncFailed(err)
	}
	return nil
}

func (e *env) removeDir(ctx context.Context, name string) error {
	return e.inSpan(ctx, opSpan{span: RemoveDirSpan, key: "path", name: name}, func(ctx context.Context) (stats, error) {
		var st stats
		err := e.removeDirSteps(ctx, name, &st)
		return st, err
	})
}

func (e *env) removeDirSteps(ctx context.Context, name string, st *stats) error {
	opErr := e.opErrs("removedir", &name)
	clean, err := checkName(name, nameRules{local: e.prefix != "", dir: true})
	if err != nil {
		return opErr("validate", err)
	}
	name = clean
	if err := ctx.Err(); err != nil {
		return opErr("context", err)
	}
	info, err := e.fsys.Lstat(name)
	if err != nil {
		return opErr("check destination", err)
	}
	if !info.IsDir() && info.Mode()&fs.ModeSymlink == 0 {
		return opErr("check destination", fmt.Errorf("%w (%s)", ErrNotDir, describeMode(info.Mode())))
	}
	del := sibling(name, tempDirName(filepath.Base(name), KindDeletion))
	// Finish a removal that a crash interrupted, so the name is free.
	if err := e.removeAll(del); err != nil {
		return opErr("remove", err)
	}
	if err := e.renameNoReplace(name, del); err != nil {
		return opErr("rename", err)
	}
	// The rename must be durable before any of the content goes: removals
	// inside the tree could otherwise reach the disk first, and a crash
	// would leave a half-emptied directory under the old name.
	if err := e.syncName(parentOf(name), st); err != nil {
		return opErr("sync dir", syncFailed(err))
	}
	if err := e.removeAll(del); err != nil {
		return opErr("remove", err)
	}
	return nil
}

// describeMode names the type of a file for error messages.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m.IsRegular():
		return "a regular file"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}
