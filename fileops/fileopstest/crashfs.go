package fileopstest

import (
	"errors"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// CrashFS is an in-memory [fileops.FS] that can lose power, in the way of
// Pebble's MemFS crash clones. It keeps, for every file, the data as of
// its last fsync and the writes since, and for every directory, its
// entries as of its last fsync and the changes since (creations, removals,
// renames). [CrashFS.Crash] drops everything unsynced; [CrashFS.CrashRandom]
// keeps a random prefix of each file's and each directory's unsynced
// changes, independently; [CrashFS.CrashReordered] keeps a random subset
// of each directory's changes, which is all POSIX allows one to count on:
// nothing reaches the disk in a promised order unless an fsync separated
// it.
//
// Its model is pessimistic on purpose. fsync of a file does not make the
// file's directory entry durable (only fsync of the directory does, as
// POSIX says, although ext4 often does both); a rename is one atomic
// change of its directory; a new directory's own entries are lost unless
// it is synced itself.
//
// Names are slash- or separator-separated paths from the filesystem's
// root; absolute and relative names mean the same. There are no symbolic
// links. Modes are kept but not enforced. CrashFS is safe for concurrent
// use.
type CrashFS struct {
	mu    sync.Mutex
	root  *node
	nodes []*node // every node ever created, reset by a crash
	gen   int     // handles from an earlier generation fail
	locks map[string]bool
}

var (
	_ fileops.FS   = (*CrashFS)(nil)
	_ fileops.File = (*crashFile)(nil)
)

type node struct {
	dir  bool
	mode fs.FileMode

	// A file's data now, as of its last fsync, and the writes since.
	data, durable []byte
	writes        []fileWrite

	// A directory's entries now, as of its last fsync, and the changes
	// since; each change is applied atomically.
	entries, durEntries map[string]*node
	changes             [][]entryChange
}

type fileWrite struct {
	off  int64
	data []byte
	size int64 // for a truncation (data nil): the new size
}

type entryChange struct {
	name string
	n    *node // nil removes the entry
}

var (
	errNotEmpty = errors.New("directory not empty")
	errIsDir    = errors.New("is a directory")
	errNotDir   = errors.New("not a directory")
	errCrashed  = errors.New("crashfs: file handle opened before a crash")
	errInvalid  = errors.New("invalid argument")
)

// NewCrashFS returns an empty CrashFS whose root directory exists and is
// durable.
func NewCrashFS() *CrashFS {
	c := &CrashFS{locks: make(map[string]bool)}
	c.root = c.newNode(true, fs.ModePerm)
	return c
}

func (c *CrashFS) newNode(dir bool, mode fs.FileMode) *node {
	n := &node{dir: dir, mode: mode}
	if dir {
		n.entries, n.durEntries = make(map[string]*node), make(map[string]*node)
	}
	c.nodes = append(c.nodes, n)
	return n
}

// Crash simulates a power loss that keeps only what was synced: every
// file's data reverts to its last fsync, every directory's entries to its
// last fsync. Open files become unusable and locks are released.
func (c *CrashFS) Crash() {
	c.crash(nil, false)
}

// CrashRandom simulates a power loss that kept, independently for every
// file and every directory, a prefix of its unsynced changes chosen with
// r, possibly with the last write of the prefix torn part-way. Everything
// synced is kept. It models a filesystem that journals each directory's
// changes in order but orders nothing across directories, or between a
// file's data and its directory.
func (c *CrashFS) CrashRandom(r *rand.Rand) {
	c.crash(r, false)
}

// CrashReordered is CrashRandom without even the order within a
// directory: every directory keeps a random subset of its unsynced
// changes, each applied whole. POSIX promises no order among changes that
// no fsync separated, so code that survives CrashReordered relies on fsync
// alone. It can reach states that journaling filesystems never do, such
// as two names for one file when a rename lands without the rename before
// it.
func (c *CrashFS) CrashReordered(r *rand.Rand) {
	c.crash(r, true)
}

// crash keeps what was synced and, with r, a random part of the rest: a
// prefix, or with subsets a random subset of each directory's changes.
func (c *CrashFS) crash(r *rand.Rand, subsets bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := func(n int) int {
		if r == nil {
			return 0
		}
		return r.IntN(n + 1)
	}
	for _, n := range c.nodes {
		if n.dir {
			entries := maps.Clone(n.durEntries)
			if subsets && r != nil {
				for _, ch := range n.changes {
					if r.IntN(2) == 0 {
						applyChange(entries, ch)
					}
				}
			} else {
				for _, ch := range n.changes[:keep(len(n.changes))] {
					applyChange(entries, ch)
				}
			}
			n.entries, n.durEntries, n.changes = entries, maps.Clone(entries), nil
			continue
		}
		data := slices.Clone(n.durable)
		k := keep(len(n.writes))
		for _, w := range n.writes[:k] {
			data = applyWrite(data, w)
		}
		if r != nil && k < len(n.writes) && n.writes[k].data != nil && r.IntN(2) == 0 {
			torn := n.writes[k]
			torn.data = torn.data[:r.IntN(len(torn.data)+1)]
			data = applyWrite(data, torn)
		}
		n.data, n.durable, n.writes = data, slices.Clone(data), nil
	}
	c.gen++
	clear(c.locks)
}

// SyncAll makes everything durable, as if every file and directory had
// been synced: the starting state of a test.
func (c *CrashFS) SyncAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.dir {
			n.durEntries, n.changes = maps.Clone(n.entries), nil
		} else {
			n.durable, n.writes = slices.Clone(n.data), nil
		}
	}
}

