package slo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// FromSection decodes the slos section of palisade.yaml: a list of
// objectives. Errors point at file:line:col.
//
//	slos:
//	  - name: checkout-remediation
//	    service: checkout
//	    objective: 99          # percent
//	    window: 28d            # rolling; or month, week
//	    budgeting: occurrences # or timeslices (slice: 5m)
//	    indicator:
//	      remediation: {severities: [critical, high]}
func FromSection(n *catalog.Node) ([]*SLO, error) {
	if n == nil || n.Kind == catalog.NullNode {
		return nil, nil
	}
	if n.Kind != catalog.ListNode {
		return nil, n.Errorf("slos: expected a list of objectives, got %s", n.Kind)
	}
	var out []*SLO
	var errs palisade.Errors
	seen := map[string]bool{}
	for _, item := range n.List {
		s, err := fromNode(item)
		if err != nil {
			errs = append(errs, asErrors(err)...)
			continue
		}
		if seen[s.Name] {
			errs = append(errs, item.Errorf("duplicate SLO name %q", s.Name))
			continue
		}
		seen[s.Name] = true
		out = append(out, s)
	}
	return out, errs.Err()
}

func asErrors(err error) palisade.Errors {
	var es palisade.Errors
	if e, ok := err.(palisade.Errors); ok {
		return e
	}
	if e, ok := err.(*palisade.Error); ok {
		return append(es, e)
	}
	return append(es, &palisade.Error{Code: palisade.EINVALID, Message: err.Error()})
}

func fromNode(n *catalog.Node) (*SLO, error) {
	f, err := n.Fields("SLO", "name", "service", "description", "objective", "window", "budgeting", "slice", "indicator", "alerting")
	if err != nil {
		return nil, err
	}
	s := &SLO{Budgeting: Occurrences, Slice: DefaultSlice, Alerting: Alerting{MinEvents: DefaultMinEvents}}
	text := func(key string, dst *string, required bool) error {
		v, ok := f[key]
		if !ok {
			if required {
				return n.Errorf("SLO: %s is required", key)
			}
			return nil
		}
		x, err := v.String(key)
		*dst = x
		return err
	}
	for _, t := range []struct {
		key      string
		dst      *string
		required bool
	}{{"name", &s.Name, true}, {"service", &s.Service, true}, {"description", &s.Description, false}, {"budgeting", &s.Budgeting, false}} {
		if err := text(t.key, t.dst, t.required); err != nil {
			return nil, err
		}
	}
	obj, ok := f["objective"]
	if !ok {
		return nil, n.Errorf("SLO %s: objective is required (a percentage such as 99.9)", s.Name)
	}
	pct, err := number(obj, "objective")
	if err != nil {
		return nil, err
	}
	if !(pct > 0 && pct < 100) {
		return nil, obj.Errorf("objective %v is outside (0, 100): give a percentage such as 99.9", pct)
	}
	s.Objective = pct / 100
	win, ok := f["window"]
	if !ok {
		return nil, n.Errorf("SLO %s: window is required (such as 28d, month or week)", s.Name)
	}
	ws, err := win.String("window")
	if err != nil {
		return nil, err
	}
	if s.Window, err = ParseWindow(ws); err != nil {
		return nil, win.Errorf("window: %v", err)
	}
	if sl, ok := f["slice"]; ok {
		v, err := sl.String("slice")
		if err != nil {
			return nil, err
		}
		if s.Slice, err = ParseDuration(v); err != nil {
			return nil, sl.Errorf("slice: %v", err)
		}
	}
	if al, ok := f["alerting"]; ok {
		af, err := al.Fields("alerting", "minEvents", "disabled")
		if err != nil {
			return nil, err
		}
		if m, ok := af["minEvents"]; ok {
			if s.Alerting.MinEvents, err = m.Int("minEvents"); err != nil {
				return nil, err
			}
		}
		if d, ok := af["disabled"]; ok {
			if s.Alerting.Disabled, err = d.Bool("disabled"); err != nil {
				return nil, err
			}
		}
	}
	in, ok := f["indicator"]
	if !ok {
		return nil, n.Errorf("SLO %s: indicator is required", s.Name)
	}
	if s.Indicator, err = indicatorFrom(in); err != nil {
		return nil, err
	}
	if s.Indicator.Kind == KindExposure || s.Indicator.Kind == KindControls {
		if _, given := f["budgeting"]; !given {
			s.Budgeting = Timeslices
		}
	}
	if err := s.Validate(); err != nil {
		// Point at the field the validation names, when it is there.
		field := strings.SplitN(palisade.ErrorField(err), ".", 2)[0]
		at := n
		if v, ok := f[field]; ok {
			at = v
		}
		return nil, at.Errorf("SLO %s: %s", s.Name, palisade.ErrorMessage(err))
	}
	return s, nil
}

func number(n *catalog.Node, what string) (float64, error) {
	if n.Kind != catalog.ScalarNode || n.Quoted {
		return 0, n.Errorf("%s: expected a number", what)
	}
	v, err := strconv.ParseFloat(n.Scalar, 64)
	if err != nil {
		return 0, n.Errorf("%s: expected a number, got %q", what, n.Scalar)
	}
	return v, nil
}

var kinds = []string{KindEvents, KindRemediation, KindExposure, KindControls, KindPrometheus}

func indicatorFrom(n *catalog.Node) (Indicator, error) {
	f, err := n.Fields("indicator", kinds...)
	if err != nil {
		return Indicator{}, err
	}
	if len(f) != 1 {
		return Indicator{}, n.Errorf("indicator: give exactly one of %s", strings.Join(kinds, ", "))
	}
	for kind, v := range f {
		in := Indicator{Kind: kind}
		switch kind {
		case KindEvents:
			if _, err := v.Fields("events"); err != nil {
				return in, err
			}
		case KindRemediation, KindExposure:
			vf, err := v.Fields(kind, "severities")
			if err != nil {
				return in, err
			}
			in.Severities = []string{"critical", "high"}
			if sv, ok := vf["severities"]; ok {
				if in.Severities, err = stringList(sv, "severities"); err != nil {
					return in, err
				}
			}
		case KindControls:
			vf, err := v.Fields(kind, "check")
			if err != nil {
				return in, err
			}
			c, ok := vf["check"]
			if !ok {
				return in, v.Errorf("controls: check is required (mfa, tls, audit-logging, ...)")
			}
			if in.Check, err = c.String("check"); err != nil {
				return in, err
			}
		case KindPrometheus:
			vf, err := v.Fields(kind, "server", "good", "bad", "total")
			if err != nil {
				return in, err
			}
			p := &Prometheus{}
			for key, dst := range map[string]*string{"server": &p.Server, "good": &p.Good, "bad": &p.Bad, "total": &p.Total} {
				if x, ok := vf[key]; ok {
					if *dst, err = x.String(key); err != nil {
						return in, err
					}
				}
			}
			in.Prometheus = p
		}
		return in, nil
	}
	return Indicator{}, fmt.Errorf("unreachable")
}

func stringList(n *catalog.Node, what string) ([]string, error) {
	if n.Kind != catalog.ListNode {
		return nil, n.Errorf("%s: expected a list", what)
	}
	var out []string
	for _, x := range n.List {
		s, err := x.String(what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
