package slo

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/palisade-project/palisade"
)

// Source measures one kind of indicator. Adding a source is one file: a
// type with Measure, registered with Engine.Register.
type Source interface {
	// Measure returns the counts over the SLO's window and over each burn
	// window (slo.BurnWindows), all ending at now. An error makes the SLO
	// no_data with the error as the reason.
	Measure(ctx context.Context, s *SLO, now time.Time) (*Measurement, error)
}

// Measurement is what a source measured.
type Measurement struct {
	Period  Counts
	Windows map[time.Duration]Counts
}

// Alert is a burn-rate alert starting or ending.
type Alert struct {
	SLO      string        `json:"slo"`
	Service  string        `json:"service"`
	Severity string        `json:"severity"` // page or ticket
	Long     time.Duration `json:"long"`
	Short    time.Duration `json:"short"`
	Factor   float64       `json:"factor"`
	Burn     float64       `json:"burn"`
	Firing   bool          `json:"firing"`
	At       time.Time     `json:"at"`
	// Objective and BudgetRemaining give the alert its context.
	Objective       float64  `json:"objective"`
	BudgetRemaining *float64 `json:"budgetRemaining,omitempty"`
}

// Key identifies the alert condition within its SLO.
func (a Alert) Key() string { return a.Severity + "/" + Duration(a.Long).String() }

// AlertSink receives alerts. The incident capability's intake implements
// it; until then alerts go to the log.
type AlertSink interface {
	Notify(ctx context.Context, a Alert) error
}

// LogSink writes alerts to a logger.
type LogSink struct{ Log *slog.Logger }

// Notify implements AlertSink.
func (l LogSink) Notify(ctx context.Context, a Alert) error {
	state := "resolved"
	if a.Firing {
		state = "firing"
	}
	l.Log.Warn("slo alert "+state, "slo", a.SLO, "service", a.Service, "severity", a.Severity, "window", Duration(a.Long).String()+"/"+Duration(a.Short).String(),
		"burn_rate", a.Burn, "factor", a.Factor)
	return nil
}

// Engine evaluates SLOs from their sources.
type Engine struct {
	store   Store
	now     palisade.Clock
	log     *slog.Logger
	sources map[string]Source
	sinks   []AlertSink
	cache   *bucketCache
}

// NewEngine returns an engine over store with the events source built in;
// register the other sources with Register.
func NewEngine(store Store, now palisade.Clock, log *slog.Logger) *Engine {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	e := &Engine{store: store, now: now, log: log, sources: map[string]Source{}, cache: newBucketCache()}
	e.Register(KindEvents, eventsSource{e})
	return e
}

// Register makes kind's indicators measured by src.
func (e *Engine) Register(kind string, src Source) { e.sources[kind] = src }

// AddSink sends alerts to sink as well.
func (e *Engine) AddSink(sink AlertSink) { e.sinks = append(e.sinks, sink) }

// EvaluateAll evaluates every SLO, stores the results and raises or
// resolves alerts. It runs as a leased job; it returns the statuses.
func (e *Engine) EvaluateAll(ctx context.Context) ([]Status, error) {
	now := e.now().UTC()
	slos, err := e.store.SLOs(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.refresh(ctx); err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(slos))
	for _, s := range slos {
		out = append(out, e.evaluate(ctx, s, now))
	}
	if err := e.store.PutStatuses(ctx, out); err != nil {
		return out, err
	}
	return out, e.alerts(ctx, out, now)
}

// Evaluate evaluates one SLO now, without storing anything.
func (e *Engine) Evaluate(ctx context.Context, s *SLO) (Status, error) {
	if err := e.refresh(ctx); err != nil {
		return Status{}, err
	}
	return e.evaluate(ctx, s, e.now().UTC()), nil
}

func (e *Engine) evaluate(ctx context.Context, s *SLO, now time.Time) Status {
	src, ok := e.sources[s.Indicator.Kind]
	if !ok {
		return noData(s, now, fmt.Sprintf("no source measures %q indicators here", s.Indicator.Kind))
	}
	m, err := src.Measure(ctx, s, now)
	if err != nil {
		return noData(s, now, err.Error())
	}
	return Evaluate(s, now, m.Period, m.Windows)
}

func noData(s *SLO, now time.Time, reason string) Status {
	st := Evaluate(s, now, Counts{}, nil)
	st.Reason = reason
	return st
}

// refresh brings the bucket cache up to date with the store.
func (e *Engine) refresh(ctx context.Context) error {
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	bs, next, err := e.store.BucketsChanged(ctx, e.cache.watermark)
	if err != nil {
		return err
	}
	for _, b := range bs {
		e.cache.put(b)
	}
	e.cache.watermark = next
	e.cache.expire(e.now().Add(-400 * 24 * time.Hour))
	return nil
}

