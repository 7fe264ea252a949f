package intake

import (
	"encoding/json"
	"time"

	palisade "github.com/palisade-project/palisade"
)

// ParseAlertmanager reads an Alertmanager webhook notification (payload
// "version 4": a group with alerts[]) and returns one Alert per element of
// alerts, in order.
//
// Each alert's action comes from its own status (firing → trigger, resolved
// → resolve), falling back to the group's status when an alert has none.
// DedupKey is the alert's fingerprint, or LabelsFingerprint of its labels
// when the sender left it out, which is the value Alertmanager would have
// sent. Severity and Service come from the "severity" and "service" labels;
// Summary from the "summary" annotation, else the "alertname" label.
//
// Unknown fields are ignored, so Grafana's additions (orgId, values,
// dashboardURL, ...) and payloads from Alertmanager versions before
// notification_reason existed are accepted; the version field is not
// checked because Grafana sends the same shape with version "1".
func ParseAlertmanager(source string, body []byte) ([]Alert, error) {
	top, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	if !top.present("alerts") {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "alerts", "required: this is not an Alertmanager webhook payload")
	}
	elems, err := top.array("alerts", "alerts")
	if err != nil {
		return nil, err
	}
	if len(elems) > MaxAlertsPerPayload {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, "alerts",
			"%d alerts in one notification, at most %d are accepted (set max_alerts in the webhook_config)", len(elems), MaxAlertsPerPayload)
	}
	groupStatus, err := top.str("status", "status")
	if err != nil {
		return nil, err
	}
	alerts := make([]Alert, 0, len(elems))
	for i, raw := range elems {
		a, err := parseAlertmanagerAlert(source, raw, index("alerts", i), groupStatus)
		if err != nil {
			return nil, err
		}
		alerts = append(alerts, a)
	}
	return alerts, nil
}

func parseAlertmanagerAlert(source string, raw json.RawMessage, path, groupStatus string) (Alert, error) {
	a := Alert{Source: source, Kind: KindAlertmanager}
	obj, err := asObject(raw, path)
	if err != nil {
		return a, err
	}

	status, err := obj.str("status", path+".status")
	if err != nil {
		return a, err
	}
	statusPath := path + ".status"
	if status == "" {
		status, statusPath = groupStatus, "status"
	}
	switch status {
	case "firing":
		a.Action = ActionTrigger
	case "resolved":
		a.Action = ActionResolve
	case "":
		return a, palisade.FieldErrorf(palisade.EINVALID, path+".status", "required")
	default:
		return a, palisade.FieldErrorf(palisade.EINVALID, statusPath, "must be \"firing\" or \"resolved\"")
	}

	if a.Labels, err = stringMap(obj, "labels", path+".labels", false); err != nil {
		return a, err
	}
	if a.Annotations, err = stringMap(obj, "annotations", path+".annotations", true); err != nil {
		return a, err
	}

	fp, err := obj.str("fingerprint", path+".fingerprint")
	if err != nil {
		return a, err
	}
	if err := checkDedupKey(path+".fingerprint", fp); err != nil {
		return a, err
	}
	if fp == "" {
		if len(a.Labels) == 0 {
			// Every label-less alert would share one key and resolve the others.
			return a, palisade.FieldErrorf(palisade.EINVALID, path+".labels", "required when fingerprint is absent: they identify the alert")
		}
		fp = LabelsFingerprint(a.Labels)
	}
	a.DedupKey = fp

	for _, f := range []struct {
		key string
		t   *time.Time
	}{{"startsAt", &a.StartsAt}, {"endsAt", &a.EndsAt}} {
		s, err := obj.str(f.key, path+"."+f.key)
		if err != nil {
			return a, err
		}
		if s == "" {
			continue
		}
		t, ok := parseTime(s)
		if !ok {
			return a, palisade.FieldErrorf(palisade.EINVALID, path+"."+f.key, "expected an RFC 3339 time such as 2026-01-15T10:00:00Z")
		}
		*f.t = t
	}

	// generatorURL is Prometheus' graph of the rule; the others are Grafana's.
	for _, l := range []struct{ key, text string }{
		{"generatorURL", "Source"},
		{"dashboardURL", "Dashboard"},
		{"panelURL", "Panel"},
		{"silenceURL", "Silence"},
	} {
		href, err := obj.str(l.key, path+"."+l.key)
		if err != nil {
			return a, err
		}
		if link, ok := webLink(href, l.text); ok {
			a.Links = append(a.Links, link)
		}
	}

	a.Summary = a.Annotations["summary"]
	if a.Summary == "" {
		a.Summary = a.Labels["alertname"]
	}
	a.Summary = truncateRunes(a.Summary, MaxSummaryLength)
	a.Severity = a.Labels["severity"]
	a.Service = a.Labels["service"]
	a.Raw = compact(raw)
	return a, nil
}

// stringMap reads Alertmanager labels or annotations: an object of strings.
// Labels over the limits refuse the payload, because cutting one would
// change which alert it is; annotation values are cut instead.
func stringMap(o object, key, path string, annotations bool) (map[string]string, error) {
	m := map[string]string{}
	obj, err := o.obj(key, path)
	if err != nil || obj == nil {
		return m, err
	}
	if len(obj) > MaxLabelsPerAlert {
		return nil, palisade.FieldErrorf(palisade.ETOOLARGE, path, "%d entries, at most %d are accepted", len(obj), MaxLabelsPerAlert)
	}
	for _, k := range obj.sortedKeys() {
		if len(k) > MaxLabelNameLength {
			return nil, palisade.FieldErrorf(palisade.ETOOLARGE, path, "a name is longer than %d bytes", MaxLabelNameLength)
		}
		p := child(path, k)
		if k == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, p, "empty name")
		}
		var v string
		if kind(obj[k]) != "string" || json.Unmarshal(obj[k], &v) != nil {
			return nil, expected(p, "a string", obj[k])
		}
		switch {
		case annotations:
			v = truncate(v, MaxAnnotationValueLength)
		case len(v) > MaxLabelValueLength:
			return nil, palisade.FieldErrorf(palisade.ETOOLARGE, p, "longer than %d bytes", MaxLabelValueLength)
		}
		m[k] = v
	}
	return m, nil
}
