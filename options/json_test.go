package options_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ecopatterns/ecopatterns/options"
)

type deepHost struct {
	Name string
	Port int
}

// deep has every kind of container LoadJSON walks into.
type deep struct {
	Queues map[string]queue
	Hosts  []deepHost
	Ports  []int
	Limits map[string]int
	ByID   map[int]string
	Ptr    *queue
	PtrInt *int
	Nested struct {
		Inner map[string][]queue
	}
	Any   any
	Fixed [2]int
}

// TestLoadJSONStrictAtEveryDepth checks that duplicate keys (also keys that
// differ only in case, as at the top level) and nulls are errors inside
// maps, slices, arrays, pointers, nested structs and free-form values, each
// naming its path.
func TestLoadJSONStrictAtEveryDepth(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"Queues":{"a":{"limit":1,"LIMIT":2}}}`, `key Queues["a"].LIMIT repeats Queues["a"].limit (keys match fields case-insensitively)`},
		{`{"Queues":{"a":{"Limit":1,"Limit":2}}}`, `key Queues["a"].Limit repeats Queues["a"].Limit`},
		{`{"Queues":{"a":{"Limit":1},"a":{"Limit":2}}}`, `key Queues["a"] repeats a key of Queues`},
		{`{"Queues":{"a":null}}`, `Queues["a"]: null is not a value`},
		{`{"Queues":{"a":{"Limit":null}}}`, `key Queues["a"].Limit: null is not a value`},
		{`{"Queues":{"a":{"Timeout":null}}}`, `key Queues["a"].Timeout: null is not a value`},
		{`{"Hosts":[{"Name":"x"},null]}`, `Hosts[1]: null is not a value`},
		{`{"Hosts":[{"Name":"x","name":"y"}]}`, `key Hosts[0].name repeats Hosts[0].Name`},
		{`{"Hosts":[{"Nmae":"x"}]}`, `unknown key "Nmae" in Hosts[0] (did you mean "Name"?)`},
		{`{"Ports":[1,null]}`, `Ports[1]: null is not a value`},
		{`{"Ports":[1,"x"]}`, `key Ports[1] (field Ports): "x" (JSON string) is not a valid int`},
		{`{"Limits":{"a":1,"a":2}}`, `key Limits["a"] repeats a key of Limits`},
		{`{"ByID":{"1":"x","01":"y"}}`, `key ByID["01"] repeats a key of ByID`},
		{`{"ByID":{"x":"y"}}`, `key ByID["x"]: "x" is not a valid int`},
		{`{"Ptr":null}`, `key Ptr: null is not a value`},
		{`{"Ptr":{"Limit":1,"limit":2}}`, `key Ptr.limit repeats Ptr.Limit`},
		{`{"PtrInt":null}`, `key PtrInt: null is not a value`},
		{`{"Nested":{"Inner":{"q":[{"Limit":1},null]}}}`, `Nested.Inner["q"][1]: null is not a value`},
		{`{"Nested":{"Inner":{"q":[{"Limit":1,"LIMIT":1}]}}}`, `key Nested.Inner["q"][0].LIMIT repeats Nested.Inner["q"][0].Limit`},
		{`{"Any":{"a":1,"a":2}}`, `key Any["a"] repeats a key of Any`},
		{`{"Any":{"a":[1,null]}}`, `Any["a"][1]: null is not a value`},
		{`{"Fixed":[1,2,3]}`, `key Fixed[2] (field Fixed): [2]int holds only 2 elements`},
		{`{"Hosts":{"a":1}}`, `key Hosts (field Hosts): got {"a":1}, want a JSON array`},
		{`{"Queues":[1]}`, `key Queues (field Queues): got [1], want a JSON object`},
	}
	for _, c := range cases {
		var d deep
		err := options.LoadJSON(strings.NewReader(c.in), &d)
		require.Error(t, err, c.in)
		found := false
		for _, line := range strings.Split(err.Error(), "\n") {
			found = found || strings.HasPrefix(line, "options: LoadJSON: "+c.want)
		}
		require.True(t, found, "%s: got %v, want a line starting with %s", c.in, err, c.want)
	}
}

// TestLoadJSONContainers checks what strict decoding still accepts, and
// that a pointer to a struct is merged like a nested struct.
func TestLoadJSONContainers(t *testing.T) {
	two := 2
	d := deep{Ptr: &queue{Limit: 1, Timeout: 5}, PtrInt: &two, Queues: map[string]queue{"old": {Limit: 1}}}
	old := d.Ptr
	require.NoError(t, options.LoadJSON(strings.NewReader(`{
		"Queues": {"a": {"limit": 3, "Timeout": "1s"}, "A": {"Limit": 4}},
		"Hosts": [{"name": "h", "Port": 80}],
		"Ports": [],
		"ByID": {"1": "one", "-2": "minus two"},
		"Ptr": {"Limit": 7},
		"PtrInt": 9,
		"Nested": {"Inner": {"q": [{"Limit": 1}]}},
		"Any": {"x": [1, "y", {"z": true}]},
		"Fixed": [5]
	}`), &d))
	require.Equal(t, map[string]queue{"a": {Limit: 3, Timeout: 1e9}, "A": {Limit: 4}}, d.Queues, "map keys are data: case matters, the map is replaced")
	require.Equal(t, []deepHost{{Name: "h", Port: 80}}, d.Hosts)
	require.Equal(t, []int{}, d.Ports)
	require.Equal(t, map[int]string{1: "one", -2: "minus two"}, d.ByID)
	require.Equal(t, queue{Limit: 7, Timeout: 5}, *d.Ptr, "a pointed-to struct is merged")
	require.Equal(t, queue{Limit: 1, Timeout: 5}, *old, "into a copy: the old value is not changed")
	require.Equal(t, 9, *d.PtrInt)
	require.Equal(t, []queue{{Limit: 1}}, d.Nested.Inner["q"])
	require.Equal(t, map[string]any{"x": []any{1.0, "y", map[string]any{"z": true}}}, d.Any)
	require.Equal(t, [2]int{5, 0}, d.Fixed)
}

// endless is an input that never ends; it fails the test if read much past
// what LoadJSON may read.
type endless struct {
	prefix     string
	fill       byte
	read, stop int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read > e.stop {
		return 0, errors.New("read far past the limit")
	}
	for i := range p {
		if n := e.read + int64(i); n < int64(len(e.prefix)) {
			p[i] = e.prefix[n]
		} else {
			p[i] = e.fill
		}
	}
	e.read += int64(len(p))
	return len(p), nil
}

// TestLoadJSONSizeLimit checks that LoadJSON stops at its limit with an
// error saying so, reading one byte past it and no more.
func TestLoadJSONSizeLimit(t *testing.T) {
	for _, prefix := range []string{"", `{"Name": "`, `{"Tags": [`} {
		fill := byte(' ')
		if prefix == `{"Name": "` {
			fill = 'a'
		}
		r := &endless{prefix: prefix, fill: fill, stop: 4 * options.DefaultMaxJSONBytes}
		var s sample
		err := options.LoadJSON(r, &s)
		require.EqualError(t, err, "options: LoadJSON: input is larger than the limit of 16777216 bytes; LoadJSONLimit takes a larger one")
		require.LessOrEqual(t, r.read, int64(options.DefaultMaxJSONBytes+1))
	}

	obj := `{"Name": "x"}`
	exact := obj + strings.Repeat(" ", 100-len(obj))
	s := defaults()
	require.NoError(t, options.LoadJSONLimit(strings.NewReader(exact), &s, 100))
	require.Equal(t, "x", s.Name)
	err := options.LoadJSONLimit(strings.NewReader(exact+" "), &s, 100)
	require.EqualError(t, err, "options: LoadJSON: input is larger than the limit of 100 bytes; LoadJSONLimit takes a larger one")
	err = options.LoadJSONLimit(strings.NewReader(`{"Name": "`+strings.Repeat("y", 200)+`"}`), &s, 100)
	require.ErrorContains(t, err, "larger than the limit of 100 bytes")
	require.EqualError(t, options.LoadJSONLimit(strings.NewReader(obj), &s, 0), "options: LoadJSON: size limit 0 is not positive")
	var _ io.Reader = &endless{}
}

// scanJSON reports whether data, valid JSON, holds a null or an object
// with the same key twice, at any depth.
func scanJSON(data []byte) (null, dup bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj     bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return null, dup
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					dup = true
				}
				top.keys[k] = true
				top.wantKey = false
				continue
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, wantKey: true})
				continue
			case '[':
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
			}
		case nil:
			null = true
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].wantKey = true
		}
	}
}
