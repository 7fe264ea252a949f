package openslo

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
)

// The structs below fix the key order of what Write produces; Read goes
// through generic values so that it can name any field in its errors.

type outObject struct {
	APIVersion string      `yaml:"apiVersion"`
	Kind       string      `yaml:"kind"`
	Metadata   outMetadata `yaml:"metadata"`
	Spec       any         `yaml:"spec"`
}

type outMetadata struct {
	Name        string            `yaml:"name"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type outService struct {
	Description string `yaml:"description,omitempty"`
}

type outDataSource struct {
	Type              string            `yaml:"type"`
	ConnectionDetails map[string]string `yaml:"connectionDetails"`
}

type outSLO struct {
	Description     string         `yaml:"description,omitempty"`
	Service         string         `yaml:"service"`
	Indicator       outIndicator   `yaml:"indicator"`
	TimeWindow      []outWindow    `yaml:"timeWindow"`
	BudgetingMethod string         `yaml:"budgetingMethod"`
	Objectives      []outObjective `yaml:"objectives"`
}

type outIndicator struct {
	Metadata outMetadata `yaml:"metadata"`
	Spec     struct {
		RatioMetric outRatio `yaml:"ratioMetric"`
	} `yaml:"spec"`
}

type outRatio struct {
	Good  *outMetric `yaml:"good,omitempty"`
	Bad   *outMetric `yaml:"bad,omitempty"`
	Total *outMetric `yaml:"total"`
}

type outMetric struct {
	MetricSource struct {
		MetricSourceRef string         `yaml:"metricSourceRef,omitempty"`
		Type            string         `yaml:"type"`
		Spec            map[string]any `yaml:"spec"`
	} `yaml:"metricSource"`
}

type outWindow struct {
	Duration  string       `yaml:"duration"`
	IsRolling bool         `yaml:"isRolling"`
	Calendar  *outCalendar `yaml:"calendar,omitempty"`
}

type outCalendar struct {
	StartTime string `yaml:"startTime"`
	TimeZone  string `yaml:"timeZone"`
}

type outObjective struct {
	Target          float64  `yaml:"target"`
	TimeSliceTarget *float64 `yaml:"timeSliceTarget,omitempty"`
	TimeSliceWindow string   `yaml:"timeSliceWindow,omitempty"`
}

// Calendar starts Write gives; Read takes them as Palisade's own alignment
// (00:00 UTC on the 1st, and on a Monday: 2024-01-01 is one).
const (
	monthStart = "2024-01-01 00:00:00"
	weekStart  = "2024-01-01 00:00:00"
)

// Write writes the SLOs as OpenSLO v1 documents: a Service per service, a
// DataSource per Prometheus server, and an SLO with its indicator inline.
// Palisade's own indicators get metricSource type Palisade; alerting
// settings go into annotations; Read of the output gives the same SLOs.
// It refuses SLOs that do not validate, and windows that OpenSLO cannot
// write (not a whole number of minutes).
func Write(w io.Writer, slos []*slo.SLO) error {
	var errs palisade.Errors
	var docs []outObject
	services := map[string]bool{}
	var serviceOrder []string
	sources := map[string]string{} // server -> DataSource name
	var sourceDocs []outObject
	var sloDocs []outObject
	for i, s := range slos {
		if s == nil {
			errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, fmt.Sprintf("slos[%d]", i), "nil SLO"))
			continue
		}
		if err := s.Validate(); err != nil {
			errs = append(errs, palisade.FieldErrorf(palisade.EINVALID, "slos["+s.Name+"]."+palisade.ErrorField(err), "%s", palisade.ErrorMessage(err)))
			continue
		}
		doc, err := sloDoc(s, func(server string) string {
			if name, ok := sources[server]; ok {
				return name
			}
			name := "prometheus"
			if len(sources) > 0 {
				name = fmt.Sprintf("prometheus-%d", len(sources)+1)
			}
			sources[server] = name
			sourceDocs = append(sourceDocs, outObject{APIVersion: APIVersion, Kind: "DataSource", Metadata: outMetadata{Name: name},
				Spec: outDataSource{Type: SourcePrometheus, ConnectionDetails: map[string]string{"url": server}}})
			return name
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !services[s.Service] {
			services[s.Service] = true
			serviceOrder = append(serviceOrder, s.Service)
		}
		sloDocs = append(sloDocs, doc)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	for _, name := range serviceOrder {
		docs = append(docs, outObject{APIVersion: APIVersion, Kind: "Service", Metadata: outMetadata{Name: name}, Spec: outService{}})
	}
	docs = append(docs, sourceDocs...)
	docs = append(docs, sloDocs...)
	for i, d := range docs {
		b, err := yaml.MarshalWithOptions(d, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(false))
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", d.Kind, d.Metadata.Name, err)
		}
		sep := "---\n"
		if i == 0 {
			sep = "# OpenSLO v1, written by Palisade (docs/openslo.md).\n"
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func sloDoc(s *slo.SLO, source func(server string) string) (outObject, *palisade.Error) {
	spec := outSLO{Description: s.Description, Service: s.Service, BudgetingMethod: "Occurrences"}
	spec.Indicator.Metadata.Name = s.Name
	ratio := &spec.Indicator.Spec.RatioMetric
	metric := func(typ, ref string, fields map[string]any) *outMetric {
		m := &outMetric{}
		m.MetricSource.Type, m.MetricSource.MetricSourceRef, m.MetricSource.Spec = typ, ref, fields
		return m
	}
	in := s.Indicator
	if in.Kind == slo.KindPrometheus {
		p := in.Prometheus
		ref := source(p.Server)
		if p.Good != "" {
			ratio.Good = metric(SourcePrometheus, ref, map[string]any{"query": p.Good})
		} else {
			ratio.Bad = metric(SourcePrometheus, ref, map[string]any{"query": p.Bad})
		}
		ratio.Total = metric(SourcePrometheus, ref, map[string]any{"query": p.Total})
	} else {
		fields := func(count string) map[string]any {
			m := map[string]any{"indicator": in.Kind, "count": count}
			if in.Check != "" {
				m["check"] = in.Check
			}
			if len(in.Severities) > 0 {
				m["severities"] = in.Severities
			}
			return m
		}
		ratio.Good = metric(SourcePalisade, "", fields("good"))
		ratio.Total = metric(SourcePalisade, "", fields("total"))
	}
	switch s.Window.Calendar {
	case slo.CalendarMonth:
		spec.TimeWindow = []outWindow{{Duration: "1M", Calendar: &outCalendar{StartTime: monthStart, TimeZone: "UTC"}}}
	case slo.CalendarWeek:
		spec.TimeWindow = []outWindow{{Duration: "1w", Calendar: &outCalendar{StartTime: weekStart, TimeZone: "UTC"}}}
	default:
		d, ok := shorthand(time.Duration(s.Window.Rolling))
		if !ok {
			return outObject{}, palisade.FieldErrorf(palisade.EINVALID, "slos["+s.Name+"].window", "window %s is not a whole number of minutes, which OpenSLO cannot write", s.Window)
		}
		spec.TimeWindow = []outWindow{{Duration: d, IsRolling: true}}
	}
	obj := outObjective{Target: s.Objective}
	if s.Budgeting == slo.Timeslices {
		spec.BudgetingMethod = "Timeslices"
		one := 1.0
		obj.TimeSliceTarget = &one
		d, ok := shorthand(time.Duration(s.Slice))
		if !ok {
			return outObject{}, palisade.FieldErrorf(palisade.EINVALID, "slos["+s.Name+"].slice", "slice %s is not a whole number of minutes, which OpenSLO cannot write", s.Slice)
		}
		obj.TimeSliceWindow = d
	}
	spec.Objectives = []outObjective{obj}
	md := outMetadata{Name: s.Name}
	if s.Alerting.MinEvents != slo.DefaultMinEvents || s.Alerting.Disabled {
		md.Annotations = map[string]string{}
		if s.Alerting.MinEvents != slo.DefaultMinEvents {
			md.Annotations[AnnotationMinEvents] = strconv.Itoa(s.Alerting.MinEvents)
		}
		if s.Alerting.Disabled {
			md.Annotations[AnnotationAlerting] = "disabled"
		}
	}
	return outObject{APIVersion: APIVersion, Kind: "SLO", Metadata: md, Spec: spec}, nil
}

// shorthand writes d in OpenSLO's duration shorthand, which has no
// seconds.
func shorthand(d time.Duration) (string, bool) {
	if d <= 0 || d%time.Minute != 0 {
		return "", false
	}
	s := slo.Duration(d).String()
	return s, !strings.HasSuffix(s, "s")
}
