package intake

import (
	"encoding/json"
	"unicode/utf8"

	palisade "github.com/palisade-project/palisade"
)

// maxLinks bounds the links and images kept from one event; the rest stay
// in Raw.
const maxLinks = 64

// EventsRoutingKey returns the routing_key of a PagerDuty Events API v2 body.
// The routing key is the source's credential, so the HTTP layer needs it to
// find and authenticate the source before it parses the event.
func EventsRoutingKey(body []byte) (string, error) {
	top, err := decodeBody(body)
	if err != nil {
		return "", err
	}
	return routingKey(top)
}

func routingKey(top object) (string, error) {
	key, err := top.str("routing_key", "routing_key")
	if err != nil {
		return "", err
	}
	if key == "" {
		return "", palisade.FieldErrorf(palisade.EINVALID, "routing_key", "required")
	}
	return key, nil
}

// ParseEvents reads a PagerDuty Events API v2 event and validates it as
// PagerDuty does: routing_key and event_action (trigger, acknowledge or
// resolve) are required; dedup_key is at most 255 characters and required
// for acknowledge and resolve; a trigger needs payload.summary (at most 1024
// characters), payload.source and payload.severity (critical, error,
// warning or info).
//
// A trigger without dedup_key gets a key derived from its payload (SHA-256
// of its canonical JSON, 64 hex digits): PagerDuty makes up a random one,
// but a derived key makes a retried delivery the same alert instead of a
// second one.
//
// Labels hold the scalar members of payload.custom_details (as text), then
// severity, source, component, group and class, which win on a clash.
// Acknowledge and resolve events carry no payload worth reading (PagerDuty
// ignores it), so only their dedup_key matters. EndsAt is never set: a
// resolve event has no time of its own, so the receipt time is the caller's.
//
// Raw is the event without its routing_key, which is a credential and must
// not land on an incident timeline.
func ParseEvents(source string, body []byte) (*Alert, error) {
	top, err := decodeBody(body)
	if err != nil {
		return nil, err
	}
	if _, err := routingKey(top); err != nil {
		return nil, err
	}
	action, err := top.str("event_action", "event_action")
	if err != nil {
		return nil, err
	}
	switch action {
	case ActionTrigger, ActionAcknowledge, ActionResolve:
	case "":
		return nil, palisade.FieldErrorf(palisade.EINVALID, "event_action", "required")
	default:
		return nil, palisade.FieldErrorf(palisade.EINVALID, "event_action", "must be \"trigger\", \"acknowledge\" or \"resolve\"")
	}
	dedup, err := top.str("dedup_key", "dedup_key")
	if err != nil {
		return nil, err
	}
	if err := checkDedupKey("dedup_key", dedup); err != nil {
		return nil, err
	}

	a := &Alert{
		Source:      source,
		Kind:        KindEvents,
		Action:      action,
		DedupKey:    dedup,
		Labels:      map[string]string{},
		Annotations: map[string]string{},
	}
	delete(top, "routing_key")
	raw, err := json.Marshal(top)
	if err != nil {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "request body", "malformed JSON")
	}
	a.Raw = raw

	if action != ActionTrigger {
		if dedup == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, "dedup_key", "required for %s", action)
		}
		return a, nil
	}

	if !top.present("payload") {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "payload", "required for trigger")
	}
	payload, err := top.obj("payload", "payload")
	if err != nil {
		return nil, err
	}
	if err := parseEventPayload(a, payload); err != nil {
		return nil, err
	}
	if a.DedupKey == "" {
		a.DedupKey = contentHash(top["payload"])
	}
	if a.Links, err = eventLinks(top); err != nil {
		return nil, err
	}
	return a, nil
}

