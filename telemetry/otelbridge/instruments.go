package otelbridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/ecopatterns/ecopatterns/telemetry"
)

// Errors passed to Options.ErrorHandler, matched with errors.Is. Errors
// returned by the MeterProvider when it creates an instrument are passed on
// wrapped, with the instrument's name.
var (
	// ErrInstrumentConflict reports a measurement whose instrument name is
	// already used by an instrument of another kind or unit (for example the
	// same key once as an integer and once as a float). Its values are
	// dropped.
	ErrInstrumentConflict = errors.New("otelbridge: instrument name already used by another kind of instrument")
	// ErrNegativeCount reports a negative integer measurement, which a
	// counter cannot add. The value is dropped.
	ErrNegativeCount = errors.New("otelbridge: negative value for a counter")
)

// Instrument signatures: an OpenTelemetry instrument name is bound to one of
// them for the lifetime of a Bridge.
const (
	sigSeconds   = "float64 histogram with unit s"
	sigHistogram = "float64 histogram"
	sigCounter   = "int64 counter"
)

// instruments creates metric instruments lazily and caches them: per event
// name for the hot path (no allocation, no lock), and per instrument name so
// that two event names sharing an instrument (a span's stop and exception
// events) share one instance.
type instruments struct {
	meter  metric.Meter
	bounds []float64
	report func(error)

	ends   sync.Map // telemetry.Name of a stop or exception event -> *eventInstruments
	points sync.Map // telemetry.Name of a point event -> *eventInstruments

	mu     sync.Mutex
	byName map[string]created // guarded by mu
}

type created struct {
	sig  string
	inst any // metric.Float64Histogram or metric.Int64Counter
}

// eventInstruments are the instruments of one event name.
type eventInstruments struct {
	// base prefixes measurement instrument names: the span's prefix for
	// span ends, the event name for point events.
	base string
	// duration is the span duration histogram; nil for point events.
	duration metric.Float64Histogram
	// meas holds the measurement instruments seen so far. It is copied on
	// write under instruments.mu.
	meas atomic.Pointer[[]*measInstrument]
}

// measInstrument is the instrument of one measurement key and kind.
type measInstrument struct {
	name     string
	key      string
	kind     telemetry.MeasurementKind
	counter  metric.Int64Counter     // KindInt
	hist     metric.Float64Histogram // KindFloat, KindDuration
	negative atomic.Bool             // a negative count was reported
}

func newInstruments(meter metric.Meter, bounds []float64, report func(error)) *instruments {
	return &instruments{meter: meter, bounds: bounds, report: report, byName: map[string]created{}}
}

// event returns the instruments of the event name; base is the span prefix
// when spanEnd, the event name otherwise.
func (c *instruments) event(name telemetry.Name, base string, spanEnd bool) *eventInstruments {
	m := &c.points
	if spanEnd {
		m = &c.ends
	}
	if v, ok := m.Load(name); ok {
		return v.(*eventInstruments)
	}
	ei := &eventInstruments{base: base}
	if spanEnd {
		ei.duration = c.histogram(base+".duration", sigSeconds)
	}
	v, _ := m.LoadOrStore(name, ei)
	return v.(*eventInstruments)
}

// measurement returns the instrument of m, creating it at first use.
func (c *instruments) measurement(ei *eventInstruments, m telemetry.Measurement) *measInstrument {
	if p := ei.meas.Load(); p != nil {
		for _, mi := range *p {
			if mi.key == m.Key && mi.kind == m.Kind() {
				return mi
			}
		}
	}
	mi := &measInstrument{name: ei.base + "." + m.Key, key: m.Key, kind: m.Kind()}
	switch mi.kind {
	case telemetry.KindInt:
		mi.counter = c.counter(mi.name)
	case telemetry.KindDuration:
		mi.hist = c.histogram(mi.name, sigSeconds)
	default:
		mi.hist = c.histogram(mi.name, sigHistogram)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old []*measInstrument
	if p := ei.meas.Load(); p != nil {
		old = *p
		// Another goroutine may have added it meanwhile; both got the same
		// instrument from byName, so either is fine.
		for _, o := range old {
			if o.key == mi.key && o.kind == mi.kind {
				return o
			}
		}
	}
	next := make([]*measInstrument, len(old), len(old)+1)
	copy(next, old)
	next = append(next, mi)
	ei.meas.Store(&next)
	return mi
}

// histogram returns the float64 histogram called name, creating it at first
// use; sig says whether it holds seconds.
func (c *instruments) histogram(name, sig string) metric.Float64Histogram {
	inst, err := c.instrument(name, sig, func() (any, error) {
		var opts []metric.Float64HistogramOption
		if sig == sigSeconds {
			opts = append(opts, metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(c.bounds...))
		}
		h, err := c.meter.Float64Histogram(name, opts...)
		if h == nil {
			h = noop.Float64Histogram{}
		}
		return h, err
	})
	if err != nil {
		c.report(err)
	}
	if h, ok := inst.(metric.Float64Histogram); ok {
		return h
	}
	return noop.Float64Histogram{}
}

// counter returns the int64 counter called name, creating it at first use.
func (c *instruments) counter(name string) metric.Int64Counter {
	inst, err := c.instrument(name, sigCounter, func() (any, error) {
		ctr, err := c.meter.Int64Counter(name)
		if ctr == nil {
			ctr = noop.Int64Counter{}
		}
		return ctr, err
	})
	if err != nil {
		c.report(err)
	}
	if ctr, ok := inst.(metric.Int64Counter); ok {
		return ctr
	}
	return noop.Int64Counter{}
}

// instrument returns the instrument called name, creating it with create at
// first use. The error, to be reported outside the lock, is a creation
// error or a conflict with an instrument of another signature, in which
// case the instrument returned is nil.
func (c *instruments) instrument(name, sig string, create func() (any, error)) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cr, ok := c.byName[name]; ok {
		if cr.sig != sig {
			return nil, fmt.Errorf("%w: %q is a %s, not a %s", ErrInstrumentConflict, name, cr.sig, sig)
		}
		return cr.inst, nil
	}
	inst, err := create()
	c.byName[name] = created{sig: sig, inst: inst}
	if err != nil {
		// Instruments come back usable even with an error (an invalid
		// name, a duplicate registration): keep recording, but say so.
		err = fmt.Errorf("otelbridge: creating %s %q: %w", sig, name, err)
	}
	return inst, err
}

// recordOne records one measurement through its instrument; opt supplies
// the attribute set, built only when some instrument is enabled.
func (c *instruments) recordOne(ctx context.Context, mi *measInstrument, m telemetry.Measurement, opt *lazySet) {
	if mi.counter != nil {
		if !mi.counter.Enabled(ctx) {
			return
		}
		v := m.Int64()
		if v < 0 {
			if !mi.negative.Swap(true) {
				c.report(fmt.Errorf("%w: %s = %d (reported once per instrument)", ErrNegativeCount, mi.name, v))
			}
			return
		}
		mi.counter.Add(ctx, v, opt.option())
		return
	}
	if mi.hist.Enabled(ctx) {
		mi.hist.Record(ctx, m.Float64(), opt.option())
	}
}
