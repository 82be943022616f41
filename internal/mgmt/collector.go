package mgmt

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Kind says whether a metric only rises or goes both ways.
type Kind uint8

// The kinds of metric a snapshot field can be exported as.
const (
	Counter Kind = iota + 1
	Gauge
)

func (k Kind) valueType() prometheus.ValueType {
	if k == Counter {
		return prometheus.CounterValue
	}
	return prometheus.GaugeValue
}

// Metric is one metric family read from a snapshot of type S. Exactly one
// of Value (a single series) and Series (one series per label values,
// with Labels naming the labels) is set.
type Metric[S any] struct {
	Name   string
	Help   string
	Kind   Kind
	Value  func(s *S) float64
	Labels []string
	Series func(s *S, emit func(value float64, labelValues ...string))
}

// RegisterSnapshot registers on reg a collector that calls snapshot once
// per scrape and exports metrics read from it. It checks every metric
// against the naming rules first and reports all problems at once.
func RegisterSnapshot[S any](reg prometheus.Registerer, snapshot func() S, metrics ...Metric[S]) error {
	c, err := NewSnapshotCollector(snapshot, metrics...)
	if err != nil {
		return err
	}
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	return nil
}

// NewSnapshotCollector is RegisterSnapshot without the registering, for a
// caller that wraps the collector or registers it itself.
func NewSnapshotCollector[S any](snapshot func() S, metrics ...Metric[S]) (prometheus.Collector, error) {
	var errs []error
	if snapshot == nil {
		errs = append(errs, errors.New("snapshot function: required"))
	}
	c := &snapshotCollector[S]{snapshot: snapshot, metrics: metrics}
	for _, m := range metrics {
		if err := m.check(); err != nil {
			errs = append(errs, err)
			continue
		}
		c.descs = append(c.descs, prometheus.NewDesc(m.Name, m.Help, m.Labels, nil))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return c, nil
}

func (m *Metric[S]) check() error {
	var errs []error
	if err := checkName(m.Name, m.Kind); err != nil {
		errs = append(errs, err)
	}
	if m.Help == "" {
		errs = append(errs, errors.New("help text: required"))
	}
	switch {
	case (m.Value == nil) == (m.Series == nil):
		errs = append(errs, errors.New("want exactly one of Value and Series"))
	case m.Series != nil && len(m.Labels) == 0:
		errs = append(errs, errors.New("Series needs Labels"))
	case m.Value != nil && len(m.Labels) > 0:
		errs = append(errs, errors.New("Labels need Series"))
	}
	for _, l := range m.Labels {
		if err := checkLabel(l); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	return nil
}

// metricName is sipfleet_<subsystem>_<what>[_<unit>]: lower case words.
var metricName = regexp.MustCompile(`^sipfleet_[a-z][a-z0-9]*(_[a-z0-9]+)+$`)

func checkName(name string, kind Kind) error {
	switch {
	case !metricName.MatchString(name):
		return fmt.Errorf("name %q: want sipfleet_<subsystem>_<what>_<unit> in lower case", name)
	case kind == Counter && !strings.HasSuffix(name, "_total"):
		return fmt.Errorf("counter name %q: must end in _total", name)
	case kind == Gauge && strings.HasSuffix(name, "_total"):
		return fmt.Errorf("gauge name %q: _total is for counters", name)
	case kind != Counter && kind != Gauge:
		return fmt.Errorf("kind %d: want Counter or Gauge", kind)
	}
	return nil
}

// personalLabels name label values that would identify a caller: every one
// makes a series per user or per call, a privacy leak and a cardinality
// bomb. Per-user detail belongs in logs, not metrics.
var personalLabels = map[string]bool{
	"user": true, "username": true, "aor": true, "contact": true,
	"from": true, "to": true, "call_id": true, "callid": true,
	"ip": true, "src": true, "source": true, "client": true, "address": true,
	"user_agent": true, "ua": true,
}

var labelName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkLabel(l string) error {
	switch {
	case !labelName.MatchString(l):
		return fmt.Errorf("label %q: want lower case words", l)
	case personalLabels[l]:
		return fmt.Errorf("label %q: labels must not carry users, Call-IDs or addresses", l)
	}
	return nil
}

type snapshotCollector[S any] struct {
	snapshot func() S
	metrics  []Metric[S]
	descs    []*prometheus.Desc
}

func (c *snapshotCollector[S]) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *snapshotCollector[S]) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	for i := range c.metrics {
		m, desc := &c.metrics[i], c.descs[i]
		vt := m.Kind.valueType()
		if m.Value != nil {
			ch <- prometheus.MustNewConstMetric(desc, vt, m.Value(&s))
			continue
		}
		m.Series(&s, func(v float64, labelValues ...string) {
			pm, err := prometheus.NewConstMetric(desc, vt, v, labelValues...)
			if err != nil {
				pm = prometheus.NewInvalidMetric(desc, err)
			}
			ch <- pm
		})
	}
}

// RegisterCounterFunc registers a counter read from fn at each scrape,
// for a single number that has no snapshot struct.
func RegisterCounterFunc(reg prometheus.Registerer, name, help string, fn func() float64) error {
	return registerFunc(reg, Counter, name, help, fn)
}

// RegisterGaugeFunc registers a gauge read from fn at each scrape.
func RegisterGaugeFunc(reg prometheus.Registerer, name, help string, fn func() float64) error {
	return registerFunc(reg, Gauge, name, help, fn)
}

func registerFunc(reg prometheus.Registerer, kind Kind, name, help string, fn func() float64) error {
	m := Metric[struct{}]{Name: name, Help: help, Kind: kind, Value: func(*struct{}) float64 { return fn() }}
	if fn == nil {
		m.Value = nil
	}
	return RegisterSnapshot(reg, func() struct{} { return struct{}{} }, m)
}

// counterOf and gaugeOf build the common Metric: one series read from one
// field of the snapshot.
func counterOf[S any](name, help string, field func(*S) uint64) Metric[S] {
	return Metric[S]{Name: name, Help: help, Kind: Counter, Value: func(s *S) float64 { return float64(field(s)) }}
}

func gaugeOf[S any, N uint64 | int](name, help string, field func(*S) N) Metric[S] {
	return Metric[S]{Name: name, Help: help, Kind: Gauge, Value: func(s *S) float64 { return float64(field(s)) }}
}

// series is one label value of a Metric with a single label, and the
// field it reads.
type series[S any, N uint64 | int] struct {
	value string
	field func(*S) N
}

// byLabel builds a Metric with one label and a fixed set of series, for
// fields that are parts of one whole (errors by operation).
func byLabel[S any, N uint64 | int](name, help string, kind Kind, label string, ss ...series[S, N]) Metric[S] {
	return Metric[S]{
		Name: name, Help: help, Kind: kind, Labels: []string{label},
		Series: func(s *S, emit func(float64, ...string)) {
			for _, x := range ss {
				emit(float64(x.field(s)), x.value)
			}
		},
	}
}
