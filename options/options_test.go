package options_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ecopatterns/ecopatterns/options"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// server and queue are nested option types, as packages declare them.
type server struct {
	Addr        string        `usage:"listen address"`
	ReadTimeout time.Duration `usage:"read deadline"`
}

type queue struct {
	Limit   int
	Timeout time.Duration
}

func (q queue) Validate() error {
	var c options.Collector
	options.Positive(&c, "Limit", q.Limit)
	options.NonNegative(&c, "Timeout", q.Timeout)
	return c.Err()
}

type sample struct {
	Name        string `usage:"service name"`
	Workers     int
	MaxAttempts uint8
	Ratio       float64
	Verbose     bool
	Timeout     time.Duration
	Level       slog.Level
	Tags        []string
	HTTPServer  server
	Queues      map[string]queue `options:"jsononly"`
	Logger      *slog.Logger     `options:"-"`
	OnEvent     func(string)     `options:"-"`
}

func defaults() sample {
	return sample{
		Name:        "svc",
		Workers:     4,
		MaxAttempts: 20,
		Ratio:       0.5,
		Timeout:     time.Second,
		Level:       slog.LevelInfo,
		Tags:        []string{"a", "b"},
		HTTPServer:  server{Addr: "127.0.0.1:8080", ReadTimeout: 5 * time.Second},
		Queues:      map[string]queue{"default": {Limit: 10, Timeout: time.Minute}},
		Logger:      slog.New(slog.DiscardHandler),
	}
}

func (s sample) Validate() error {
	var c options.Collector
	options.NotEmpty(&c, "Name", s.Name)
	options.Positive(&c, "Workers", s.Workers)
	options.InRange(&c, "MaxAttempts", s.MaxAttempts, 1, 100)
	options.InRange(&c, "Ratio", s.Ratio, 0, 1)
	options.NonNegative(&c, "Timeout", s.Timeout)
	options.NotEmpty(&c, "HTTPServer.Addr", s.HTTPServer.Addr)
	options.NonNegative(&c, "HTTPServer.ReadTimeout", s.HTTPServer.ReadTimeout)
	for name, q := range s.Queues {
		c.NestedKey("Queues", name, q.Validate())
	}
	options.NotNil(&c, "Logger", s.Logger)
	return c.Err()
}

func fieldErrors(t *testing.T, err error) []*options.FieldError {
	t.Helper()
	require.Error(t, err)
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "Validate must return an errors.Join, got %T", err)
	var out []*options.FieldError
	for _, e := range joined.Unwrap() {
		var fe *options.FieldError
		require.ErrorAs(t, e, &fe)
		out = append(out, fe)
	}
	return out
}

func paths(fes []*options.FieldError) []string {
	out := make([]string, len(fes))
	for i, fe := range fes {
		out[i] = fe.Path
	}
	return out
}

func TestFieldErrorMessage(t *testing.T) {
	require.Equal(t, "options: Workers = -1: must be > 0",
		(&options.FieldError{Path: "Workers", Value: -1, Reason: "must be > 0"}).Error())
	require.Equal(t, `options: Name = "": must not be empty`,
		(&options.FieldError{Path: "Name", Value: "", Reason: "must not be empty"}).Error())
	require.Equal(t, "options: Timeout = -5s: must be >= 0",
		(&options.FieldError{Path: "Timeout", Value: -5 * time.Second, Reason: "must be >= 0"}).Error())
	require.Equal(t, "options: <nil>: must be set",
		(&options.FieldError{Value: nil, Reason: "must be set"}).Error())
}

func TestDefaultsValidate(t *testing.T) {
	require.NoError(t, defaults().Validate())
}

