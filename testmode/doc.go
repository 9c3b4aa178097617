// Package testmode runs background jobs whose tests need no sleeps: the same
// client runs jobs for real in production (Disabled), synchronously in the
// caller at insert (Inline), or records them for assertions without running
// them (Manual).
//
// It follows Oban's testing modes and Oban.Testing assertions, and River's
// typed job arguments.
//
// The package exports nothing yet; its API is being built.
package testmode
