package incident

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/incident/intake"
)

// Source types: which endpoint a source posts to.
const (
	SourceAlertmanager = intake.KindAlertmanager // POST /api/v1/alerts/alertmanager?source=NAME, Bearer token
	SourceEvents       = intake.KindEvents       // POST /api/v1/alerts/events, routing_key in the body
	SourceWebhook      = intake.KindWebhook      // POST /api/v1/alerts/webhook/NAME, HMAC signature
)

// Signature schemes of webhook sources.
const (
	SignatureGitHub   = "github"   // X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
	SignatureStandard = "standard" // Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
)

// DefaultSourceRate is how many deliveries per second a source may make
// unless it sets rate; bursts of twice that pass.
const DefaultSourceRate = 200

// Source is one sender of alerts, from the alertSources section:
//
//	alertSources:
//	  - name: alertmanager                # POST /api/v1/alerts/alertmanager?source=alertmanager
//	    type: alertmanager
//	    tokens: ['${PALISADE_AM_TOKEN}']  # Authorization: Bearer <token>
//	  - name: uptime-checks               # POST /api/v1/alerts/events
//	    type: events
//	    routingKeys: ['${UPTIME_ROUTING_KEY}']
//	    labels: {team: platform}
//	  - name: github-ci                   # POST /api/v1/alerts/webhook/github-ci
//	    type: webhook
//	    signature: github                 # or standard
//	    secrets: ['${GH_HOOK_SECRET}', '${GH_HOOK_SECRET_PREVIOUS}']
//	    fields: {dedupKey: check_run.id, action: action, summary: check_run.name}
//	    rate: 50                          # deliveries per second
//
// Credentials are ${NAME} references to the server's environment; several
// at once let a sender move to a new one before the old one goes.
type Source struct {
	Name        string               `json:"name"`
	Type        string               `json:"type"`
	Signature   string               `json:"signature,omitempty"`
	Fields      intake.WebhookConfig `json:"fields"`
	Labels      map[string]string    `json:"labels,omitempty"`
	Rate        int                  `json:"rate"`
	tokens      [][32]byte           // SHA-256 of each bearer token or routing key
	secrets     []intake.Secret
	unavailable string // why the credentials could not be resolved
	// config is the configuration the source was found in, so that the
	// delivery it authenticated is routed by the same rules without
	// reading them again.
	config *Config
}

var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// SourcesFromSection decodes the alertSources section; lookup resolves
// ${NAME} references (nil: checked, left unresolved, and the sources
// refuse every delivery). A reference that does not resolve disables its
// source with the reason, and leaves the others working.
func SourcesFromSection(n *catalog.Node, lookup func(string) (string, bool)) ([]Source, error) {
	if n == nil || n.Kind == catalog.NullNode {
		return nil, nil
	}
	if n.Kind != catalog.ListNode {
		return nil, n.Errorf("alertSources: expected a list of sources")
	}
	var out []Source
	for _, item := range n.List {
		src, err := sourceFrom(item, lookup)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(s Source) bool { return s.Name == src.Name }) {
			return nil, item.Errorf("alert source %q is declared twice", src.Name)
		}
		out = append(out, src)
	}
	return out, nil
}

