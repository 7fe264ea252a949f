package openslo

import (
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

// alphaSLO maps an openslo/v1alpha SLO, the version Sloth reads: the ratio
// sits in objectives[].ratioMetrics with inline {source, query} metrics,
// and windows are {count, unit}.
func (r *reader) alphaSLO(b *sloBuild) *palisade.Error {
	o, s := b.o, b.s
	spec := o.root.key("spec")
	if err := spec.reqMap(o); err != nil {
		return err
	}
	var err *palisade.Error
	if s.Service, err = spec.key("service").reqString(o); err != nil {
		return err
	}
	if s.Description, err = spec.key("description").optString(o); err != nil {
		return err
	}
	if err := r.alerting(b); err != nil {
		return err
	}
	if ind := spec.key("indicator"); ind.present() {
		if tm := ind.key("thresholdMetric"); tm.present() {
			b.skipf(tm.path, "a threshold metric has no Palisade form (Palisade indicators are ratios of good to valid events)")
		}
	}
	if err := r.alphaWindow(b, spec.key("timeWindows")); err != nil {
		return err
	}
	bm, err := spec.key("budgetingMethod").reqString(o)
	if err != nil {
		return err
	}
	if err := r.budgeting(b, bm, spec.key("budgetingMethod")); err != nil {
		return err
	}
	objs := spec.key("objectives")
	if err := r.objectives(b, objs); err != nil {
		return err
	}
	if len(b.skip) > 0 {
		return nil
	}
	rm := objs.index(0).key("ratioMetrics")
	if !rm.present() {
		return o.errorf(objs.index(0).path, "ratioMetrics is required when spec.indicator has no thresholdMetric")
	}
	if err := rm.reqMap(o); err != nil {
		return err
	}
	good, bad, total := rm.key("good"), rm.key("bad"), rm.key("total")
	switch {
	case good.present() && bad.present():
		return o.errorf(rm.path, "give good or bad, not both")
	case !good.present() && !bad.present():
		return o.errorf(rm.path, "good or bad is required")
	case !total.present():
		return o.errorf(rm.path, "total is required")
	}
	var incremental *bool
	if inc := rm.key("incremental"); inc.present() {
		v, err := inc.optBool(o)
		if err != nil {
			return err
		}
		incremental = &v
	}
	p := &slo.Prometheus{}
	for _, m := range []struct {
		n   node
		dst *string
	}{{good, &p.Good}, {bad, &p.Bad}, {total, &p.Total}} {
		if !m.n.present() {
			continue
		}
		if err := m.n.reqMap(o); err != nil {
			return err
		}
		src, err := m.n.key("source").reqString(o)
		if err != nil {
			return err
		}
		if !strings.EqualFold(src, SourcePrometheus) {
			b.skipf(m.n.key("source").path, "metric source %s has no Palisade form (Palisade reads Prometheus and its own indicators)", src)
			return nil
		}
		q, err := m.n.key("query").reqString(o)
		if err != nil {
			return err
		}
		*m.dst = b.query(o, m.n.key("query").path, q, incremental)
	}
	// v1alpha has no DataSource objects, so the server is never known.
	b.noServer = true
	s.Indicator = slo.Indicator{Kind: slo.KindPrometheus, Prometheus: p}
	return nil
}

// alphaUnit maps a v1alpha window unit to the v1 shorthand.
func alphaUnit(name string) (string, bool) {
	switch name {
	case "Minute":
		return "m", true
	case "Hour":
		return "h", true
	case "Day":
		return "d", true
	case "Week":
		return "w", true
	case "Month":
		return "M", true
	case "Quarter":
		return "Q", true
	case "Year":
		return "Y", true
	}
	return "", false
}

func (r *reader) alphaWindow(b *sloBuild, tw node) *palisade.Error {
	o := b.o
	w, ok, err := oneWindow(b, tw, "spec.timeWindows")
	if !ok || err != nil {
		return err
	}
	unitName, err := w.key("unit").reqString(o)
	if err != nil {
		return err
	}
	unit, ok := alphaUnit(unitName)
	if !ok {
		return o.errorf(w.key("unit").path, "unit %q: use Minute, Hour, Day, Week, Month, Quarter or Year", unitName)
	}
	count, err := w.key("count").number(o)
	if err != nil {
		return err
	}
	if count < 1 || count > 100000 || count != float64(int(count)) {
		return o.errorf(w.key("count").path, "count %v is not a positive whole number", count)
	}
	cal := w.key("calendar")
	rolling := !cal.present()
	if ir := w.key("isRolling"); ir.present() {
		if rolling, err = ir.optBool(o); err != nil {
			return err
		}
	}
	if rolling {
		return r.rolling(b, w.path, int(count), unit)
	}
	return r.calendar(b, w.path, cal, int(count), unit)
}
