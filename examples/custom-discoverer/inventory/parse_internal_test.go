package inventory

import (
	"strings"
	"testing"
)

// Host files are written by people: any content decodes to labels that a
// target may carry, or to an error, never to a panic.
func FuzzParseHost(f *testing.F) {
	for _, seed := range []string{"", "role: web\nzone: b\n", "{role: db}", "__address__: x", "'': v", "[1, 2]", "role: [", "a: {b: c}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data string) {
		labels, err := parseHost("h", []byte(data))
		if err != nil {
			return
		}
		for name := range labels {
			if name == "" || strings.HasPrefix(name, "__") {
				t.Fatalf("parseHost accepted label %q from %q", name, data)
			}
		}
	})
}
