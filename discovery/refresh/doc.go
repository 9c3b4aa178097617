// Package refresh turns a function that lists targets into a
// discovery.Discoverer that calls it at a fixed interval. It is the base of
// polling mechanisms such as discovery/dns, as Prometheus's
// discovery/refresh is of its pollers.
//
// # Composing with it
//
// A mechanism's NewDiscoverer returns
//
//	refresh.New(cfg.RefreshInterval, func(ctx context.Context) ([]*discovery.Group, error) {
//		return lookUp(ctx, cfg)
//	})
//
// and the Discoverer does the rest: it calls the function at once and then
// every interval, sends the full set first and afterwards only the groups
// that changed (with empty groups for Sources that disappeared), and
// reports errors with discovery.ReportError.
//
// Unlike Prometheus's helper it sends nothing when nothing changed, so a
// thousand pollers that find the same targets cost the Manager nothing; and
// it lets a refresh fail in part: the groups a failing refresh returns are
// applied, and the others are kept as they were.
//
// # Extending it
//
// Write a Func. Its contract is on the type.
//
// # What it deliberately does not do
//
// It does not retry a failed refresh sooner, add jitter, or run refreshes
// concurrently: the next attempt is one interval after the previous one
// ended, so a slow backend is never called twice at once.
//
// # Examples
//
// Examples, which go doc does not print (see pkg.go.dev or the _test.go files):
//
//   - New: a poller: a function that lists what exists now, sent as the full
//     set first, then as changes only.
package refresh
