// Package options is the configuration idiom every ecopatterns package
// follows: a plain struct, a DefaultOptions function that returns a fresh and
// fully populated value, and a Validate method that reports every bad field at
// once.
//
// The idiom comes from Prometheus's tsdb.DefaultOptions and Pebble's
// Options.Validate, with two corrections: nothing is silently "fixed" (a bad
// value is an error, never a quiet substitution), and validation reports all
// failures instead of the first one.
//
// # Composing with it
//
// A package that takes configuration declares
//
//	type Options struct {
//		Workers int           `usage:"number of concurrent workers"`
//		Timeout time.Duration `usage:"per-job deadline"`
//		Logger  *slog.Logger  `options:"-"`
//	}
//
//	func DefaultOptions() Options { return Options{Workers: 4, Timeout: time.Second, Logger: ...} }
//
//	func (o Options) Validate() error {
//		var c options.Collector
//		options.Positive(&c, "Workers", o.Workers)
//		options.NonNegative(&c, "Timeout", o.Timeout)
//		options.Check(&c, o.Logger != nil, "Logger", o.Logger, "must not be nil")
//		return c.Err()
//	}
//
// and its constructor calls Validate and refuses to start on error. Validate
// returns nil or an [errors.Join] of [*FieldError] values, one per broken rule,
// each naming its field path (for example Queues["mail"].Limit). On the
// success path it allocates nothing.
//
// A program starts from DefaultOptions, overlays a JSON file ([LoadJSON]),
// environment variables ([LoadEnv]) and flags ([BindFlags]) in the order it
// prefers, calls Validate, and logs what differs from the defaults once with
// [Diff]:
//
//	opts := stopper.DefaultOptions()
//	if err := options.BindFlags(flag.CommandLine, "stopper", &opts); err != nil { ... }
//	flag.Parse()
//	logger.Info("starting", "non-default options", options.Diff(stopper.DefaultOptions(), opts))
//
// The loaders share one field mapping. For a field path Queue.Limit the flag
// is -prefix.queue.limit, the environment variable is PREFIX_QUEUE_LIMIT and
// the JSON key is the field's json name ("Queue" then "Limit", matched
// case-insensitively like encoding/json). Supported leaf kinds are strings,
// booleans, signed and unsigned integers, floats, [time.Duration] (written as
// "1m30s"), []string (comma separated in flags and environment, items
// trimmed; an empty value is the empty list and an empty item an error),
// and any type implementing [encoding.TextUnmarshaler] (for example
// [slog.Level]). A field
// tagged options:"-" is left out of all three loaders (a logger, a callback);
// one tagged options:"jsononly" is left out of flags and environment (a map of
// per-queue settings); any other field whose kind has no text form is an error
// naming it, never a silent skip.
//
// # Extending it
//
// A rule that the helpers ([Positive], [NonNegative], [InRange], [NotEmpty],
// [Check]) do not cover is a call to [Check] with the condition, or
// [Collector.Add] inside an if. A nested options struct validates itself and
// its parent folds the result in with [Collector.Nested],
// [Collector.NestedKey] or [Collector.NestedIndex], which prefix the nested
// field paths without allocating when the nested value is valid.
//
// # What it deliberately does not do
//
// It has no functional options: a struct can be printed, diffed, loaded from
// files and compared, and a closure cannot. It does not fill zero fields with
// defaults (EnsureDefaults in Pebble's terms), because a zero that silently
// becomes something else hides mistakes; start from DefaultOptions instead.
// The loaders check syntax (is "abc" an int?), Validate checks meaning (is -1
// a sensible worker count?); a loader never validates. There is no global
// configuration registry and no file watching. LoadJSON does not read
// without bound: past [DefaultMaxJSONBytes] (16 MiB) it fails, and
// [LoadJSONLimit] takes another bound.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - Example: the idiom: DefaultOptions, change what you need, Validate;
//     every broken field is reported with its path.
//   - BindFlags: a struct's fields as flags, named after their paths, with
//     their usage tags.
//   - LoadEnv: fields set from environment variables under a prefix, and a
//     misspelled variable refused.
//   - LoadJSON: fields set from JSON, with unknown keys refused.
//   - Diff: the fields that differ from the defaults, as logged at startup.
//   - Collector.NestedKey: a nested configuration validated under its parent's
//     path, such as a map entry.
package options