func parseEventPayload(a *Alert, payload object) error {
	labelFields := [...]string{"severity", "source", "component", "group", "class"}
	fields := map[string]string{}
	for _, k := range []string{"summary", "source", "severity", "timestamp", "component", "group", "class"} {
		v, err := payload.str(k, "payload."+k)
		if err != nil {
			return err
		}
		fields[k] = v
	}
	for _, k := range []string{"summary", "source", "severity"} {
		if fields[k] == "" {
			return palisade.FieldErrorf(palisade.EINVALID, "payload."+k, "required for trigger")
		}
	}
	if utf8.RuneCountInString(fields["summary"]) > MaxSummaryLength {
		return palisade.FieldErrorf(palisade.EINVALID, "payload.summary", "longer than %d characters", MaxSummaryLength)
	}
	switch fields["severity"] {
	case "critical", "error", "warning", "info":
	default:
		return palisade.FieldErrorf(palisade.EINVALID, "payload.severity", "must be \"critical\", \"error\", \"warning\" or \"info\"")
	}
	if ts := fields["timestamp"]; ts != "" {
		t, ok := parseTime(ts)
		if !ok {
			return palisade.FieldErrorf(palisade.EINVALID, "payload.timestamp", "expected an ISO 8601 time such as 2026-01-15T10:00:00.000+0000")
		}
		a.StartsAt = t
	}

	if payload.present("custom_details") {
		switch details := payload["custom_details"]; kind(details) {
		case "object":
			obj, err := asObject(details, "payload.custom_details")
			if err != nil {
				return err
			}
			// Room is left for the payload fields set below.
			derivedLabels(a.Labels, obj, MaxLabelsPerAlert-len(labelFields))
		case "string", "number", "boolean":
			// PagerDuty takes a bare string too and shows it as the details.
			s, _ := scalar(details)
			a.Annotations["custom_details"] = truncate(s, MaxAnnotationValueLength)
		}
	}
	for _, k := range labelFields {
		if fields[k] == "" {
			continue
		}
		if err := checkValue("payload."+k, fields[k]); err != nil {
			return err
		}
		a.Labels[k] = fields[k]
	}

	a.Summary = fields["summary"]
	a.Severity = fields["severity"]
	a.Service = a.Labels["service"]
	return nil
}

// eventLinks reads links[] ({href, text}), images[] ({src, href, alt}) and
// client_url. Malformed structure is an error, as at PagerDuty; a URL that
// is not http(s) is dropped rather than failing the alert over a link.
func eventLinks(top object) ([]Link, error) {
	var links []Link
	add := func(href, text string) {
		if len(links) >= maxLinks {
			return
		}
		if l, ok := webLink(href, text); ok {
			links = append(links, l)
		}
	}

	elems, err := top.array("links", "links")
	if err != nil {
		return nil, err
	}
	for i, raw := range elems {
		p := index("links", i)
		obj, err := asObject(raw, p)
		if err != nil {
			return nil, err
		}
		href, err := obj.str("href", p+".href")
		if err != nil {
			return nil, err
		}
		text, err := obj.str("text", p+".text")
		if err != nil {
			return nil, err
		}
		if text == "" {
			text = href
		}
		add(href, text)
	}

	elems, err = top.array("images", "images")
	if err != nil {
		return nil, err
	}
	for i, raw := range elems {
		p := index("images", i)
		obj, err := asObject(raw, p)
		if err != nil {
			return nil, err
		}
		var v [3]string
		for j, k := range []string{"src", "href", "alt"} {
			if v[j], err = obj.str(k, p+"."+k); err != nil {
				return nil, err
			}
		}
		src, href, alt := v[0], v[1], v[2]
		if src == "" {
			return nil, palisade.FieldErrorf(palisade.EINVALID, p+".src", "required")
		}
		if href == "" {
			href = src
		}
		if alt == "" {
			alt = "Image"
		}
		add(href, alt)
	}

	clientURL, err := top.str("client_url", "client_url")
	if err != nil {
		return nil, err
	}
	client, err := top.str("client", "client")
	if err != nil {
		return nil, err
	}
	if client == "" {
		client = "Sender"
	}
	add(clientURL, "View in "+client)
	return links, nil
}