func sourceFrom(n *catalog.Node, lookup func(string) (string, bool)) (Source, error) {
	f, err := n.Fields("alert source", "name", "type", "tokens", "routingKeys", "signature", "secrets", "fields", "labels", "rate")
	if err != nil {
		return Source{}, err
	}
	var s Source
	for key, dst := range map[string]*string{"name": &s.Name, "type": &s.Type, "signature": &s.Signature} {
		if v, ok := f[key]; ok {
			if *dst, err = v.String(key); err != nil {
				return s, err
			}
		}
	}
	at := func(key string) *catalog.Node {
		if v, ok := f[key]; ok {
			return v
		}
		return n
	}
	if !sourceName.MatchString(s.Name) {
		return s, at("name").Errorf("alert source name %q: 1-63 lower-case letters, digits and '-'", s.Name)
	}
	allowed := map[string]string{SourceAlertmanager: "tokens", SourceEvents: "routingKeys", SourceWebhook: "secrets"}
	credKey, ok := allowed[s.Type]
	if !ok {
		return s, at("type").Errorf("alert source type %q: use alertmanager, events or webhook", s.Type)
	}
	for key := range allowed {
		if k := allowed[key]; k != credKey {
			if v, ok := f[k]; ok {
				return s, v.Errorf("%s belongs to %s sources; a %s source takes %s", k, key, s.Type, credKey)
			}
		}
	}
	if s.Type != SourceWebhook {
		for _, k := range []string{"signature", "fields"} {
			if v, ok := f[k]; ok {
				return s, v.Errorf("%s is for webhook sources", k)
			}
		}
	} else if s.Signature != SignatureGitHub && s.Signature != SignatureStandard {
		return s, at("signature").Errorf("signature %q: use github (X-Hub-Signature-256) or standard (Standard Webhooks)", s.Signature)
	}
	creds, ok := f[credKey]
	if !ok || creds.Kind != catalog.ListNode || len(creds.List) == 0 || len(creds.List) > 10 {
		return s, at(credKey).Errorf("%s: a list of 1 to 10 ${ENV_NAME} references", credKey)
	}
	for i, c := range creds.List {
		v, err := c.Text(credKey, true, nil)
		if err != nil {
			return s, err
		}
		if lookup == nil {
			s.unavailable = "credentials not resolved"
			continue
		}
		if v, err = catalog.ExpandRefs(v, lookup); err != nil {
			s.unavailable = fmt.Sprintf("%s[%d]: %v", credKey, i, err)
			continue
		}
		if s.Type == SourceWebhook {
			if s.Signature == SignatureStandard {
				if _, err := intake.ParseStandardSecret(v); err != nil {
					return s, c.Errorf("%s[%d]: %v", credKey, i, err)
				}
			}
			s.secrets = append(s.secrets, intake.Secret{ID: fmt.Sprintf("%s[%d]", credKey, i), Value: []byte(v)})
		} else {
			s.tokens = append(s.tokens, sha256.Sum256([]byte(v)))
		}
	}
	if v, ok := f["fields"]; ok {
		if s.Fields, err = webhookFields(v); err != nil {
			return s, err
		}
	}
	if v, ok := f["labels"]; ok {
		if v.Kind != catalog.MapNode {
			return s, v.Errorf("labels: expected a mapping of label names to values")
		}
		s.Labels = map[string]string{}
		for _, e := range v.Map {
			val, err := e.Value.String("label " + e.Key)
			if err != nil {
				return s, err
			}
			s.Labels[e.Key] = val
		}
	}
	s.Rate = DefaultSourceRate
	if v, ok := f["rate"]; ok {
		if s.Rate, err = v.Int("rate"); err != nil {
			return s, err
		}
		if s.Rate < 1 || s.Rate > 10000 {
			return s, v.Errorf("rate: 1 to 10000 deliveries per second")
		}
	}
	return s, nil
}

func webhookFields(n *catalog.Node) (intake.WebhookConfig, error) {
	var c intake.WebhookConfig
	f, err := n.Fields("fields", "dedupKey", "action", "actionValues", "summary", "severity", "service")
	if err != nil {
		return c, err
	}
	for key, dst := range map[string]*string{"dedupKey": &c.DedupKeyField, "action": &c.ActionField, "summary": &c.SummaryField,
		"severity": &c.SeverityField, "service": &c.ServiceField} {
		if v, ok := f[key]; ok {
			if *dst, err = v.String(key); err != nil {
				return c, err
			}
		}
	}
	if v, ok := f["actionValues"]; ok {
		if v.Kind != catalog.MapNode {
			return c, v.Errorf("actionValues: expected a mapping of values to trigger, acknowledge or resolve")
		}
		c.ActionValues = map[string]string{}
		for _, e := range v.Map {
			val, err := e.Value.String("actionValues." + e.Key)
			if err != nil {
				return c, err
			}
			c.ActionValues[e.Key] = val
		}
	}
	if err := c.Validate(); err != nil {
		return c, n.Errorf("fields: %v", err)
	}
	return c, nil
}

// errBadCredential is what a sender learns when its credential does not
// match; the log says more.
func errBadCredential(what string) error {
	return palisade.Errorf(palisade.EUNAUTHORIZED, "%s", what)
}

func (s *Source) matchToken(secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	ok := 0
	for i := range s.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], s.tokens[i][:])
	}
	return ok == 1
}

// source returns the configured source name of type typ.
func (s *Service) source(ctx context.Context, typ, name string) (*Source, error) {
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Sources {
		if src := &cfg.Sources[i]; src.Name == name {
			if src.Type != typ {
				return nil, palisade.Errorf(palisade.ENOTFOUND, "alert source %q is a %s source: post to its own endpoint", name, src.Type)
			}
			return src, nil
		}
	}
	return nil, palisade.Errorf(palisade.ENOTFOUND, "no %s alert source %q: declare it under alertSources in palisade.yaml", typ, name)
}

// unavailable refuses deliveries to a source whose credentials the server
// could not resolve.
func (s *Service) unavailable(src *Source) error {
	if src.unavailable == "" {
		return nil
	}
	s.log.Warn("alert source cannot authenticate", "source", src.Name, "reason", src.unavailable)
	return errBadCredential("this source's credentials are not available on the server")
}

