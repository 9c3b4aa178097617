package apisurface_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/internal/apisurface"
)

var update = flag.Bool("update", false, "rewrite api.txt at the repository root from the current code")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestRootModuleAPI fails when the root module's exported API differs from
// api.txt at the repository root.
func TestRootModuleAPI(t *testing.T) {
	apisurface.Check(t, "../..", "api.txt", *update, "go test ./internal/apisurface -update")
}

// fakeModule is a module that exercises every kind of declaration.
var fakeModule = map[string]string{
	"go.mod": "module example.com/fake\n\ngo 1.25\n",
	"fake.go": `package fake

import (
	"context"
	"io"
)

const Answer = 42
const Typed Mode = 2
const hidden = 1

var ErrGone error

type Mode int

func (Mode) String() string { return "" }

type Options struct {
	Name    string
	Timeout int
	secret  bool
	io.Reader
}

func (*Options) Validate() error { return nil }

type Runner interface {
	Run(ctx context.Context, args ...string) (int, error)
	io.Closer
}

type List[T comparable] struct{ items []T }

func (l *List[T]) Add(v T) {}

type Alias = Options

func New[T any](ctx context.Context, opts Options, vals ...T) (*List[int], error) { return nil, nil }

func unexported() {}
`,
	"sub/sub.go":           "package sub\n\n// F is exported.\nfunc F() {}\n",
	"internal/x/x.go":      "package x\n\nfunc Hidden() {}\n",
	"examples/demo/lib.go": "package demo\n\nfunc Hidden() {}\n",
	"cmd/tool/main.go":     "package main\n\nfunc Exported() {}\n\nfunc main() {}\n",
}

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

func TestLines(t *testing.T) {
	dir := writeModule(t, fakeModule)
	lines, err := apisurface.Lines(dir)
	require.NoError(t, err)
	require.Equal(t, []string{
		"pkg fake, const Answer untyped int = 42",
		"pkg fake, const Typed Mode = 2",
		"pkg fake, func New[T any](context.Context, Options, ...T) (*List[int], error)",
		"pkg fake, method (*List[T]) Add(T)",
		"pkg fake, method (*Options) Validate() error",
		"pkg fake, method (Mode) String() string",
		"pkg fake, method (Options) Read([]byte) (int, error)", // promoted from io.Reader
		"pkg fake, type Alias = Options",
		"pkg fake, type List[T comparable] struct",
		"pkg fake, type Mode int",
		"pkg fake, type Options struct",
		"pkg fake, type Options struct, Name string",
		"pkg fake, type Options struct, Timeout int",
		"pkg fake, type Options struct, embedded io.Reader",
		"pkg fake, type Runner interface { Close, Run }",
		"pkg fake, type Runner interface, Close() error",
		"pkg fake, type Runner interface, Run(context.Context, ...string) (int, error)",
		"pkg fake, var ErrGone error",
		"pkg sub, func F()",
	}, lines)
}

// TestCheckFailsOnDrift changes the fake module's API after writing its file
// and expects the check to fail with both forms of the changed line.
func TestCheckFailsOnDrift(t *testing.T) {
	dir := writeModule(t, fakeModule)
	apisurface.Check(t, dir, "api.txt", true, "regen")
	apisurface.Check(t, dir, "api.txt", false, "regen") // unchanged: passes

	src := filepath.Join(dir, "sub", "sub.go")
	require.NoError(t, os.WriteFile(src, []byte("package sub\n\nfunc F(n int) {}\n\nfunc G() {}\n"), 0o644))
	rec := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }() // Fatalf stops the check by panicking in recorder
		apisurface.Check(rec, dir, "api.txt", false, "regen")
	}()
	require.Contains(t, rec.msg, "- pkg sub, func F()\n+ pkg sub, func F(int)\n+ pkg sub, func G()")
	require.Contains(t, rec.msg, "regenerate the file with: regen")
}

func TestCheckMissingFile(t *testing.T) {
	dir := writeModule(t, fakeModule)
	rec := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		apisurface.Check(rec, dir, "api.txt", false, "regen")
	}()
	require.True(t, strings.HasPrefix(rec.msg, "api.txt does not exist; create it with: regen"), rec.msg)
}

// recorder keeps the message of a failure instead of failing the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmtSprintf(format, args...)
	panic(r)
}

var fmtSprintf = fmt.Sprintf
