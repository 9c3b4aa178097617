package options

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// LoadEnv sets fields of the struct that opts points to from environment
// variables named prefix, an underscore, and the field path in upper snake
// case: with prefix "JOBS", field Queue.MaxAttempts is read from
// JOBS_QUEUE_MAX_ATTEMPTS. Fields with no variable keep their current value.
//
// Every variable that starts with the prefix and an underscore must name a
// field: one that does not is an error with a "did you mean" suggestion, so a
// typo cannot be silently ignored. All problems are reported at once in an
// [errors.Join]; when any is found LoadEnv still sets the fields whose values
// parsed. The prefix must not be empty, or every variable of the process
// would be checked.
//
// A []string field takes a comma-separated list whose items are trimmed of
// spaces: JOBS_TAGS="a, b" sets [a b]. An empty (or all-space) value sets an
// empty list. An empty item ("a,,b", a leading or trailing comma, "a, ,b")
// is an error naming the items, not dropped: it is usually a typo or a list
// built from an unset variable. Flags follow the same rules.
func LoadEnv(prefix string, opts any) error {
	return loadEnv(os.Environ(), prefix, opts)
}

func loadEnv(environ []string, prefix string, opts any) error {
	prefix = strings.TrimSuffix(prefix, "_")
	if prefix == "" {
		return errors.New("options: LoadEnv: prefix is empty")
	}
	if strings.ContainsAny(prefix, "= \t\n") {
		return fmt.Errorf("options: LoadEnv: prefix %q contains '=' or white space", prefix)
	}
	v, err := structPointer("LoadEnv", opts)
	if err != nil {
		return err
	}
	ls, err := leaves(v)
	if err != nil {
		return fmt.Errorf("options: LoadEnv: %w", err)
	}
	byName := make(map[string]leaf, len(ls))
	names := make([]string, 0, len(ls))
	for _, l := range ls {
		name := prefix + "_" + l.env
		byName[name] = l
		names = append(names, name)
	}
	// Sort so that errors come out in a stable order whatever the
	// environment's order is.
	env := append([]string(nil), environ...)
	sort.Strings(env)
	var errs []error
	for _, kv := range env {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, prefix+"_") {
			continue
		}
		l, ok := byName[name]
		if !ok {
			errs = append(errs, fmt.Errorf("options: environment variable %s matches no field%s", name, didYouMean(name, names)))
			continue
		}
		if err := setText(l.value, val); err != nil {
			errs = append(errs, fmt.Errorf("options: environment variable %s (field %s): %w", name, l.path, err))
		}
	}
	return errors.Join(errs...)
}