func TestValidateReportsEveryBrokenField(t *testing.T) {
	type breaker struct {
		path  string
		apply func(*sample)
	}
	breakers := []breaker{
		{"Name", func(s *sample) { s.Name = "" }},
		{"Workers", func(s *sample) { s.Workers = -1 }},
		{"MaxAttempts", func(s *sample) { s.MaxAttempts = 0 }},
		{"Ratio", func(s *sample) { s.Ratio = 1.5 }},
		{"Timeout", func(s *sample) { s.Timeout = -time.Second }},
		{"HTTPServer.Addr", func(s *sample) { s.HTTPServer.Addr = "" }},
		{"HTTPServer.ReadTimeout", func(s *sample) { s.HTTPServer.ReadTimeout = -1 }},
		{`Queues["default"].Limit`, func(s *sample) { s.Queues["default"] = queue{Limit: 0, Timeout: time.Second} }},
		{"Logger", func(s *sample) { s.Logger = nil }},
	}
	// Break the first k fields for every k and expect exactly k errors with
	// the right paths, in rule order.
	for k := 1; k <= len(breakers); k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			s := defaults()
			var want []string
			for _, b := range breakers[:k] {
				b.apply(&s)
				want = append(want, b.path)
			}
			require.Equal(t, want, paths(fieldErrors(t, s.Validate())))
		})
	}
}

func TestFieldErrorCarriesValue(t *testing.T) {
	s := defaults()
	s.Workers = -7
	fes := fieldErrors(t, s.Validate())
	require.Len(t, fes, 1)
	require.Equal(t, -7, fes[0].Value)
	require.Equal(t, "must be > 0", fes[0].Reason)
	require.EqualError(t, fes[0], "options: Workers = -7: must be > 0")
}

func TestDefaultOptionsAreIndependent(t *testing.T) {
	a, b := defaults(), defaults()
	a.Tags[0] = "changed"
	a.Queues["default"] = queue{Limit: 1}
	require.Equal(t, "a", b.Tags[0])
	require.Equal(t, 10, b.Queues["default"].Limit)
}

func TestCollectorNested(t *testing.T) {
	var c options.Collector
	c.Nested("Server", nil)
	c.NestedKey("Queues", "mail", nil)
	c.NestedIndex("Peers", 3, nil)
	require.NoError(t, c.Err())
	require.Equal(t, 0, c.Len())

	inner := queue{Limit: -1, Timeout: -1}.Validate()
	c.Nested("Server", inner)
	c.NestedKey("Queues", "mail", inner)
	c.NestedIndex("Peers", 3, inner)
	c.Nested("Plain", errors.New("boom"))
	fes := fieldErrors(t, c.Err())
	require.Equal(t, []string{
		"Server.Limit", "Server.Timeout",
		`Queues["mail"].Limit`, `Queues["mail"].Timeout`,
		"Peers[3].Limit", "Peers[3].Timeout",
		"Plain",
	}, paths(fes))
	require.Equal(t, "boom", fes[6].Reason)

	// Nesting twice composes paths.
	var outer options.Collector
	outer.Nested("Outer", c.Err())
	require.Equal(t, "Outer.Server.Limit", paths(fieldErrors(t, outer.Err()))[0])
}

func TestCheck(t *testing.T) {
	var c options.Collector
	options.Check(&c, true, "A", 1, "never")
	options.Check(&c, false, "B", "x", "must be y")
	options.NotNil[int](&c, "P", nil)
	fes := fieldErrors(t, c.Err())
	require.Equal(t, []string{"B", "P"}, paths(fes))
	require.EqualError(t, fes[0], `options: B = "x": must be y`)
	require.EqualError(t, fes[1], "options: P = <nil>: must not be nil")
}

func TestNaNFailsNumericRules(t *testing.T) {
	var c options.Collector
	nan := func() float64 { var z float64; return z / z }()
	options.Positive(&c, "A", nan)
	options.NonNegative(&c, "B", nan)
	options.InRange(&c, "C", nan, 0, 1)
	require.Equal(t, []string{"A", "B", "C"}, paths(fieldErrors(t, c.Err())))
}

