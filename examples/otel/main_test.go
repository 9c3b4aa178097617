package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// span holds the fields of a span, as the stdout exporter writes it, that
// do not change from run to run.
type span struct {
	Name        string
	SpanContext struct{ TraceID, SpanID string }
	Parent      struct{ TraceID, SpanID string }
	Attributes  []struct {
		Key   string
		Value struct{ Value any }
	}
	Events []struct {
		Name       string
		Attributes []struct {
			Key   string
			Value struct{ Value any }
		}
	}
	Status    struct{ Code, Description string }
	StartTime time.Time
	EndTime   time.Time
}

// exceptionType returns the exception.type of the span's exception event.
func (s span) exceptionType() any {
	for _, e := range s.Events {
		if e.Name == "exception" {
			for _, a := range e.Attributes {
				if a.Key == "exception.type" {
					return a.Value.Value
				}
			}
		}
	}
	return nil
}

// attrs returns the span's attributes as a map.
func (s span) attrs() map[string]any {
	m := map[string]any{}
	for _, a := range s.Attributes {
		m[a.Key] = a.Value.Value
	}
	return m
}

// eventNames returns the names of the span's events, in order.
func (s span) eventNames() []string {
	var names []string
	for _, e := range s.Events {
		names = append(names, e.Name)
	}
	return names
}

// section returns the text of out between the lines starting with from and
// to.
func section(t *testing.T, out, from, to string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, from)
	require.True(t, ok, "no %q in:\n%s", from, out)
	_, rest, _ = strings.Cut(rest, "\n")
	body, _, ok := strings.Cut(rest, to)
	require.True(t, ok, "no %q after %q in:\n%s", to, from, out)
	return body
}

func TestRun(t *testing.T) {
	var out strings.Builder
	before := time.Now()
	require.NoError(t, run(t.Context(), nil, &out))
	after := time.Now()
	s := out.String()

	var spans []span
	dec := json.NewDecoder(strings.NewReader(section(t, s, "== spans", "== checkout")))
	for {
		var sp span
		err := dec.Decode(&sp)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		spans = append(spans, sp)
	}
	// The exporter writes spans as they end: the children first.
	require.Len(t, spans, 3)
	reserve, charge, checkout := spans[0], spans[1], spans[2]
	require.Equal(t, "shop.stock.reserve", reserve.Name)
	require.Equal(t, "shop.payment.charge", charge.Name)
	require.Equal(t, "shop.checkout", checkout.Name)

	// One trace; the checkout is its root and the parent of the others.
	require.Equal(t, "0000000000000000", checkout.Parent.SpanID)
	require.Equal(t, checkout.SpanContext.SpanID, reserve.Parent.SpanID)
	require.Equal(t, checkout.SpanContext.SpanID, charge.Parent.SpanID)
	for _, sp := range spans {
		require.Equal(t, checkout.SpanContext.TraceID, sp.SpanContext.TraceID, sp.Name)
	}

	// Real times, not the zero time of a golden form.
	for _, sp := range spans {
		require.False(t, sp.StartTime.Before(before), "%s starts at %v, before the run", sp.Name, sp.StartTime)
		require.False(t, sp.EndTime.Before(sp.StartTime), "%s ends before it starts", sp.Name)
		require.False(t, sp.EndTime.After(after), "%s ends at %v, after the run", sp.Name, sp.EndTime)
	}
	require.False(t, checkout.EndTime.Before(charge.EndTime), "the parent ends after its children")

	require.Equal(t, "Unset", reserve.Status.Code)
	require.Equal(t, map[string]any{"items": float64(3)}, reserve.attrs())
	require.Empty(t, reserve.Events)

	require.Equal(t, "Error", charge.Status.Code)
	require.Equal(t, "payment: card declined", charge.Status.Description)
	require.Equal(t, map[string]any{"provider": "demo-pay", "kind": "error"}, charge.attrs())
	require.Equal(t, []string{"exception"}, charge.eventNames())
	require.Equal(t, "errprio 22023 invalid_parameter_value", charge.exceptionType(), "the code, not *fmt.wrapError")

	require.Equal(t, "Error", checkout.Status.Code)
	require.Equal(t, "payment: card declined", checkout.Status.Description)
	require.Equal(t, map[string]any{"region": "eu", "kind": "error"}, checkout.attrs())
	require.Equal(t, []string{"shop.coupon.applied", "exception"}, checkout.eventNames())
	require.Equal(t, "errprio 22023 invalid_parameter_value", checkout.exceptionType())

	require.Contains(t, s, "\n== checkout: payment: card declined\n")
	_, metrics, _ := strings.Cut(s, "== metrics\n")
	require.Equal(t, `shop.checkout.duration histogram unit=s count=1 {kind=error,outcome=exception,region=eu}
shop.payment.charge.duration histogram unit=s count=1 {kind=error,outcome=exception,provider=demo-pay}
shop.stock.reserve.duration histogram unit=s count=1 {outcome=stop}
shop.stock.reserve.items counter sum=3 {outcome=stop}
`, metrics)
}

func TestRunRejectsArguments(t *testing.T) {
	var out strings.Builder
	require.EqualError(t, run(context.Background(), []string{"extra"}, &out), `unexpected arguments: ["extra"]`)
}
