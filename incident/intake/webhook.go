package intake

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	palisade "github.com/palisade-project/palisade"
)

// WebhookConfig tells ParseWebhook where a sender's JSON keeps the alert's
// parts. Each field is a simple dotted path into the body ("alert.id",
// "checks.0.state"): object members by name, array elements by index. A
// member whose name contains a dot cannot be addressed.
type WebhookConfig struct {
	// DedupKeyField gives the key that ties deliveries of one alert
	// together. Without it every distinct body is its own alert, and a
	// resolve can never match its trigger.
	DedupKeyField string `json:"dedupKey,omitempty" yaml:"dedupKey,omitempty"`
	// ActionField gives the alert's state. Without it every delivery is a
	// trigger.
	ActionField string `json:"action,omitempty" yaml:"action,omitempty"`
	// ActionValues maps the values found at ActionField (compared without
	// regard to case) to "trigger", "acknowledge" or "resolve". Nil means
	// DefaultActionValues. A value it does not map is refused, so that a
	// state nobody thought of ("in_progress") cannot open or close alerts.
	ActionValues map[string]string `json:"actionValues,omitempty" yaml:"actionValues,omitempty"`
	// SummaryField gives the one-line description.
	SummaryField string `json:"summary,omitempty" yaml:"summary,omitempty"`
	// SeverityField gives the severity; without it a top-level "severity"
	// member is used when present.
	SeverityField string `json:"severity,omitempty" yaml:"severity,omitempty"`
	// ServiceField gives the Palisade service; without it a top-level
	// "service" member is used when present.
	ServiceField string `json:"service,omitempty" yaml:"service,omitempty"`
}

// DefaultActionValues returns the state values ParseWebhook understands
// when WebhookConfig.ActionValues is nil: the words common senders use.
// The map is new on every call, so callers may change it.
func DefaultActionValues() map[string]string {
	return map[string]string{
		"trigger":      ActionTrigger,
		"triggered":    ActionTrigger,
		"firing":       ActionTrigger,
		"alerting":     ActionTrigger,
		"open":         ActionTrigger,
		"problem":      ActionTrigger,
		"acknowledge":  ActionAcknowledge,
		"acknowledged": ActionAcknowledge,
		"ack":          ActionAcknowledge,
		"resolve":      ActionResolve,
		"resolved":     ActionResolve,
		"ok":           ActionResolve,
		"recovered":    ActionResolve,
		"closed":       ActionResolve,
	}
}

// Validate reports whether c is usable; configuration loading should call
// it so that a bad source configuration fails at start, not per delivery.
func (c WebhookConfig) Validate() error {
	for _, f := range []struct{ name, path string }{
		{"dedupKey", c.DedupKeyField},
		{"action", c.ActionField},
		{"summary", c.SummaryField},
		{"severity", c.SeverityField},
		{"service", c.ServiceField},
	} {
		if f.path == "" {
			continue
		}
		for _, seg := range strings.Split(f.path, ".") {
			if seg == "" {
				return palisade.FieldErrorf(palisade.EINVALID, f.name, "%q is not a dotted path (empty segment)", f.path)
			}
		}
	}
	if c.ActionValues != nil && c.ActionField == "" {
		return palisade.FieldErrorf(palisade.EINVALID, "actionValues", "set action too: the values are looked up there")
	}
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(c.ActionValues)) {
		v := c.ActionValues[k]
		if v != ActionTrigger && v != ActionAcknowledge && v != ActionResolve {
			return palisade.FieldErrorf(palisade.EINVALID, child("actionValues", k), "must be trigger, acknowledge or resolve")
		}
		low := strings.ToLower(strings.TrimSpace(k))
		if prev, dup := seen[low]; dup && prev != v {
			return palisade.FieldErrorf(palisade.EINVALID, child("actionValues", k), "maps to %s, but a value differing only in case maps to %s", v, prev)
		}
		seen[low] = v
	}
	return nil
}

