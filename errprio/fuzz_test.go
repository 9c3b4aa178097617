package errprio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds Decode arbitrary bytes, starting from the real
// encodings in testdata/fuzz/FuzzDecode (written by TestGoldenEncodings
// with -update) and testdata/golden. Decode must never panic; it returns
// either a decoded error or a *WireError, and whatever it decodes can be
// ranked, flattened, formatted and encoded again.
func FuzzDecode(f *testing.F) {
	golden, err := filepath.Glob(filepath.Join("testdata", "golden", "*.bin"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range golden {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Stack traces hold file paths of the build, so their seed is made
	// here rather than stored.
	withStacks, err := Encode(context.Background(), stackChain(3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withStacks)
	f.Add(deepEncoding(50))
	f.Add(deepPayload(50))
	f.Add([]byte{0x12, 0x02, 0x0a, 0x00})

	codec, err := NewCodec(Options{MaxBytes: 64 << 10, MaxDepth: 64, MaxNodes: 1024})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		decoded, err := splitDecode(codec, ctx, data)
		if err != nil {
			var we *WireError
			if decoded != nil || !errors.As(err, &we) {
				t.Fatalf("Decode(%x) = %v, %v: want nil and a *WireError", data, decoded, err)
			}
			return
		}
		if decoded == nil {
			if len(data) != 0 {
				t.Fatalf("Decode(%x) = nil, nil", data)
			}
			return
		}
		_ = CodeOf(decoded)
		_ = PriorityOf(decoded)
		_ = Flatten(decoded)
		_ = fmt.Sprintf("%+v", decoded)
		if _, err := codec.Encode(ctx, decoded); err != nil && !errors.Is(err, ErrLimit) {
			t.Fatalf("re-encoding %x: %v", data, err)
		}
	})
}
