package otelbridge

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// drop selects top-level metadata keys left out of a conversion.
type drop uint8

const (
	// dropStack leaves out telemetry.KeyStack.
	dropStack drop = 1 << iota
	// dropError leaves out telemetry.KeyError.
	dropError
)

// appendAttrs converts metadata to OpenTelemetry attributes, in order, as
// described in the package documentation. Later attributes with the same key
// win, in OpenTelemetry as in [telemetry.Event.Attr].
func appendAttrs(dst []attribute.KeyValue, md []slog.Attr, d drop) []attribute.KeyValue {
	for _, a := range md {
		if d&dropStack != 0 && a.Key == telemetry.KeyStack || d&dropError != 0 && a.Key == telemetry.KeyError {
			continue
		}
		dst = appendAttr(dst, "", a)
	}
	return dst
}

// appendAttr converts one slog attribute, flattening groups into dotted
// keys below prefix.
func appendAttr(dst []attribute.KeyValue, prefix string, a slog.Attr) []attribute.KeyValue {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		// As in slog, a group with an empty key is inlined and an empty
		// group is dropped.
		p := prefix
		if a.Key != "" {
			p = joinKey(prefix, a.Key)
		}
		for _, ga := range v.Group() {
			dst = appendAttr(dst, p, ga)
		}
		return dst
	}
	if a.Key == "" {
		return dst // OpenTelemetry has no attribute with an empty key
	}
	return append(dst, valueKV(joinKey(prefix, a.Key), v))
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// valueKV converts a resolved, non-group slog value.
func valueKV(k string, v slog.Value) attribute.KeyValue {
	switch v.Kind() {
	case slog.KindString:
		return attribute.String(k, v.String())
	case slog.KindInt64:
		return attribute.Int64(k, v.Int64())
	case slog.KindUint64:
		if u := v.Uint64(); u <= math.MaxInt64 {
			return attribute.Int64(k, int64(u))
		}
		// Too large for an int64 attribute: keep every digit as text.
		return attribute.String(k, strconv.FormatUint(v.Uint64(), 10))
	case slog.KindFloat64:
		return attribute.Float64(k, v.Float64())
	case slog.KindBool:
		return attribute.Bool(k, v.Bool())
	case slog.KindDuration:
		return attribute.Float64(k, v.Duration().Seconds())
	case slog.KindTime:
		return attribute.String(k, v.Time().Format(time.RFC3339Nano))
	default:
		return anyKV(k, v.Any())
	}
}

// anyKV converts the value of a slog.KindAny attribute.
func anyKV(k string, x any) attribute.KeyValue {
	switch x := x.(type) {
	case []string:
		return attribute.StringSlice(k, x)
	case []int64:
		return attribute.Int64Slice(k, x)
	case []int:
		return attribute.IntSlice(k, x)
	case []float64:
		return attribute.Float64Slice(k, x)
	case []bool:
		return attribute.BoolSlice(k, x)
	default:
		// fmt calls Error, then String, and survives methods that panic,
		// such as those of nil pointers: a bad value must not make the
		// handler panic and be detached.
		return attribute.String(k, fmt.Sprint(x))
	}
}

// appendMeasurementAttrs converts measurements: integers to int64
// attributes, floats to float64 attributes and durations to float64
// seconds.
func appendMeasurementAttrs(dst []attribute.KeyValue, ms []telemetry.Measurement) []attribute.KeyValue {
	for _, m := range ms {
		if m.Key == "" {
			continue
		}
		if m.Kind() == telemetry.KindInt {
			dst = append(dst, attribute.Int64(m.Key, m.Int64()))
		} else {
			dst = append(dst, attribute.Float64(m.Key, m.Float64()))
		}
	}
	return dst
}