// ParseWebhook reads a generic JSON alert whose layout cfg describes.
//
// DedupKey is the value at cfg.DedupKeyField (required in the body when
// configured, at most 255 characters), else SHA-256 of the body's canonical
// JSON. Action is cfg.ActionValues applied to the value at cfg.ActionField,
// else trigger. Labels hold the body's top-level members that are strings,
// numbers or booleans, as text. Raw is the whole body.
//
// An invalid cfg is the server's fault, not the sender's, so it is reported
// as EINTERNAL; call cfg.Validate when loading configuration.
func ParseWebhook(source string, body []byte, cfg WebhookConfig) (*Alert, error) {
	if err := cfg.Validate(); err != nil {
		return nil, &palisade.Error{Code: palisade.EINTERNAL, Message: "the webhook source " + strconv.Quote(source) + " is misconfigured", Err: err}
	}
	top, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	a := &Alert{
		Source:      source,
		Kind:        KindWebhook,
		Action:      ActionTrigger,
		Labels:      map[string]string{},
		Annotations: map[string]string{},
		Raw:         compact(body),
	}
	derivedLabels(a.Labels, top, MaxLabelsPerAlert)

	if cfg.DedupKeyField != "" {
		key, ok, err := lookup(top, cfg.DedupKeyField)
		if err != nil {
			return nil, err
		}
		if !ok || key == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, cfg.DedupKeyField, "required: it identifies the alert")
		}
		if err := checkDedupKey(cfg.DedupKeyField, key); err != nil {
			return nil, err
		}
		a.DedupKey = key
	} else {
		a.DedupKey = contentHash(body)
	}

	if cfg.ActionField != "" {
		v, ok, err := lookup(top, cfg.ActionField)
		if err != nil {
			return nil, err
		}
		if !ok || v == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, cfg.ActionField, "required: it tells trigger from resolve")
		}
		values := cfg.ActionValues
		if values == nil {
			values = DefaultActionValues()
		}
		action := ""
		for k, act := range values {
			if strings.EqualFold(strings.TrimSpace(k), strings.TrimSpace(v)) {
				action = act
				break
			}
		}
		if action == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, cfg.ActionField, "%s is not mapped to trigger, acknowledge or resolve", strconv.Quote(truncate(v, 64)))
		}
		a.Action = action
	}

	if cfg.SummaryField != "" {
		s, _, err := lookup(top, cfg.SummaryField)
		if err != nil {
			return nil, err
		}
		a.Summary = truncateRunes(s, MaxSummaryLength)
	}
	for _, f := range []struct {
		path, fallback string
		dst            *string
	}{
		{cfg.SeverityField, "severity", &a.Severity},
		{cfg.ServiceField, "service", &a.Service},
	} {
		if f.path == "" {
			*f.dst = a.Labels[f.fallback]
			continue
		}
		v, _, err := lookup(top, f.path)
		if err != nil {
			return nil, err
		}
		if err := checkValue(f.path, v); err != nil {
			return nil, err
		}
		*f.dst = v
	}
	return a, nil
}

// lookup follows a dotted path and returns the scalar there as text; ok is
// false when the path leads nowhere or to null.
func lookup(top object, path string) (value string, ok bool, err error) {
	cur := json.RawMessage(nil)
	obj := top
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		switch {
		case obj != nil:
			raw, found := obj[seg]
			if !found {
				return "", false, nil
			}
			cur = raw
		case kind(cur) == "array":
			n, convErr := strconv.Atoi(seg)
			if convErr != nil || n < 0 {
				return "", false, nil
			}
			var elems []json.RawMessage
			if json.Unmarshal(cur, &elems) != nil || n >= len(elems) {
				return "", false, nil
			}
			cur = elems[n]
		default:
			return "", false, nil
		}
		obj = nil
		if i < len(segs)-1 && kind(cur) == "object" {
			if obj, err = asObject(cur, path); err != nil {
				return "", false, err
			}
		}
	}
	if kind(cur) == "null" {
		return "", false, nil
	}
	s, isScalar := scalar(cur)
	if !isScalar {
		return "", false, palisade.FieldErrorf(palisade.EINVALID, path, "expected a string, number or boolean, found a JSON %s", kind(cur))
	}
	return s, true, nil
}
