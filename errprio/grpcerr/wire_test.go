package grpcerr

import (
	"context"
	stderrors "errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/errors"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ecopatterns/ecopatterns/errprio"
)

var update = flag.Bool("update", false, "rewrite api.txt, the golden details and the fuzz seeds in testdata/")

// goldenErrors are errors without stack traces, whose status details are
// deterministic.
func goldenErrors() map[string]error {
	return map[string]error{
		"code":         errprio.WithCode(stderrors.New("write conflict"), errprio.CodeSerializationFailure),
		"unregistered": errprio.WithCode(stderrors.New("custom"), "ZZ999"),
		"hint":         errprio.WithCode(errors.WithHint(fmt.Errorf("get: %w", stderrors.New("gone")), "check the key"), errprio.CodeNoData),
		"uncoded":      stderrors.New("plain"),
		"deadline":     fmt.Errorf("call: %w", context.DeadlineExceeded),
		"join":         stderrors.Join(errprio.WithCode(stderrors.New("a"), errprio.CodeTooManyRequests), errprio.WithCode(stderrors.New("b"), errprio.CodeInternal)),
	}
}

// The wire form of the status details is pinned: the gRPC code, the
// message and the detail's bytes. A change shows as a diff of
// testdata/golden; run with -update when it is on purpose.
func TestGoldenDetails(t *testing.T) {
	conv := mustConverter(t, func(o *Options) { o.Codec.DropStacks = true })
	for name, err := range goldenErrors() {
		t.Run(name, func(t *testing.T) {
			st := conv.ToStatus(t.Context(), err)
			details := st.Proto().GetDetails()
			require.Len(t, details, 1)
			require.Equal(t, DetailTypeURL, details[0].GetTypeUrl())
			value := details[0].GetValue()
			text := fmt.Sprintf("grpc code: %s\nmessage: %q\ndetail: %x\n", st.Code(), st.Message(), value)
			path := filepath.Join("testdata", "golden", name+".txt")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
				writeSeed(t, "golden_"+name, value)
			}
			golden, rerr := os.ReadFile(path)
			require.NoError(t, rerr, "run go test -run TestGoldenDetails -update to create it")
			require.Equal(t, string(golden), text)

			back := conv.FromStatus(t.Context(), st)
			require.Equal(t, err.Error(), back.Error())
			if name == "deadline" {
				// A context error without a code is sent as 57014.
				err = errprio.WithCode(err, errprio.CodeQueryCanceled)
			}
			require.Equal(t, errprio.Flatten(err), errprio.Flatten(back))
		})
	}
}

func writeSeed(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzParseDetail")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data), 0o644))
}

func TestDetailRoundTrip(t *testing.T) {
	for _, d := range []Detail{
		{Code: "40001", Priority: 100, Chain: []byte{1, 2, 3}},
		{Code: "ZZ999", Priority: 1},
		{Code: "XX000", Priority: 350, Chain: []byte{}},
	} {
		got, err := ParseDetail(d.Marshal())
		require.NoError(t, err)
		require.Equal(t, d, got)
	}
}

// FuzzParseDetail feeds arbitrary bytes to the detail decoder, alone and
// inside a status a client converts. Neither may panic; what parses
// marshals back to what parses the same; a converted status always
// yields an error with the status's gRPC code.
func FuzzParseDetail(f *testing.F) {
	conv := mustConverter(f, func(o *Options) { o.Codec.DropStacks = true })
	for _, err := range goldenErrors() {
		f.Add(conv.ToStatus(context.Background(), err).Proto().GetDetails()[0].GetValue())
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x05, '4', '0', '0', '0', '1', 0x10, 0x64, 0x1a, 0x00})
	small := mustConverter(f, func(o *Options) { o.Codec = errprio.Options{MaxBytes: 4096, MaxDepth: 32, MaxNodes: 256} })
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDetail(data)
		if err == nil {
			again, err := ParseDetail(d.Marshal())
			if err != nil {
				t.Fatalf("re-parsing %x: %v", d.Marshal(), err)
			}
			if again.Code != d.Code || again.Priority != d.Priority || string(again.Chain) != string(d.Chain) {
				t.Fatalf("round trip of %x changed %+v into %+v", data, d, again)
			}
		} else if !errors.Is(err, ErrMalformedDetail) {
			t.Fatalf("ParseDetail(%x) = %v, not ErrMalformedDetail", data, err)
		}
		st := statusWith(codes.Internal, "m", &anypb.Any{TypeUrl: DetailTypeURL, Value: data})
		got := small.FromStatus(ctx, st)
		if got == nil || status.Code(got) != codes.Internal {
			t.Fatalf("FromStatus with detail %x = %v", data, got)
		}
		_ = errprio.CodeOf(got)
		_ = fmt.Sprintf("%+v", got)
	})
}
