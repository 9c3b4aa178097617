// Command crash-safe-store is a tiny key-value store that survives being
// killed in the middle of a write, built on fileops: it opens its data
// directory with fileops.Open (lock, then recovery) and replaces its one
// file atomically on every put.
//
//	go run ./examples/crash-safe-store
//
// With no flags it tells the whole story in a temporary directory: it runs
// itself as a child process that stores a few keys and kills itself (SIGKILL
// on Unix) half-way through writing the next one, then starts again on the
// same directory, prints what recovery cleaned up, shows that every key
// stored before the crash is intact, and stores the rest. The steps can also
// be run one at a time:
//
//	go run ./examples/crash-safe-store -dir /tmp/kv -crash-after 3   # killed mid-write
//	go run ./examples/crash-safe-store -dir /tmp/kv                  # recovers, finishes
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/ecopatterns/ecopatterns/fileops"
)

// dataFile is the store's one file, replaced whole by every put.
const dataFile = "store.json"

// workload is what every run stores, in order; a run skips the keys that
// are already there.
var workload = []struct{ key, value string }{
	{"alpha", "1"}, {"bravo", "2"}, {"charlie", "3"}, {"delta", "4"}, {"echo", "5"},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is main without the process. With -dir it runs the store once in that
// directory; without, it runs the demonstration in a temporary one.
func run(ctx context.Context, args []string, out io.Writer) error {
	fl := flag.NewFlagSet("crash-safe-store", flag.ContinueOnError)
	fl.SetOutput(out)
	dir := fl.String("dir", "", "data directory (empty: demonstrate a crash and its recovery in a temporary directory)")
	crashAfter := fl.Int("crash-after", 0, "kill the process in the middle of the write that follows this many puts (0: never)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *crashAfter < 0 {
		return fmt.Errorf("crash-safe-store: -crash-after = %d: must be >= 0", *crashAfter)
	}
	if *dir == "" {
		if *crashAfter != 0 {
			return errors.New("crash-safe-store: -crash-after needs -dir")
		}
		return demonstrate(ctx, out)
	}
	return serve(ctx, *dir, *crashAfter, out)
}

// demonstrate runs the store in a child process that crashes, then again
// in this process, in a fresh temporary directory.
func demonstrate(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "crash-safe-store-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(out, "data directory:", dir)

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	const crashAfter = "3"
	fmt.Fprintf(out, "run 1, a child process: crash-safe-store -dir %s -crash-after %s\n", dir, crashAfter)
	var childOut bytes.Buffer
	child := exec.CommandContext(ctx, exe, "-dir", dir, "-crash-after", crashAfter)
	child.Stdout, child.Stderr = &childOut, &childOut
	runErr := child.Run()
	for line := range strings.Lines(childOut.String()) {
		fmt.Fprint(out, "  | ", line)
	}
	var exit *exec.ExitError
	if !errors.As(runErr, &exit) {
		return fmt.Errorf("crash-safe-store: the child should have been killed, got %v", runErr)
	}
	fmt.Fprintln(out, "run 1 ended:", exit)

	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "left on disk:")
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s (%d bytes)\n", e.Name(), info.Size())
	}

	fmt.Fprintf(out, "run 2, this process: crash-safe-store -dir %s\n", dir)
	return serve(ctx, dir, 0, out)
}

// serve opens the store in dir, reports the recovery, and stores the
// workload's missing keys. With crashAfter > 0 it kills the process in the
// middle of the write that follows crashAfter puts.
func serve(ctx context.Context, dir string, crashAfter int, out io.Writer) error {
	opts := fileops.DefaultOptions()
	if crashAfter > 0 {
		// Only the crash needs the filesystem seam; without it the
		// directory is confined with os.Root.
		opts.FS = &crashFS{FS: fileops.OS(), writesLeft: crashAfter, out: out}
	}
	s, err := Open(ctx, dir, opts)
	if err != nil {
		return err
	}
	defer s.Close()

	if r := s.Recovered(); len(r.Actions) == 0 {
		fmt.Fprintln(out, "opened: nothing to recover")
	} else {
		fmt.Fprintf(out, "opened: recovery found %d leftover(s):\n", len(r.Actions))
		for _, a := range r.Actions {
			fmt.Fprintf(out, "  %s\n", a)
		}
	}
	if len(s.data) > 0 {
		fmt.Fprintf(out, "intact: %s\n", s)
	}
	for _, kv := range workload {
		if _, ok := s.Get(kv.key); ok {
			continue
		}
		if err := s.Put(ctx, kv.key, kv.value); err != nil {
			return err
		}
		fmt.Fprintf(out, "put %s=%s\n", kv.key, kv.value)
	}
	fmt.Fprintf(out, "stored: %s\n", s)
	return nil
}

// Store is a key-value store kept in one JSON file that every Put replaces
// atomically and durably: after a crash at any moment the file holds the
// state before or after the last Put, never a mix. It is not safe for
// concurrent use.
type Store struct {
	dir  *fileops.Dir
	data map[string]string
}

// Open locks dir, recovers what a crash left there and loads the store.
// It fails with fileops.ErrLocked when another process has the store open.
func Open(ctx context.Context, dir string, opts fileops.Options) (*Store, error) {
	d, err := fileops.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: d, data: map[string]string{}}
	raw, err := d.ReadFile(ctx, dataFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		d.Close()
		return nil, err
	default:
		if err := json.Unmarshal(raw, &s.data); err != nil {
			d.Close()
			return nil, fmt.Errorf("crash-safe-store: %s: %w", dataFile, err)
		}
	}
	return s, nil
}

// Recovered reports what Open cleaned up.
func (s *Store) Recovered() fileops.Report { return s.dir.Recovered() }

// Get returns the value of key.
func (s *Store) Get(key string) (string, bool) {
	v, ok := s.data[key]
	return v, ok
}

// Put sets key to value and returns once the change is on disk. On error
// the store, in memory and on disk, is unchanged.
func (s *Store) Put(ctx context.Context, key, value string) error {
	next := maps.Clone(s.data)
	next[key] = value
	raw, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := s.dir.WriteFile(ctx, dataFile, raw, 0o644); err != nil {
		return err
	}
	s.data = next
	return nil
}

// Close releases the directory's lock.
func (s *Store) Close() error { return s.dir.Close() }

// String lists the store's keys and values in key order.
func (s *Store) String() string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(s.data)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", k, s.data[k])
	}
	return b.String()
}

// crashFS is a fileops.FS that kills the process in the middle of a file
// write: it lets writesLeft writes through, then writes half of the next
// one and dies, as a power cut or an OOM kill would leave it.
type crashFS struct {
	fileops.FS
	writesLeft int
	out        io.Writer
}

func (c *crashFS) OpenFile(name string, flag int, perm fs.FileMode) (fileops.File, error) {
	f, err := c.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &crashFile{File: f, fs: c}, nil
}

type crashFile struct {
	fileops.File
	fs *crashFS
}

func (f *crashFile) Write(b []byte) (int, error) {
	if f.fs.writesLeft > 0 {
		f.fs.writesLeft--
		return f.File.Write(b)
	}
	n, _ := f.File.Write(b[:len(b)/2])
	fmt.Fprintf(f.fs.out, "killing the process after writing %d of %d bytes\n", n, len(b))
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill() // SIGKILL on Unix: no deferred call, no clean-up runs
	}
	os.Exit(137) // not reached where Kill works
	return n, nil
}
