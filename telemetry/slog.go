package telemetry

import (
	"context"
	"log/slog"
)

// SlogHandler returns a Handler that writes each event as one structured
// record at level, stamped with the event's time: the message is the event name; attributes are span_id and
// parent_id when set, duration for span ends, the measurements (durations as
// time.Duration), then the metadata. A nil logger yields a handler that
// drops everything. Records below the logger's level cost one Enabled call.
func SlogHandler(logger *slog.Logger, level slog.Level) Handler {
	return &slogHandler{logger: logger, level: level}
}

type slogHandler struct {
	logger *slog.Logger
	level  slog.Level
}

func (h *slogHandler) Handle(ctx context.Context, e *Event) {
	if h.logger == nil || !h.logger.Enabled(ctx, h.level) {
		return
	}
	attrs := make([]slog.Attr, 0, 3+len(e.Measurements)+len(e.Metadata))
	if e.SpanID != 0 {
		attrs = append(attrs, slog.String("span_id", e.SpanID.String()))
	}
	if e.ParentID != 0 {
		attrs = append(attrs, slog.String("parent_id", e.ParentID.String()))
	}
	if e.Duration != 0 {
		attrs = append(attrs, slog.Duration("duration", e.Duration))
	}
	for _, m := range e.Measurements {
		attrs = append(attrs, m.Attr())
	}
	attrs = append(attrs, e.Metadata...)
	// The record carries the event's own time, not the time of logging.
	rec := slog.NewRecord(e.Time, h.level, e.Name.String(), 0)
	rec.AddAttrs(attrs...)
	_ = h.logger.Handler().Handle(ctx, rec)
}