// SourceByToken authenticates an Authorization header for the named
// source of type typ (alertmanager).
func (s *Service) SourceByToken(ctx context.Context, typ, name, authorization string) (*Source, error) {
	src, err := s.source(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	if err := s.unavailable(src); err != nil {
		return nil, err
	}
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !src.matchToken(strings.TrimSpace(token)) {
		return nil, errBadCredential("send the source's token as Authorization: Bearer <token>")
	}
	return src, nil
}

// SourceByRoutingKey finds the events source whose routing key this is.
// Every source's keys are compared, in constant time each.
func (s *Service) SourceByRoutingKey(ctx context.Context, key string) (*Source, error) {
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	var found *Source
	for i := range cfg.Sources {
		if src := &cfg.Sources[i]; src.Type == SourceEvents && src.matchToken(key) && found == nil {
			found = src
		}
	}
	if found == nil {
		return nil, errBadCredential("routing_key matches no alert source")
	}
	return found, nil
}

// SourceBySignature authenticates a webhook delivery for the named source.
func (s *Service) SourceBySignature(ctx context.Context, name string, h http.Header, body []byte) (*Source, error) {
	src, err := s.source(ctx, SourceWebhook, name)
	if err != nil {
		return nil, err
	}
	if err := s.unavailable(src); err != nil {
		return nil, err
	}
	if src.Signature == SignatureStandard {
		err = intake.VerifyStandard(h, body, src.secrets, s.now())
	} else {
		err = intake.VerifyGitHub(h.Get(intake.HeaderGitHubSignature), body, src.secrets)
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

// Allow reports whether src may deliver now (its rate, bursts of twice
// that); refused deliveries get ERATELIMIT.
func (s *Service) Allow(src *Source) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rates == nil {
		s.rates = map[string]*rate.Limiter{}
	}
	lim, ok := s.rates[src.Name]
	if !ok || lim.Limit() != rate.Limit(src.Rate) {
		lim = rate.NewLimiter(rate.Limit(src.Rate), 2*src.Rate)
		s.rates[src.Name] = lim
	}
	if !lim.AllowN(s.now(), 1) {
		return palisade.Errorf(palisade.ERATELIMIT, "alert source %s is over its rate of %d deliveries per second", src.Name, src.Rate)
	}
	return nil
}

// IngestFrom records alerts from an authenticated source: the source's
// labels are added under the alerts' own, and the source is the actor of
// what they change.
func (s *Service) IngestFrom(ctx context.Context, src *Source, address string, alerts []intake.Alert) (*IngestResult, error) {
	for i := range alerts {
		alerts[i].Source = src.Name
		for k, v := range src.Labels {
			if _, ok := alerts[i].Labels[k]; !ok {
				if alerts[i].Labels == nil {
					alerts[i].Labels = map[string]string{}
				}
				alerts[i].Labels[k] = v
			}
		}
	}
	actor := palisade.Actor{Kind: "source", Name: src.Name, Role: palisade.RoleResponder, Address: address}
	if a, ok := palisade.ActorFrom(ctx); ok {
		actor.RequestID = a.RequestID
	}
	return s.ingest(palisade.WithActor(ctx, actor), src.config, alerts)
}

// RaiseInternal records alerts Palisade raises itself (SLO burn, missed
// remediation deadlines, ...), under source, as the system actor.
func (s *Service) RaiseInternal(ctx context.Context, source string, alerts []intake.Alert) (*IngestResult, error) {
	for i := range alerts {
		alerts[i].Source, alerts[i].Kind = source, intake.KindInternal
		if alerts[i].StartsAt.IsZero() {
			alerts[i].StartsAt = s.now().UTC().Truncate(time.Second)
		}
	}
	return s.Ingest(palisade.WithActor(ctx, palisade.SystemActor(source)), alerts)
}

// ReconcileInternal is RaiseInternal for a source that knows the whole
// set of its conditions at once (missed deadlines, overdue action items):
// firing are every alert that should fire now; the source's other alerts
// that still fire are resolved. Alerts already firing are counted as
// repeated deliveries and change nothing else.
func (s *Service) ReconcileInternal(ctx context.Context, source string, firing []intake.Alert) (*IngestResult, error) {
	active, err := s.store.ActiveAlerts(ctx, source)
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for i := range firing {
		firing[i].Action = intake.ActionTrigger
		keep[firing[i].DedupKey] = true
	}
	all := firing
	for _, a := range active {
		if !keep[a.DedupKey] {
			all = append(all, intake.Alert{DedupKey: a.DedupKey, Action: intake.ActionResolve, Summary: a.Summary, Severity: a.Severity,
				Service: a.Service, Labels: a.Labels, Annotations: map[string]string{}})
		}
	}
	if len(all) == 0 {
		return &IngestResult{Opened: []string{}, Joined: []string{}, Incidents: []string{}, Warnings: []string{}}, nil
	}
	return s.RaiseInternal(ctx, source, all)
}
