package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/client"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/notify"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/retro/retroincident"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/slo/openslo"
	"github.com/palisade-project/palisade/slo/promrules"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/vuln"
	"github.com/palisade-project/palisade/vuln/enrich"
)

// backend is what CLI commands call: the capabilities over a local
// database, or the same operations on a server's API.
type backend interface {
	Apply(ctx context.Context, doc *catalog.Document, opt catalog.ApplyOptions) (*httpapi.ApplyResponse, error)
	CreateToken(ctx context.Context, req httpapi.CreateTokenRequest, ttl string) (*httpapi.CreateTokenResponse, error)
	ListTokens(ctx context.Context) ([]identity.Token, error)
	RevokeToken(ctx context.Context, ref string) (*identity.Token, error)
	AuditLog(ctx context.Context, f auditlog.Filter) ([]auditlog.Entry, string, error)
	VerifyAudit(ctx context.Context, expect *auditlog.Head) (auditlog.Result, error)

	Findings(ctx context.Context, f vuln.FindingFilter, team string) ([]vuln.Finding, string, error)
	Finding(ctx context.Context, id string) (*httpapi.FindingResponse, error)
	Triage(ctx context.Context, req httpapi.TriageRequest) ([]vuln.Finding, error)
	Accept(ctx context.Context, req httpapi.AcceptBody) ([]vuln.Finding, error)
	Metrics(ctx context.Context, sc vuln.Scope) (*vuln.MetricsReport, error)
	Report(ctx context.Context, from, to time.Time, service string) (*vuln.Report, error)

	Scan(ctx context.Context, files []vuln.File, opt vuln.ScanOptions) (*vuln.ScanResult, error)
	ImportAdvisories(ctx context.Context, location string, progress func(read int)) (*vuln.ImportResult, error)
	Sync(ctx context.Context, ecosystems []string, progress func(ecosystem string, read int)) ([]*vuln.ImportResult, error)
	Enrich(ctx context.Context, kind, location string) (*vuln.EnrichResult, error)
	ImportVEX(ctx context.Context, name string, data []byte, service string) (*vuln.VEXResult, error)
	ExportVEX(ctx context.Context, w io.Writer, service, format string) error
	Database(ctx context.Context) (*vuln.DatabaseStatus, error)

	SLOs(ctx context.Context, service string) ([]slo.View, error)
	SLO(ctx context.Context, name string) (*slo.View, error)
	PushEvents(ctx context.Context, name string, events []slo.Event) (*slo.PushResult, error)
	PushChecks(ctx context.Context, service string, checks []slo.CheckResult) (*slo.PushResult, error)
	Gate(ctx context.Context, req gate.Request) (*gate.Record, error)
	PrometheusRules(ctx context.Context, service string) ([]byte, error)
	ExportOpenSLO(ctx context.Context, service string) ([]byte, error)
	ImportOpenSLO(ctx context.Context, name string, data []byte, prune bool) (*httpapi.OpenSLOImport, error)
	incidentBackend
	retroBackend
	Close() error
}

// open returns the backend the flags select and a context carrying the
// local actor when it works on a database.
func (e *env) open(ctx context.Context) (backend, context.Context, error) {
	if e.server != "" {
		c, err := client.New(e.server, e.tokenValue())
		if err != nil {
			return nil, ctx, err
		}
		return remote{c}, ctx, nil
	}
	db, err := store.Open(ctx, e.db, store.Options{})
	if err != nil {
		return nil, ctx, err
	}
	return newLocal(db, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))), palisade.WithActor(ctx, cliActor()), nil
}

// local runs commands through the capabilities on an open database.
type local struct {
	db       *store.DB
	catalog  *catalog.Registry
	identity *identity.Service
	audit    *auditlog.Service
	vuln     *vuln.Service
	engine   *slo.Engine
	slo      *slo.Service
	gate     *gate.Service
	incident *incident.Service
	retro    *retro.Service
	// wake tells the notification dispatcher that a write may have
	// queued messages; serve sets it.
	wake func()
}

