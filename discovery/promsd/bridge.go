package promsd

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/ecopatterns/ecopatterns/discovery"
)

// LoggedError is what a discoverer reports with discovery.ReportError when
// its Prometheus mechanism logs at error level, as Prometheus's mechanisms
// do for failed refreshes and watches instead of returning the error.
type LoggedError struct {
	// Mechanism is the name of the Config, such as "consul".
	Mechanism string
	// Message is the record's message, such as "Error refreshing service
	// list".
	Message string
	// Attrs are the record's attributes as key=value text, such as
	// `err="Get ...: connection refused"`. Secret values of the
	// configuration are replaced with <secret>.
	Attrs string
}

// Error returns "promsd: <mechanism>: <message>: <attrs>".
func (e *LoggedError) Error() string {
	if e.Attrs == "" {
		return "promsd: " + e.Mechanism + ": " + e.Message
	}
	return "promsd: " + e.Mechanism + ": " + e.Message + ": " + e.Attrs
}

// bridge is the shared state of the slog handlers handed to a Prometheus
// mechanism: the Run context errors are reported under, and the secrets
// scrubbed from every record.
type bridge struct {
	name    string
	inner   slog.Handler
	secrets []string

	mu  sync.Mutex
	ctx context.Context // nil outside Run
}

func newBridge(name string, logger *slog.Logger, secrets []string) *bridge {
	var inner slog.Handler = slog.DiscardHandler
	if logger != nil {
		inner = logger.Handler()
	}
	return &bridge{name: name, inner: inner, secrets: secrets}
}

func (b *bridge) logger() *slog.Logger {
	return slog.New(&bridgeHandler{b: b, inner: b.inner})
}

func (b *bridge) start(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ctx = ctx
}

func (b *bridge) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ctx = nil
}

func (b *bridge) runContext() context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ctx
}

// bridgeHandler forwards records, secrets scrubbed, to the logger the
// Manager gave, and reports those at error level or above.
type bridgeHandler struct {
	b      *bridge
	inner  slog.Handler
	prefix string      // groups opened with WithGroup, dotted
	attrs  []slog.Attr // attributes added with WithAttrs, names prefixed
}

func (h *bridgeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.inner.Enabled(ctx, l)
}

func (h *bridgeHandler) Handle(ctx context.Context, r slog.Record) error {
	msg := scrub(r.Message, h.b.secrets)
	clean := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	var text []string
	for _, a := range h.attrs {
		text = append(text, attrText(a, h.b.secrets))
	}
	r.Attrs(func(a slog.Attr) bool {
		a = scrubAttr(a, h.b.secrets)
		clean.AddAttrs(a)
		a.Key = h.prefix + a.Key
		text = append(text, attrText(a, nil))
		return true
	})
	var err error
	if h.inner.Enabled(ctx, r.Level) {
		err = h.inner.Handle(ctx, clean)
	}
	if r.Level >= slog.LevelError {
		if rc := h.b.runContext(); rc != nil {
			discovery.ReportError(rc, &LoggedError{Mechanism: h.b.name, Message: msg, Attrs: strings.Join(text, " ")})
		}
	}
	return err
}

func (h *bridgeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for i, a := range as {
		clean[i] = scrubAttr(a, h.b.secrets)
		named := clean[i]
		named.Key = h.prefix + named.Key
		c.attrs = append(c.attrs, named)
	}
	c.inner = h.inner.WithAttrs(clean)
	return &c
}

func (h *bridgeHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	c.inner = h.inner.WithGroup(name)
	return &c
}

// scrubAttr returns a with its value, resolved, rendered as text with
// secrets replaced when it is not a plain number or boolean.
func scrubAttr(a slog.Attr, secrets []string) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64, slog.KindBool, slog.KindDuration, slog.KindTime:
		return slog.Attr{Key: a.Key, Value: v}
	case slog.KindGroup:
		g := v.Group()
		out := make([]any, len(g))
		for i, ga := range g {
			out[i] = scrubAttr(ga, secrets)
		}
		return slog.Group(a.Key, out...)
	default:
		return slog.String(a.Key, scrub(fmt.Sprint(v.Any()), secrets))
	}
}

func attrText(a slog.Attr, secrets []string) string {
	v := a.Value.Resolve()
	s := scrub(v.String(), secrets)
	if strings.ContainsAny(s, " \"=") {
		s = fmt.Sprintf("%q", s)
	}
	return a.Key + "=" + s
}