func TestValidateSuccessDoesNotAllocate(t *testing.T) {
	s := defaults()
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func TestDiff(t *testing.T) {
	d := defaults()
	a := defaults()
	require.Empty(t, options.Diff(d, a), "two DefaultOptions values must not differ")
	require.Equal(t, "none", options.Diff(d, a).String())

	a.Workers = 8
	a.HTTPServer.Addr = ":9090"
	a.Queues["mail"] = queue{Limit: 2}
	a.Queues["default"] = queue{Limit: 10, Timeout: 2 * time.Minute}
	a.OnEvent = func(string) {}
	changes := options.Diff(d, a)
	require.Equal(t, options.Changes{
		{Path: "Workers", Default: 4, Actual: 8},
		{Path: "HTTPServer.Addr", Default: "127.0.0.1:8080", Actual: ":9090"},
		{Path: `Queues["default"].Timeout`, Default: time.Minute, Actual: 2 * time.Minute},
		{Path: `Queues["mail"]`, Default: nil, Actual: queue{Limit: 2}},
	}, changes[:4])
	require.Len(t, changes, 5)
	require.Equal(t, "OnEvent", changes[4].Path)
	require.Equal(t, `Workers=8 (default 4), HTTPServer.Addr=":9090" (default "127.0.0.1:8080")`,
		changes[:2].String())

	// Pointers to structs are followed; nil pointers are compared whole.
	require.Len(t, options.Diff(&d, &a), 5)
	require.Equal(t, options.Changes{{Default: (*sample)(nil), Actual: &a}}, options.Diff(nil, &a))
	require.Empty(t, options.Diff[*sample](nil, nil))
	// A non-struct type is compared whole.
	require.Equal(t, options.Changes{{Default: 1, Actual: 2}}, options.Diff(1, 2))
}

func TestDiffLogValue(t *testing.T) {
	d, a := defaults(), defaults()
	a.Workers = 8
	a.Timeout = 3 * time.Second
	var b strings.Builder
	logger := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("starting", "options", options.Diff(d, a))
	require.Equal(t, "level=INFO msg=starting options.Workers=8 options.Timeout=3s\n", b.String())
}

func TestBindFlags(t *testing.T) {
	s := defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	require.NoError(t, options.BindFlags(fs, "svc", &s))

	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	require.Equal(t, []string{
		"svc.http-server.addr", "svc.http-server.read-timeout", "svc.level", "svc.max-attempts",
		"svc.name", "svc.ratio", "svc.tags", "svc.timeout", "svc.verbose", "svc.workers",
	}, names)
	require.Equal(t, "4", fs.Lookup("svc.workers").DefValue)
	require.Equal(t, "1s", fs.Lookup("svc.timeout").DefValue)
	require.Equal(t, "INFO", fs.Lookup("svc.level").DefValue)
	require.Equal(t, "a,b", fs.Lookup("svc.tags").DefValue)
	require.Equal(t, "service name", fs.Lookup("svc.name").Usage)
	require.Equal(t, "sets Workers", fs.Lookup("svc.workers").Usage)
	// Zero values show no default in the usage text, as for the standard
	// flag types; a zero with a text form (slog.LevelInfo) shows it.
	require.False(t, s.Verbose)
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	require.Contains(t, usage.String(), "  -svc.verbose\n")
	require.NotContains(t, usage.String(), "(default false)")
	require.Contains(t, usage.String(), "(default INFO)")

	require.NoError(t, fs.Parse([]string{
		"-svc.workers=9", "-svc.timeout", "250ms", "-svc.verbose", "-svc.level=debug",
		"-svc.tags", "x, y", "-svc.http-server.addr=:1", "-svc.max-attempts=0x10", "-svc.ratio=0.25",
	}))
	require.Equal(t, 9, s.Workers)
	require.Equal(t, 250*time.Millisecond, s.Timeout)
	require.True(t, s.Verbose)
	require.Equal(t, slog.LevelDebug, s.Level)
	require.Equal(t, []string{"x", "y"}, s.Tags)
	require.Equal(t, ":1", s.HTTPServer.Addr)
	require.Equal(t, uint8(16), s.MaxAttempts)
	require.Equal(t, 0.25, s.Ratio)
}

func TestBindFlagsWithoutPrefix(t *testing.T) {
	s := defaults()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	require.NoError(t, options.BindFlags(fs, "", &s))
	require.NotNil(t, fs.Lookup("workers"))
	require.NotNil(t, fs.Lookup("http-server.read-timeout"))
}

func TestBindFlagsBadValues(t *testing.T) {
	cases := []struct {
		arg  string
		want string
	}{
		// Fields with a standard flag type fail as the flag package says.
		{"-svc.workers=abc", `invalid value "abc" for flag -svc.workers: parse error`},
		{"-svc.workers=99999999999999999999", `invalid value "99999999999999999999" for flag -svc.workers: value out of range`},
		{"-svc.timeout=5", `invalid value "5" for flag -svc.timeout: parse error`},
		{"-svc.verbose=maybe", `invalid boolean value "maybe" for -svc.verbose`},
		// The others as this package says, naming the field.
		{"-svc.max-attempts=300", `options: flag -svc.max-attempts (field MaxAttempts): "300" is out of range for uint8`},
		{"-svc.max-attempts=-1", `"-1" is negative; uint8 holds only values >= 0`},
		{"-svc.ratio=NaN", `"NaN" is not a finite number`},
		{"-svc.ratio=1e999", `"1e999" is out of range for float64`},
		{"-svc.level=loud", `options: flag -svc.level (field Level): "loud" is not a valid slog.Level`},
		{"-svc.tags=a,,b", `options: flag -svc.tags (field Tags): "a,,b" has an empty item (2 of 3)`},
	}
	for _, tc := range cases {
		t.Run(tc.arg, func(t *testing.T) {
			s := defaults()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			require.NoError(t, options.BindFlags(fs, "svc", &s))
			err := fs.Parse([]string{tc.arg})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBindFlagsBadInput(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	s := defaults()
	require.EqualError(t, options.BindFlags(nil, "", &s), "options: BindFlags: flag set is nil")
	require.EqualError(t, options.BindFlags(fs, "", nil), "options: BindFlags: opts is nil, want a pointer to a struct")
	require.EqualError(t, options.BindFlags(fs, "", s), "options: BindFlags: opts is options_test.sample, want a pointer to a struct")
	require.EqualError(t, options.BindFlags(fs, "", (*sample)(nil)), "options: BindFlags: opts is a nil *options_test.sample")
	n := 3
	require.EqualError(t, options.BindFlags(fs, "", &n), "options: BindFlags: opts is *int, want a pointer to a struct")

	type unsupported struct {
		Count  int
		Hook   func()
		Limits map[string]int
	}
	err := options.BindFlags(fs, "", &unsupported{})
	require.ErrorContains(t, err, `options: field Hook (func()) has no text form; tag it options:"-"`)
	require.ErrorContains(t, err, `options: field Limits (map[string]int) has no text form`)
	require.Nil(t, fs.Lookup("count"), "nothing may be registered when BindFlags fails")

	require.NoError(t, options.BindFlags(fs, "a", &s))
	require.EqualError(t, options.BindFlags(fs, "a", &s), "options: BindFlags: flag -a.name (field Name) is already defined")
}

func TestLoadEnv(t *testing.T) {
	t.Setenv("SVC_WORKERS", "12")
	t.Setenv("SVC_HTTP_SERVER_READ_TIMEOUT", "2s")
	t.Setenv("SVC_TAGS", "")
	t.Setenv("SVC_LEVEL", "WARN")
	t.Setenv("SVCX_UNRELATED", "ignored: another prefix")
	s := defaults()
	require.NoError(t, options.LoadEnv("SVC", &s))
	require.Equal(t, 12, s.Workers)
	require.Equal(t, 2*time.Second, s.HTTPServer.ReadTimeout)
	require.Empty(t, s.Tags)
	require.Equal(t, slog.LevelWarn, s.Level)
	require.Equal(t, "svc", s.Name, "fields without a variable keep their value")

	// A trailing underscore on the prefix is the same prefix.
	s = defaults()
	require.NoError(t, options.LoadEnv("SVC_", &s))
	require.Equal(t, 12, s.Workers)
}

func TestLoadEnvBadInput(t *testing.T) {
	t.Setenv("SVC_WORKRES", "3")
	t.Setenv("SVC_TIMEOUT", "-")
	t.Setenv("SVC_MAX_ATTEMPTS", "256")
	t.Setenv("SVC_COMPLETELY_UNKNOWN", "1")
	s := defaults()
	err := options.LoadEnv("SVC", &s)
	require.Error(t, err)
	msgs := strings.Split(err.Error(), "\n")
	require.Equal(t, []string{
		"options: environment variable SVC_COMPLETELY_UNKNOWN matches no field",
		`options: environment variable SVC_MAX_ATTEMPTS (field MaxAttempts): "256" is out of range for uint8`,
		`options: environment variable SVC_TIMEOUT (field Timeout): "-" is not a valid duration (want a form like 1m30s)`,
		`options: environment variable SVC_WORKRES matches no field (did you mean "SVC_WORKERS"?)`,
	}, msgs)

	require.EqualError(t, options.LoadEnv("", &s), "options: LoadEnv: prefix is empty")
	require.EqualError(t, options.LoadEnv("_", &s), "options: LoadEnv: prefix is empty")
	require.EqualError(t, options.LoadEnv("A=B", &s), `options: LoadEnv: prefix "A=B" contains '=' or white space`)
	require.EqualError(t, options.LoadEnv("SVC", nil), "options: LoadEnv: opts is nil, want a pointer to a struct")
}

func TestLoadEnvNegativeDurationIsCaughtByValidate(t *testing.T) {
	// Loaders check syntax; Validate checks meaning and names the field and
	// the offending value.
	t.Setenv("SVC_TIMEOUT", "-5s")
	s := defaults()
	require.NoError(t, options.LoadEnv("SVC", &s))
	require.EqualError(t, s.Validate(), "options: Timeout = -5s: must be >= 0")
}

func TestLoadJSON(t *testing.T) {
	s := defaults()
	err := options.LoadJSON(strings.NewReader(`{
		"workers": 7,
		"Timeout": "1m30s",
		"level": "ERROR",
		"HTTPServer": {"addr": ":7070"},
		"Queues": {"mail": {"Limit": 3, "Timeout": "1µs"}},
		"tags": ["z"]
	}`), &s)
	require.NoError(t, err)
	require.Equal(t, 7, s.Workers)
	require.Equal(t, 90*time.Second, s.Timeout)
	require.Equal(t, slog.LevelError, s.Level)
	require.Equal(t, ":7070", s.HTTPServer.Addr)
	require.Equal(t, 5*time.Second, s.HTTPServer.ReadTimeout, "nested structs merge key by key")
	require.Equal(t, map[string]queue{"mail": {Limit: 3, Timeout: 1000}}, s.Queues, "maps are replaced whole")
	require.Equal(t, []string{"z"}, s.Tags)
	require.Equal(t, "svc", s.Name, "keys not in the object keep their value")
	require.NotNil(t, s.Logger)
}

func TestLoadJSONBadInput(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
	}{
		{"empty", ``, []string{"options: LoadJSON: input is empty, want a JSON object"}},
		{"not an object", `[1]`, []string{"options: LoadJSON: at the top level: got [1], want a JSON object"}},
		{"syntax", `{"workers": }`, []string{"options: LoadJSON: invalid character '}' looking for beginning of value"}},
		{"trailing", `{} {}`, []string{"options: LoadJSON: unexpected { after the object"}},
		{"unknown key", `{"workerz": 1}`, []string{`options: LoadJSON: unknown key "workerz" at the top level (did you mean "Workers"?)`}},
		{"unknown nested key", `{"HTTPServer": {"adr": "x"}}`, []string{`options: LoadJSON: unknown key "adr" in HTTPServer (did you mean "Addr"?)`}},
		{"no suggestion", `{"zzzzzzzz": 1}`, []string{`options: LoadJSON: unknown key "zzzzzzzz" at the top level`}},
		{"skipped field", `{"Logger": {}}`, []string{`options: LoadJSON: unknown key "Logger" at the top level`}},
		{"duplicate", `{"Workers": 1, "workers": 2}`, []string{`options: LoadJSON: key workers repeats Workers (keys match fields case-insensitively)`}},
		{"null", `{"Workers": null}`, []string{`options: LoadJSON: key Workers: null is not a value; remove the key to keep the current one`}},
		{"wrong type", `{"Workers": "abc"}`, []string{`options: LoadJSON: key Workers (field Workers): "abc" (JSON string) is not a valid int`}},
		{"overflow", `{"MaxAttempts": 300}`, []string{`options: LoadJSON: key MaxAttempts (field MaxAttempts): 300 is not a valid uint8 (wrong form or out of range)`}},
		{"negative uint", `{"MaxAttempts": -1}`, []string{`options: LoadJSON: key MaxAttempts (field MaxAttempts): -1 is not a valid uint8 (wrong form or out of range)`}},
		{"duration number", `{"Timeout": 5}`, []string{`options: LoadJSON: key Timeout (field Timeout): 5 is not a duration string such as "1m30s"`}},
		{"bad duration", `{"Timeout": "5 parsecs"}`, []string{`options: LoadJSON: key Timeout (field Timeout): "5 parsecs" is not a valid duration (want a form like 1m30s)`}},
		{"nested not object", `{"HTTPServer": 3}`, []string{`options: LoadJSON: in HTTPServer: got 3, want a JSON object`}},
		{"unknown key in map value", `{"Queues": {"q": {"Limt": 1}}}`, []string{`options: LoadJSON: unknown key "Limt" in Queues["q"] (did you mean "Limit"?)`}},
		{"duration number in map value", `{"Queues": {"q": {"Timeout": 5}}}`, []string{`options: LoadJSON: key Queues["q"].Timeout (field Timeout): 5 is not a duration string such as "1m30s"`}},
		{"several at once", `{"Workers": "x", "Ratio": true, "nope": 1}`, []string{
			`options: LoadJSON: key Workers (field Workers): "x" (JSON string) is not a valid int`,
			`options: LoadJSON: key Ratio (field Ratio): true (JSON bool) is not a valid float64`,
			`options: LoadJSON: unknown key "nope" at the top level`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := defaults()
			err := options.LoadJSON(strings.NewReader(tc.in), &s)
			require.Error(t, err)
			require.Equal(t, tc.want, strings.Split(err.Error(), "\n"))
		})
	}
	s := defaults()
	require.EqualError(t, options.LoadJSON(nil, &s), "options: LoadJSON: reader is nil")
	require.EqualError(t, options.LoadJSON(strings.NewReader("{}"), s), "options: LoadJSON: opts is options_test.sample, want a pointer to a struct")
}

func TestLoadJSONFromFile(t *testing.T) {
	f, err := os.Open("testdata/sample.json")
	require.NoError(t, err)
	defer f.Close()
	s := defaults()
	require.NoError(t, options.LoadJSON(f, &s))
	require.NoError(t, s.Validate())
	require.Equal(t, options.Changes{
		{Path: "Workers", Default: 4, Actual: 16},
		{Path: "HTTPServer.ReadTimeout", Default: 5 * time.Second, Actual: 10 * time.Second},
	}, options.Diff(defaults(), s))
}

func TestSuggest(t *testing.T) {
	cands := []string{"Workers", "Timeout", "MaxAttempts"}
	got, ok := options.Suggest("workres", cands)
	require.True(t, ok)
	require.Equal(t, "Workers", got)
	got, ok = options.Suggest("max_attempts", cands)
	require.True(t, ok)
	require.Equal(t, "MaxAttempts", got)
	_, ok = options.Suggest("database", cands)
	require.False(t, ok)
	_, ok = options.Suggest("x", nil)
	require.False(t, ok)

	// A swap of two adjacent letters is one edit, so short names get a
	// suggestion for the most common typo.
	got, ok = options.Suggest("prot", []string{"port", "host"})
	require.True(t, ok)
	require.Equal(t, "port", got)
	got, ok = options.Suggest("tiemout", cands)
	require.True(t, ok)
	require.Equal(t, "Timeout", got)
	_, ok = options.Suggest("tpro", []string{"port"})
	require.False(t, ok, "two swaps are two edits")
}

func FuzzLoadJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"workers": 7, "Timeout": "1m"}`, `{"HTTPServer": {"Addr": ""}}`,
		`{"Queues": {"a": {"Limit": 1}}}`, `{"Workers": null}`, `[`, `{"a":1}{`,
		`{"Queues":{"a":{"limit":1,"LIMIT":2}}}`, `{"Queues":{"a":null}}`, `{"Queues":{"a":{},"a":{}}}`, `{"Tags":["x",null]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := defaults()
		err := options.LoadJSON(strings.NewReader(string(data)), &s)
		if err != nil && !strings.HasPrefix(err.Error(), "options: ") {
			t.Fatalf("error without package prefix: %v", err)
		}
		if err == nil {
			// Nulls and repeated keys are refused at every depth.
			if null, dup := scanJSON(data); null || dup {
				t.Fatalf("accepted %q, which holds a null or a repeated key", data)
			}
			// A successful load leaves a value Diff and Validate can handle.
			_ = options.Diff(defaults(), s).String()
			_ = s.Validate()
		}
	})
}

func FuzzBindFlags(f *testing.F) {
	for _, seed := range []string{"-svc.workers=1", "-svc.timeout=1h", "-svc.tags=a,,b", "-svc.max-attempts=0x", "-svc.ratio=-0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		s := defaults()
		fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if err := options.BindFlags(fs, "svc", &s); err != nil {
			t.Fatal(err)
		}
		_ = fs.Parse([]string{arg})
	})
}

func BenchmarkValidate(b *testing.B) {
	s := defaults()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateFailing(b *testing.B) {
	s := defaults()
	s.Workers, s.Timeout = -1, -1
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(); err == nil {
			b.Fatal("want errors")
		}
	}
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// TestLoadEnvListItems pins how lists are read from the environment (and
// from flags, which share the rules): items are trimmed, an empty value is
// the empty list, and an empty item is an error naming it, never dropped.
func TestLoadEnvListItems(t *testing.T) {
	for _, c := range []struct {
		val  string
		want []string
		err  string
	}{
		{"a", []string{"a"}, ""},
		{" a , b ", []string{"a", "b"}, ""},
		{"", nil, ""},
		{"   ", nil, ""},
		{",,a, b ,", nil, `",,a, b ," has empty items (1, 2, 5 of 5)`},
		{"a,,b", nil, `"a,,b" has an empty item (2 of 3)`},
		{"a,", nil, `"a," has an empty item (2 of 2)`},
		{",a", nil, `",a" has an empty item (1 of 2)`},
		{"a, ,b", nil, `"a, ,b" has an empty item (2 of 3)`},
		{",", nil, `"," has empty items (1, 2 of 2)`},
	} {
		t.Run(c.val, func(t *testing.T) {
			t.Setenv("SVC_TAGS", c.val)
			s := defaults()
			err := options.LoadEnv("SVC", &s)
			fs := newFlagSet()
			f := defaults()
			require.NoError(t, options.BindFlags(fs, "svc", &f))
			ferr := fs.Parse([]string{"-svc.tags=" + c.val})
			if c.err == "" {
				require.NoError(t, err)
				require.Equal(t, c.want, s.Tags)
				require.NoError(t, ferr)
				require.Equal(t, c.want, f.Tags)
				return
			}
			require.ErrorContains(t, err, "options: environment variable SVC_TAGS (field Tags): "+c.err)
			require.ErrorContains(t, err, "remove the extra commas")
			require.Equal(t, []string{"a", "b"}, s.Tags, "the field keeps its value")
			require.ErrorContains(t, ferr, c.err)
		})
	}
}

// kinds has a field of every kind BindFlags binds, under the names the
// usage text shows.
type kinds struct {
	Concurrency int           `usage:"number of concurrent probes"`
	Interval    time.Duration `usage:"time between rounds"`
	Name        string        `usage:"service name"`
	Verbose     bool          `usage:"log every probe"`
	Big         int64         `usage:"a large count"`
	Size        uint          `usage:"a size"`
	Bytes       uint64        `usage:"a byte count"`
	Mode        mode          `usage:"operating mode"`
	Ratio       float64       `usage:"share of probes sampled"`
	Small       int8          `usage:"a small number"`
	Port        uint16        `usage:"listen port"`
	Hosts       []string      `usage:"hosts to probe"`
	Level       slog.Level    `usage:"log level"`
	Dir         string        "usage:\"data `directory`\""
}

type mode string

// TestBindFlagsUsageShowsTypes checks, through PrintDefaults, that every
// flag shows its type as the standard flags do.
func TestBindFlagsUsageShowsTypes(t *testing.T) {
	k := kinds{Concurrency: 4, Interval: 10 * time.Second, Name: "prober", Mode: "fast", Ratio: 0.5, Port: 8080}
	fs := newFlagSet()
	require.NoError(t, options.BindFlags(fs, "", &k))
	var usage strings.Builder
	fs.SetOutput(&usage)
	fs.PrintDefaults()
	// What the standard flag types print for the same fields.
	std := newFlagSet()
	std.IntVar(new(int), "concurrency", 4, "number of concurrent probes")
	std.DurationVar(new(time.Duration), "interval", 10*time.Second, "time between rounds")
	std.StringVar(new(string), "name", "prober", "service name")
	std.BoolVar(new(bool), "verbose", false, "log every probe")
	std.Int64Var(new(int64), "big", 0, "a large count")
	std.UintVar(new(uint), "size", 0, "a size")
	std.Uint64Var(new(uint64), "bytes", 0, "a byte count")
	std.StringVar(new(string), "mode", "fast", "operating mode")
	std.StringVar(new(string), "dir", "", "data `directory`")
	var want strings.Builder
	std.SetOutput(&want)
	std.PrintDefaults()
	for _, block := range strings.SplitAfter(want.String(), "\n  -") {
		block = strings.TrimSuffix(strings.TrimPrefix(block, "  -"), "\n  -")
		require.Contains(t, usage.String(), "  -"+block, "as the standard flag prints it")
	}
	for _, line := range []string{
		"  -concurrency int\n",
		"  -interval duration\n",
		"  -name string\n",
		"  -verbose\n",
		"  -mode string\n",
		"  -dir directory\n",
		"  -ratio float\n    \tshare of probes sampled (a finite float) (default 0.5)\n",
		"  -small int8\n    \ta small number (int8 -128 to 127)\n",
		"  -port uint16\n    \tlisten port (uint16 0 to 65535) (default 8080)\n",
		"  -hosts list\n    \thosts to probe (comma-separated list)\n",
		"  -level value\n    \tlog level (default INFO)\n",
	} {
		require.Contains(t, usage.String(), line)
	}
	require.NotContains(t, usage.String(), "value\n    \tnumber", "no standard kind shows as value")

	require.NoError(t, fs.Parse([]string{"-concurrency=8", "-interval=1m", "-mode=slow", "-verbose", "-ratio=0.25", "-hosts=a,b", "-big=-3", "-bytes=0x10"}))
	require.Equal(t, kinds{
		Concurrency: 8, Interval: time.Minute, Name: "prober", Verbose: true, Big: -3, Bytes: 16, Mode: "slow",
		Ratio: 0.25, Port: 8080, Hosts: []string{"a", "b"},
	}, k)
}