// wakingStore is the incident store that wakes the dispatcher after each
// committed write, so notifications leave at once instead of at the next
// poll.
type wakingStore struct {
	*store.DB
	l *local
}

func (w wakingStore) WriteIncidents(ctx context.Context, fn func(tx incident.Tx) error) error {
	err := w.DB.WriteIncidents(ctx, fn)
	if err == nil && w.l.wake != nil {
		w.l.wake()
	}
	return err
}

// newLocal wires the capabilities over db: the one place that knows which
// capability owns which section of palisade.yaml.
func newLocal(db *store.DB, log *slog.Logger) *local {
	l := &local{db: db, catalog: catalog.NewRegistry(db), identity: identity.NewService(db, nil, nil), audit: auditlog.NewService(db)}
	l.vuln = vuln.NewService(db, l.catalog, nil, log)
	l.catalog.HandleSection("remediation", l.vuln.PolicySection)
	l.engine = slo.NewEngine(db, nil, log)
	l.engine.Register(slo.KindRemediation, slo.RemediationSource{Findings: l.vuln})
	l.engine.Register(slo.KindExposure, slo.ExposureSource{Findings: l.vuln})
	l.engine.Register(slo.KindControls, slo.ControlsSource{Store: db})
	l.engine.Register(slo.KindPrometheus, slo.PrometheusSource{})
	l.engine.AddSink(slo.LogSink{Log: log})
	l.slo = slo.NewService(db, l.engine, l.catalog, nil)
	l.catalog.HandleSection("slos", l.slo.Section)
	l.gate = gate.NewService(db, l.vuln, l.slo, l.catalog, nil)
	l.catalog.HandleSection("gates", l.gate.Section)

	l.incident = incident.NewService(wakingStore{db, l}, db, l.catalog, nil, log)
	for _, name := range []string{"severities", "routing"} {
		l.catalog.HandleSection(name, l.incident.Sections(name))
	}
	l.catalog.HandleSection("alertSources", l.incident.SourcesSection())
	l.catalog.HandleSection(notify.SectionName, notify.Section(db))
	l.engine.AddSink(sloAlerts{l.incident})
	l.gate.SetIncidents(l.incident)

	l.retro = retro.NewService(db, retroincident.New(l.incident), db, nil, log)
	l.catalog.HandleSection(retro.SectionName, l.retro.Section())
	return l
}

func (l *local) Close() error { return l.db.Close() }

func (l *local) Apply(ctx context.Context, doc *catalog.Document, opt catalog.ApplyOptions) (*httpapi.ApplyResponse, error) {
	p, err := l.catalog.Apply(ctx, doc, opt)
	if err != nil {
		return nil, err
	}
	r := httpapi.NewApplyResponse(p, opt.DryRun)
	return &r, nil
}

func (l *local) CreateToken(ctx context.Context, req httpapi.CreateTokenRequest, ttl string) (*httpapi.CreateTokenResponse, error) {
	cr := identity.CreateRequest{Name: req.Name, Role: req.Role, Teams: req.Teams}
	if ttl != "" {
		d, err := parseTTL(ttl)
		if err != nil {
			return nil, err
		}
		cr.TTL = d
	}
	t, secret, err := l.identity.CreateToken(ctx, cr)
	if err != nil {
		return nil, err
	}
	return &httpapi.CreateTokenResponse{Token: *t, Secret: secret}, nil
}

func (l *local) ListTokens(ctx context.Context) ([]identity.Token, error) {
	return l.identity.ListTokens(ctx)
}

func (l *local) RevokeToken(ctx context.Context, ref string) (*identity.Token, error) {
	return l.identity.RevokeToken(ctx, ref)
}

func (l *local) AuditLog(ctx context.Context, f auditlog.Filter) ([]auditlog.Entry, string, error) {
	return l.audit.List(ctx, f)
}

func (l *local) VerifyAudit(ctx context.Context, expect *auditlog.Head) (auditlog.Result, error) {
	return l.audit.Verify(ctx, expect)
}

