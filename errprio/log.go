package errprio

import (
	"log/slog"
	"strings"
)

// LogValue returns err as a slog group that a handler writes on one line:
// code ([CodeOf]), msg (its message) and, when it has any, hint (every
// hint of the tree, as [Flatten] finds them, joined by "; "). A nil err
// yields an empty group.
//
// Errors carrying a code ([WithCode], [Combine]) implement
// [slog.LogValuer] with it, so slog.Any("err", err) logs them on one
// line; slog's handlers would otherwise print them with %+v, which for
// cockroachdb/errors types is the multi-line dump of the whole chain. That
// dump, stacks included, stays what %+v prints. To log every error on one
// line, whatever its outermost layer, map error attributes through
// LogValue in a [slog.HandlerOptions].ReplaceAttr.
func LogValue(err error) slog.Value {
	if err == nil {
		return slog.GroupValue()
	}
	attrs := make([]slog.Attr, 2, 3)
	attrs[0] = slog.String("code", string(CodeOf(err)))
	attrs[1] = slog.String("msg", err.Error())
	var g gather
	g.walk(err)
	if len(g.hints) > 0 {
		attrs = append(attrs, slog.String("hint", strings.Join(g.hints, "; ")))
	}
	return slog.GroupValue(attrs...)
}

// LogValue logs the coded error on one line; see [LogValue].
func (w *withCode) LogValue() slog.Value { return LogValue(w) }

// LogValue logs the combined error on one line; see [LogValue].
func (c *combined) LogValue() slog.Value { return LogValue(c) }

var (
	_ slog.LogValuer = (*withCode)(nil)
	_ slog.LogValuer = (*combined)(nil)
)