func applyChange(entries map[string]*node, ch []entryChange) {
	for _, e := range ch {
		if e.n == nil {
			delete(entries, e.name)
		} else {
			entries[e.name] = e.n
		}
	}
}

func applyWrite(data []byte, w fileWrite) []byte {
	if w.data == nil {
		if w.size < int64(len(data)) {
			return data[:w.size]
		}
		return append(data, make([]byte, w.size-int64(len(data)))...)
	}
	if end := w.off + int64(len(w.data)); end > int64(len(data)) {
		data = append(data, make([]byte, end-int64(len(data)))...)
	}
	copy(data[w.off:], w.data)
	return data
}

// change records an atomic change of dir's entries and applies it.
func (n *node) change(ch ...entryChange) {
	n.changes = append(n.changes, ch)
	applyChange(n.entries, ch)
}

// write records a write (or truncation) of the file and applies it.
func (n *node) write(w fileWrite) {
	n.writes = append(n.writes, w)
	n.data = applyWrite(n.data, w)
}

func (n *node) sync() {
	if n.dir {
		n.durEntries, n.changes = maps.Clone(n.entries), nil
	} else {
		n.durable, n.writes = slices.Clone(n.data), nil
	}
}

// split turns a name into its elements; the root has none.
func split(name string) ([]string, error) {
	clean := filepath.ToSlash(filepath.Clean(name))
	clean = strings.TrimLeft(clean, "/")
	if clean == "." || clean == "" {
		return nil, nil
	}
	parts := strings.Split(clean, "/")
	if slices.Contains(parts, "..") {
		return nil, errInvalid
	}
	return parts, nil
}

// lookup returns the node at name. Callers hold c.mu.
func (c *CrashFS) lookup(op, name string) (*node, error) {
	parts, err := split(name)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	n := c.root
	for _, p := range parts {
		if !n.dir {
			return nil, &fs.PathError{Op: op, Path: name, Err: errNotDir}
		}
		next, ok := n.entries[p]
		if !ok {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		n = next
	}
	return n, nil
}

// parent returns the directory holding name and name's last element.
// Callers hold c.mu.
func (c *CrashFS) parent(op, name string) (*node, string, error) {
	parts, err := split(name)
	if err != nil {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	if len(parts) == 0 {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: errInvalid}
	}
	dir, err := c.lookup(op, strings.Join(parts[:len(parts)-1], "/"))
	if err != nil {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err.(*fs.PathError).Err}
	}
	if !dir.dir {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: errNotDir}
	}
	return dir, parts[len(parts)-1], nil
}