func (l *local) Findings(ctx context.Context, f vuln.FindingFilter, team string) ([]vuln.Finding, string, error) {
	if team != "" {
		names, err := teamServices(ctx, l.catalog, team)
		if err != nil {
			return nil, "", err
		}
		f.Services = names
	}
	return l.vuln.ListFindings(ctx, f)
}

// teamServices lists a team's services.
func teamServices(ctx context.Context, reg *catalog.Registry, team string) ([]string, error) {
	if _, err := reg.Team(ctx, team); err != nil {
		return nil, err
	}
	names, err := reg.TeamServices(ctx, team)
	if names == nil {
		names = []string{}
	}
	return names, err
}

func (l *local) Finding(ctx context.Context, id string) (*httpapi.FindingResponse, error) {
	f, h, err := l.vuln.Finding(ctx, id)
	if err != nil {
		return nil, err
	}
	return &httpapi.FindingResponse{Finding: f, History: h}, nil
}

func (l *local) Triage(ctx context.Context, req httpapi.TriageRequest) ([]vuln.Finding, error) {
	if len(req.IDs) > 0 {
		return l.vuln.Triage(ctx, req.IDs, req.Triage)
	}
	return l.vuln.TriageAll(ctx, vuln.BulkTriage{Triage: req.Triage, Advisory: req.Advisory, Package: req.Package, Services: req.Services, IncludeDecided: req.IncludeDecided})
}

func (l *local) Accept(ctx context.Context, req httpapi.AcceptBody) ([]vuln.Finding, error) {
	return l.vuln.Accept(ctx, req.IDs, vuln.AcceptRequest{Reason: req.Reason, RequestedBy: req.RequestedBy, ExpiresAt: req.ExpiresAt})
}

func (l *local) Metrics(ctx context.Context, sc vuln.Scope) (*vuln.MetricsReport, error) {
	return l.vuln.Metrics(ctx, sc, time.Now().AddDate(0, 0, -90))
}

func (l *local) Report(ctx context.Context, from, to time.Time, service string) (*vuln.Report, error) {
	return l.vuln.Report(ctx, from, to, service, l.db.AuditHead)
}

func (l *local) Scan(ctx context.Context, files []vuln.File, opt vuln.ScanOptions) (*vuln.ScanResult, error) {
	return l.vuln.Scan(ctx, files, opt)
}

func (l *local) ImportAdvisories(ctx context.Context, location string, progress func(int)) (*vuln.ImportResult, error) {
	return l.vuln.ImportAdvisories(ctx, location, progress)
}

func (l *local) Sync(ctx context.Context, ecosystems []string, progress func(string, int)) ([]*vuln.ImportResult, error) {
	return l.vuln.SyncAdvisories(ctx, ecosystems, progress)
}

func (l *local) Enrich(ctx context.Context, kind, location string) (*vuln.EnrichResult, error) {
	if kind == "kev" {
		return l.vuln.ImportKEV(ctx, location)
	}
	return l.vuln.ImportEPSS(ctx, location)
}

func (l *local) ImportVEX(ctx context.Context, name string, data []byte, service string) (*vuln.VEXResult, error) {
	return l.vuln.ImportVEX(ctx, name, data, service)
}

func (l *local) ExportVEX(ctx context.Context, w io.Writer, service, format string) error {
	return l.vuln.ExportVEX(ctx, w, service, format)
}

func (l *local) Database(ctx context.Context) (*vuln.DatabaseStatus, error) {
	return l.vuln.Database(ctx)
}

func (l *local) SLOs(ctx context.Context, service string) ([]slo.View, error) {
	return l.slo.List(ctx, service)
}

func (l *local) SLO(ctx context.Context, name string) (*slo.View, error) { return l.slo.Get(ctx, name) }

func (l *local) PushEvents(ctx context.Context, name string, events []slo.Event) (*slo.PushResult, error) {
	return l.slo.PushEvents(ctx, name, events)
}

func (l *local) PushChecks(ctx context.Context, service string, checks []slo.CheckResult) (*slo.PushResult, error) {
	return l.slo.PushChecks(ctx, service, checks)
}

