package fileops

import (
	"context"
	"io"
	"io/fs"
	"os"
)

// stater is implemented by filesystems that can describe a name after
// following its symbolic links, as the operating system's can.
type stater interface {
	Stat(name string) (fs.FileInfo, error)
}

// readChunk is the most a single read asks for, so that ctx is checked
// between reads of a large file.
const readChunk = 1 << 20

func (e *env) readFile(ctx context.Context, name string) ([]byte, error) {
	opErr := func(stage string, err error) error {
		return &OpError{Op: "readfile", Stage: stage, Path: e.display(name), Err: err}
	}
	clean, err := checkName(name, nameRules{local: true})
	if err != nil {
		return nil, opErr("validate", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, opErr("context", err)
	}
	size, err := e.checkReadable(clean)
	if err != nil {
		return nil, opErr("open", err)
	}
	f, err := e.fsys.OpenFile(clean, os.O_RDONLY|oNonBlock, 0)
	if err != nil {
		return nil, opErr("open", err)
	}
	data, stage, err := e.readOpened(ctx, f, name, size)
	if cerr := f.Close(); err == nil && cerr != nil {
		stage, err = "close", cerr
	}
	if err != nil {
		return nil, opErr(stage, err)
	}
	return data, nil
}

// readOpened checks the type of the file just opened (the name may have
// been replaced by a FIFO since checkReadable) and reads it whole.
func (e *env) readOpened(ctx context.Context, f File, name string, size int64) ([]byte, string, error) {
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		info, err := st.Stat()
		if err != nil {
			return nil, "open", err
		}
		if !info.Mode().IsRegular() {
			return nil, "open", notRegular(e.display(name), info.Mode())
		}
		size = info.Size()
	}
	data, err := readAll(ctx, f, size)
	switch {
	case err == nil:
		return data, "", nil
	case ctx.Err() != nil && err == ctx.Err():
		return nil, "context", err
	default:
		return nil, "read", err
	}
}

// checkReadable fails unless name is a regular file (following symbolic
// links where the filesystem can), and returns its size. Through an FS
// that can only Lstat, a symbolic link is left to the check after the
// open.
func (e *env) checkReadable(name string) (int64, error) {
	var info fs.FileInfo
	var err error
	if st, ok := e.fsys.(stater); ok {
		info, err = st.Stat(name)
	} else {
		info, err = e.fsys.Lstat(name)
	}
	if err != nil {
		return 0, err
	}
	switch m := info.Mode(); {
	case m.IsRegular():
		return info.Size(), nil
	case m&fs.ModeSymlink != 0:
		return 0, nil
	default:
		return 0, notRegular(e.display(name), m)
	}
}

// readAll reads r to its end in reads of at most readChunk bytes,
// checking ctx before each; size is a hint for the first allocation.
func readAll(ctx context.Context, r io.Reader, size int64) ([]byte, error) {
	const minAlloc = 512
	if size < 0 || size > 1<<30 {
		size = 0 // a hint only: do not trust it with a huge allocation
	}
	buf := make([]byte, 0, size+minAlloc)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n := min(cap(buf)-len(buf), readChunk)
		m, err := r.Read(buf[len(buf) : len(buf)+n])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