// OpenFile implements fileops.FS. It honours O_RDONLY, O_WRONLY, O_RDWR,
// O_CREATE, O_EXCL, O_TRUNC and O_APPEND.
func (c *CrashFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir, base, err := c.parent("open", name)
	if err != nil {
		if parts, _ := split(name); len(parts) == 0 && flag&(os.O_WRONLY|os.O_RDWR|os.O_CREATE) == 0 {
			return &crashFile{c: c, n: c.root, gen: c.gen, name: name, flag: flag}, nil
		}
		return nil, err
	}
	writable := flag&(os.O_WRONLY|os.O_RDWR) != 0
	n, ok := dir.entries[base]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case ok && n.dir && (writable || flag&os.O_TRUNC != 0):
		return nil, &fs.PathError{Op: "open", Path: name, Err: errIsDir}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		n = c.newNode(false, perm&fs.ModePerm)
		dir.change(entryChange{name: base, n: n})
	case flag&os.O_TRUNC != 0 && writable:
		n.write(fileWrite{size: 0})
	}
	return &crashFile{c: c, n: n, gen: c.gen, name: name, flag: flag}, nil
}

// Lstat implements fileops.FS.
func (c *CrashFS) Lstat(name string) (fs.FileInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.lookup("lstat", name)
	if err != nil {
		return nil, err
	}
	return n.info(filepath.Base(name)), nil
}

func (n *node) info(name string) fs.FileInfo {
	return fileInfo{name: name, size: int64(len(n.data)), mode: n.typeBits() | n.mode}
}

func (n *node) typeBits() fs.FileMode {
	if n.dir {
		return fs.ModeDir
	}
	return 0
}

// ReadDir implements fileops.FS.
func (c *CrashFS) ReadDir(name string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.lookup("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	names := slices.Sorted(maps.Keys(n.entries))
	out := make([]fs.DirEntry, len(names))
	for i, nm := range names {
		out[i] = fs.FileInfoToDirEntry(n.entries[nm].info(nm))
	}
	return out, nil
}

// Mkdir implements fileops.FS.
func (c *CrashFS) Mkdir(name string, perm fs.FileMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir, base, err := c.parent("mkdir", name)
	if err != nil {
		return err
	}
	if _, ok := dir.entries[base]; ok {
		return &fs.PathError{Op: "mkdir", Path: name, Err: fs.ErrExist}
	}
	dir.change(entryChange{name: base, n: c.newNode(true, perm&fs.ModePerm)})
	return nil
}

// Remove implements fileops.FS.
func (c *CrashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	dir, base, err := c.parent("remove", name)
	if err != nil {
		return err
	}
	n, ok := dir.entries[base]
	if !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if n.dir && len(n.entries) > 0 {
		return &fs.PathError{Op: "remove", Path: name, Err: errNotEmpty}
	}
	dir.change(entryChange{name: base})
	return nil
}

// Rename implements fileops.FS, including RenameNoReplace and
// RenameExchange.
func (c *CrashFS) Rename(oldname, newname string, how fileops.RenameMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	fail := func(err error) error {
		return &os.LinkError{Op: "rename (" + how.String() + ")", Old: oldname, New: newname, Err: err}
	}
	od, ob, err := c.parent("rename", oldname)
	if err != nil {
		return fail(err.(*fs.PathError).Err)
	}
	nd, nb, err := c.parent("rename", newname)
	if err != nil {
		return fail(err.(*fs.PathError).Err)
	}
	src, ok := od.entries[ob]
	if !ok {
		return fail(fs.ErrNotExist)
	}
	if src.dir && (nd == src || c.below(nd, src)) {
		return fail(errInvalid)
	}
	dst, exists := nd.entries[nb]
	if dst == src {
		return nil
	}
	switch how {
	case fileops.RenameExchange:
		if !exists {
			return fail(fs.ErrNotExist)
		}
		if dst.dir && (od == dst || c.below(od, dst)) {
			return fail(errInvalid)
		}
		if od == nd {
			od.change(entryChange{name: ob, n: dst}, entryChange{name: nb, n: src})
		} else {
			od.change(entryChange{name: ob, n: dst})
			nd.change(entryChange{name: nb, n: src})
		}
		return nil
	case fileops.RenameNoReplace:
		if exists {
			return fail(fs.ErrExist)
		}
	case fileops.RenameReplace:
		switch {
		case !exists:
		case dst.dir && !src.dir:
			return fail(errIsDir)
		case !dst.dir && src.dir:
			return fail(errNotDir)
		case dst.dir && len(dst.entries) > 0:
			return fail(errNotEmpty)
		}
	default:
		return fail(errInvalid)
	}
	if od == nd {
		od.change(entryChange{name: ob}, entryChange{name: nb, n: src})
	} else {
		nd.change(entryChange{name: nb, n: src})
		od.change(entryChange{name: ob})
	}
	return nil
}

// below reports whether directory d lies below directory top.
func (c *CrashFS) below(d, top *node) bool {
	for _, child := range top.entries {
		if child == d || (child.dir && c.below(d, child)) {
			return true
		}
	}
	return false
}

// Sync implements fileops.FS: it makes a file's data, or a directory's
// entries, durable.
func (c *CrashFS) Sync(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.lookup("sync", name)
	if err != nil {
		return err
	}
	n.sync()
	return nil
}

// Lock implements fileops.FS with an in-memory lock table; a crash
// releases every lock.
func (c *CrashFS) Lock(name string) (io.Closer, error) {
	f, err := c.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	f.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	key := filepath.ToSlash(filepath.Clean(name))
	if c.locks[key] {
		return nil, &fs.PathError{Op: "lock", Path: name, Err: fileops.ErrLocked}
	}
	c.locks[key] = true
	return &crashLock{c: c, key: key, gen: c.gen}, nil
}

type crashLock struct {
	c    *CrashFS
	key  string
	gen  int
	once sync.Once
}

func (l *crashLock) Close() error {
	l.once.Do(func() {
		l.c.mu.Lock()
		defer l.c.mu.Unlock()
		if l.gen == l.c.gen {
			delete(l.c.locks, l.key)
		}
	})
	return nil
}

// ReadFile returns the current content of the file name.
func (c *CrashFS) ReadFile(name string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.lookup("read", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errIsDir}
	}
	return slices.Clone(n.data), nil
}