func (l *local) Gate(ctx context.Context, req gate.Request) (*gate.Record, error) {
	return l.gate.Decide(ctx, req)
}

func (l *local) PrometheusRules(ctx context.Context, service string) ([]byte, error) {
	views, err := l.slo.List(ctx, service)
	if err != nil {
		return nil, err
	}
	var prom []*slo.SLO
	for _, v := range views {
		if v.SLO.Indicator.Kind == slo.KindPrometheus {
			prom = append(prom, v.SLO)
		}
	}
	rf, err := promrules.Generate(prom)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = rf.WriteYAML(&buf)
	return buf.Bytes(), err
}

func (l *local) ExportOpenSLO(ctx context.Context, service string) ([]byte, error) {
	views, err := l.slo.List(ctx, service)
	if err != nil {
		return nil, err
	}
	slos := make([]*slo.SLO, 0, len(views))
	for _, v := range views {
		slos = append(slos, v.SLO)
	}
	var buf bytes.Buffer
	err = openslo.Write(&buf, slos)
	return buf.Bytes(), err
}

func (l *local) ImportOpenSLO(ctx context.Context, name string, data []byte, prune bool) (*httpapi.OpenSLOImport, error) {
	return httpapi.ImportOpenSLO(ctx, l.slo, name, data, prune)
}

// remote runs commands through a server's API.
type remote struct{ c *client.Client }

func (r remote) Close() error { return nil }

func (r remote) Apply(ctx context.Context, doc *catalog.Document, opt catalog.ApplyOptions) (*httpapi.ApplyResponse, error) {
	return r.c.Apply(ctx, doc, opt)
}

func (r remote) CreateToken(ctx context.Context, req httpapi.CreateTokenRequest, ttl string) (*httpapi.CreateTokenResponse, error) {
	if ttl != "" {
		d, err := parseTTL(ttl)
		if err != nil {
			return nil, err
		}
		req.ExpiresIn = d.String()
	}
	return r.c.CreateToken(ctx, req)
}

func (r remote) ListTokens(ctx context.Context) ([]identity.Token, error) { return r.c.ListTokens(ctx) }

func (r remote) RevokeToken(ctx context.Context, ref string) (*identity.Token, error) {
	return r.c.RevokeToken(ctx, ref)
}

func (r remote) AuditLog(ctx context.Context, f auditlog.Filter) ([]auditlog.Entry, string, error) {
	return r.c.AuditLog(ctx, f)
}

func (r remote) VerifyAudit(ctx context.Context, expect *auditlog.Head) (auditlog.Result, error) {
	return r.c.VerifyAudit(ctx, expect)
}