// alerts compares the firing conditions with the stored ones and notifies
// what started and what ended.
func (e *Engine) alerts(ctx context.Context, statuses []Status, now time.Time) error {
	open, err := e.store.Alerts(ctx)
	if err != nil {
		return err
	}
	was := map[string]AlertState{}
	for _, a := range open {
		was[a.SLO+"\x00"+a.Key] = a
	}
	var fired, resolved []AlertState
	var notes []Alert
	for _, st := range statuses {
		firing := map[string]bool{}
		for _, f := range st.Alerts {
			a := Alert{SLO: st.Name, Service: st.Service, Severity: f.Severity, Long: f.Long, Short: f.Short, Factor: f.Factor,
				Burn: f.LongBurn, Firing: true, At: now, Objective: st.Objective, BudgetRemaining: st.ErrorBudgetRemaining}
			k := st.Name + "\x00" + a.Key()
			firing[a.Key()] = true
			if _, ok := was[k]; !ok {
				fired = append(fired, AlertState{SLO: st.Name, Key: a.Key(), FiringAt: now})
				notes = append(notes, a)
			}
		}
		for k, a := range was {
			if strings.HasPrefix(k, st.Name+"\x00") && !firing[a.Key] {
				t := now
				a.ResolvedAt = &t
				resolved = append(resolved, a)
				sev, long, _ := strings.Cut(a.Key, "/")
				d, _ := ParseDuration(long)
				notes = append(notes, Alert{SLO: st.Name, Service: st.Service, Severity: sev, Long: time.Duration(d), Firing: false, At: now,
					Objective: st.Objective, BudgetRemaining: st.ErrorBudgetRemaining})
			}
		}
	}
	if len(fired)+len(resolved) == 0 {
		return nil
	}
	if err := e.store.PutAlerts(ctx, fired, resolved); err != nil {
		return err
	}
	sort.Slice(notes, func(i, j int) bool { return notes[i].SLO+notes[i].Key() < notes[j].SLO+notes[j].Key() })
	for _, n := range notes {
		for _, s := range e.sinks {
			if err := s.Notify(ctx, n); err != nil {
				e.log.Error("slo alert delivery failed", "slo", n.SLO, "error", err.Error())
			}
		}
	}
	return nil
}

// bucketCache holds every SLO's event buckets in memory, updated from the
// store with what changed since the last evaluation, so that an evaluation
// costs the same whatever the number of raw events.
type bucketCache struct {
	mu        sync.Mutex
	watermark time.Time
	bySLO     map[string]map[bucketKey]Counts
}

type bucketKey struct {
	start int64 // unix seconds
	width int64 // seconds
}

func newBucketCache() *bucketCache { return &bucketCache{bySLO: map[string]map[bucketKey]Counts{}} }

func (c *bucketCache) put(b Bucket) {
	m, ok := c.bySLO[b.SLO]
	if !ok {
		m = map[bucketKey]Counts{}
		c.bySLO[b.SLO] = m
	}
	k := bucketKey{b.Start.Unix(), int64(b.Width / time.Second)}
	if b.Total == 0 && b.Good == 0 {
		delete(m, k) // compacted away
		return
	}
	m[k] = b.Counts
}

func (c *bucketCache) expire(before time.Time) {
	cut := before.Unix()
	for _, m := range c.bySLO {
		for k := range m {
			if k.start+k.width < cut {
				delete(m, k)
			}
		}
	}
}

// sums adds the buckets of slo that lie inside each window ending at now;
// windows are keyed by their length, period by from.
func (c *bucketCache) sums(slo string, from, now time.Time, windows []time.Duration) (Counts, map[time.Duration]Counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	period := Counts{}
	out := map[time.Duration]Counts{}
	end := now.Unix()
	starts := make([]int64, len(windows))
	for i, w := range windows {
		starts[i] = now.Add(-w).Unix()
	}
	f := from.Unix()
	for k, v := range c.bySLO[slo] {
		if k.start >= end {
			continue
		}
		if k.start >= f {
			period = period.Add(v)
		}
		for i, s := range starts {
			if k.start >= s {
				out[windows[i]] = out[windows[i]].Add(v)
			}
		}
	}
	return period, out
}

// eventsSource measures pushed events from the bucket cache.
type eventsSource struct{ e *Engine }

func (s eventsSource) Measure(ctx context.Context, o *SLO, now time.Time) (*Measurement, error) {
	period, win := s.e.cache.sums(o.Name, o.Window.Start(now), now, BurnWindows())
	if o.Budgeting == Timeslices {
		return nil, fmt.Errorf("pushed events are counted as occurrences; set budgeting: occurrences")
	}
	return &Measurement{Period: period, Windows: win}, nil
}
