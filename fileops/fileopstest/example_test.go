package fileopstest_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/ecopatterns/ecopatterns/fileops"
	"github.com/ecopatterns/ecopatterns/fileops/fileopstest"
)

// Cut the power right after a write returns: a durable write survives, an
// atomic-only one may come back as the old content, never torn.
func ExampleCrashFS() {
	c := fileopstest.NewCrashFS()
	_ = c.Mkdir("data", 0o755)
	c.SyncAll() // the starting state is on disk
	opts := fileops.DefaultOptions()
	opts.FS = c
	d, err := fileops.Open("data", opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = d.WriteFile(ctx, "durable", []byte("v1"), 0o644)

	fo := fileops.DefaultFileOptions()
	fo.Durability = fileops.AtomicOnly
	p, _ := d.NewPendingFile(ctx, "atomic", fo)
	_, _ = p.Write([]byte("v1"))
	_ = p.CloseAtomicallyReplace()

	c.Crash()
	for _, name := range []string{"data/durable", "data/atomic"} {
		b, err := c.ReadFile(name)
		fmt.Printf("%s: %q %v\n", name, b, err)
	}
	// Output:
	// data/durable: "v1" <nil>
	// data/atomic: "" read data/atomic: file does not exist
}

// Fill the disk in the middle of a write: the error says where it failed,
// and the old content is intact.
func ExampleErrorFS() {
	c := fileopstest.NewCrashFS()
	_ = c.Mkdir("data", 0o755)
	_ = c.WriteFile("data/config", []byte("old"), 0o644)
	efs := fileopstest.NewErrorFS(c)
	opts := fileops.DefaultOptions()
	opts.FS = efs
	d, err := fileops.Open("data", opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	efs.Inject(fileopstest.Injection{Only: []fileopstest.Call{fileopstest.CallWrite}, Err: syscall.ENOSPC})
	err = d.WriteFile(context.Background(), "config", []byte("new"), 0o644)
	var oe *fileops.OpError
	if errors.As(err, &oe) {
		fmt.Println(oe.Op, oe.Stage, errors.Is(err, syscall.ENOSPC))
	}
	b, _ := c.ReadFile("data/config")
	snap, _ := fileopstest.Snapshot(c, "data")
	fmt.Println(string(b), len(snap))
	// Output:
	// writefile write true
	// old 1
}