func (r remote) Findings(ctx context.Context, f vuln.FindingFilter, team string) ([]vuln.Finding, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"service": f.Service, "team": team, "advisory": f.Advisory, "package": f.Package,
		"severity": f.Severity, "state": f.State, "cursor": f.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.KEV != nil {
		q.Set("kev", strconv.FormatBool(*f.KEV))
	}
	if f.Overdue {
		q.Set("overdue", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return r.c.Findings(ctx, q)
}

func (r remote) Finding(ctx context.Context, id string) (*httpapi.FindingResponse, error) {
	return r.c.Finding(ctx, id)
}

func (r remote) Triage(ctx context.Context, req httpapi.TriageRequest) ([]vuln.Finding, error) {
	return r.c.Triage(ctx, req)
}

func (r remote) Accept(ctx context.Context, req httpapi.AcceptBody) ([]vuln.Finding, error) {
	return r.c.Accept(ctx, req)
}

func (r remote) Metrics(ctx context.Context, sc vuln.Scope) (*vuln.MetricsReport, error) {
	return r.c.Metrics(ctx, sc)
}

func (r remote) Report(ctx context.Context, from, to time.Time, service string) (*vuln.Report, error) {
	return r.c.Report(ctx, from, to, service)
}

func (r remote) Scan(ctx context.Context, files []vuln.File, opt vuln.ScanOptions) (*vuln.ScanResult, error) {
	return r.c.Scan(ctx, files, opt.Service, opt.Format)
}

// fetchLocal reads a file, or downloads a URL on this machine, so that a
// server never fetches a URL a client chose.
func fetchLocal(ctx context.Context, location string, limit int64) ([]byte, error) {
	var rc io.ReadCloser
	var err error
	if strings.HasPrefix(location, "http://") || strings.HasPrefix(location, "https://") {
		rc, err = enrich.Fetch(ctx, &http.Client{Timeout: 10 * time.Minute}, location, limit)
	} else {
		rc, err = os.Open(location)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, palisade.Errorf(palisade.ETOOLARGE, "%s is larger than %d bytes", location, limit)
	}
	return data, nil
}

func (r remote) ImportAdvisories(ctx context.Context, location string, progress func(int)) (*vuln.ImportResult, error) {
	if st, err := os.Stat(location); err == nil && st.IsDir() {
		return nil, usagef("with --server, import a zip or a JSON record; a directory can only be imported locally (--db)")
	}
	data, err := fetchLocal(ctx, location, httpapi.MaxAdvisoryUpload)
	if err != nil {
		return nil, err
	}
	return r.c.ImportAdvisories(ctx, location, data)
}

func (r remote) Sync(ctx context.Context, ecosystems []string, progress func(string, int)) ([]*vuln.ImportResult, error) {
	return r.c.Sync(ctx, ecosystems)
}

func (r remote) Enrich(ctx context.Context, kind, location string) (*vuln.EnrichResult, error) {
	data, err := fetchLocal(ctx, location, httpapi.MaxEnrichUpload)
	if err != nil {
		return nil, err
	}
	return r.c.Enrich(ctx, kind, data)
}

func (r remote) ImportVEX(ctx context.Context, name string, data []byte, service string) (*vuln.VEXResult, error) {
	return r.c.ImportVEX(ctx, name, data, service)
}

func (r remote) ExportVEX(ctx context.Context, w io.Writer, service, format string) error {
	doc, err := r.c.ExportVEX(ctx, service, format)
	if err != nil {
		return err
	}
	_, err = w.Write(append(doc, '\n'))
	return err
}

func (r remote) Database(ctx context.Context) (*vuln.DatabaseStatus, error) { return r.c.Database(ctx) }

// withBackend opens the backend the flags select, runs fn with it and the
// context to use, and closes it.
func (e *env) withBackend(cmd *cobra.Command, fn func(ctx context.Context, b backend) error) error {
	b, ctx, err := e.open(cmd.Context())
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(ctx, b)
}

func (r remote) SLOs(ctx context.Context, service string) ([]slo.View, error) {
	return r.c.SLOs(ctx, service)
}

func (r remote) SLO(ctx context.Context, name string) (*slo.View, error) { return r.c.SLO(ctx, name) }

func (r remote) PushEvents(ctx context.Context, name string, events []slo.Event) (*slo.PushResult, error) {
	return r.c.PushEvents(ctx, name, events)
}

func (r remote) PushChecks(ctx context.Context, service string, checks []slo.CheckResult) (*slo.PushResult, error) {
	return r.c.PushChecks(ctx, service, checks)
}

func (r remote) Gate(ctx context.Context, req gate.Request) (*gate.Record, error) {
	return r.c.Gate(ctx, req)
}

func (r remote) PrometheusRules(ctx context.Context, service string) ([]byte, error) {
	return r.c.Text(ctx, "/api/v1/prometheus/rules", serviceQuery(service))
}

func (r remote) ExportOpenSLO(ctx context.Context, service string) ([]byte, error) {
	return r.c.Text(ctx, "/api/v1/openslo", serviceQuery(service))
}

func (r remote) ImportOpenSLO(ctx context.Context, name string, data []byte, prune bool) (*httpapi.OpenSLOImport, error) {
	return r.c.ImportOpenSLO(ctx, name, data, prune)
}

func serviceQuery(service string) url.Values {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	return q
}