// WriteFile creates or truncates the file name and writes data, without
// syncing anything: a convenience for building test trees.
func (c *CrashFS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// MkdirAll creates the directory name and any missing parents, without
// syncing anything.
func (c *CrashFS) MkdirAll(name string, perm fs.FileMode) error {
	parts, err := split(name)
	if err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if err := c.Mkdir(p, perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}

type crashFile struct {
	c      *CrashFS
	n      *node
	gen    int
	name   string
	flag   int
	off    int64
	closed bool
}

// check returns why the handle cannot be used. Callers hold c.mu.
func (f *crashFile) check(op string) error {
	switch {
	case f.closed:
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	case f.gen != f.c.gen:
		return &fs.PathError{Op: op, Path: f.name, Err: errCrashed}
	}
	return nil
}

func (f *crashFile) Read(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if f.n.dir {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: errIsDir}
	}
	if f.flag&os.O_WRONLY != 0 {
		return 0, &fs.PathError{Op: "read", Path: f.name, Err: fs.ErrPermission}
	}
	if f.off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.off:])
	f.off += int64(n)
	return n, nil
}

func (f *crashFile) Write(p []byte) (int, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if f.flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	if f.flag&os.O_APPEND != 0 {
		f.off = int64(len(f.n.data))
	}
	f.n.write(fileWrite{off: f.off, data: slices.Clone(p)})
	f.off += int64(len(p))
	return len(p), nil
}

func (f *crashFile) Sync() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("sync"); err != nil {
		return err
	}
	f.n.sync()
	return nil
}

func (f *crashFile) Chmod(mode fs.FileMode) error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if err := f.check("chmod"); err != nil {
		return err
	}
	f.n.mode = mode & fs.ModePerm
	return nil
}

func (f *crashFile) Close() error {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	return nil
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return nil }
