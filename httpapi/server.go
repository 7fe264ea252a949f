// Package httpapi is Palisade's HTTP edge: the JSON API under /api/v1 (all
// routes declared in routes below), authentication, the operational
// endpoints (/healthz, /readyz, /metrics) and the middleware every request
// passes (request id, logging, metrics, security headers). Handlers decode,
// validate, call a capability and respond; they hold no domain logic.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what the server needs. Every field but Web is required.
type Config struct {
	Catalog  *catalog.Registry
	Identity *identity.Service
	Audit    *auditlog.Service
	Vuln     *vuln.Service
	SLO      *slo.Service
	Gate     *gate.Service
	Incident *incident.Service
	Retro    *retro.Service
	// AuditHead reads the audit chain's head, which reports name.
	AuditHead func(context.Context) (auditlog.Head, error)
	// Ready reports whether the server can take traffic (database
	// reachable, migrations applied).
	Ready func(context.Context) error
	// Registry receives the HTTP metrics; the caller registers the rest
	// (database pool, build info) and serves it at /metrics.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Web adds the web UI's pages beside the API.
	Web []Route
	// TrustProxy makes the client address come from X-Forwarded-For (set
	// it only behind a proxy that overwrites that header).
	TrustProxy bool
	Version    string
}

// Route is one pattern served by a handler, for web pages.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Server serves the API, the operational endpoints and the web UI.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *httpMetrics
	// apiRoutes is the route table, kept for the OpenAPI sync test.
	apiRoutes []apiRoute
	// sourceFailures slows down guessing of alert source credentials.
	sourceFailures *identity.Limiter
}

// apiRoute is one declared API route: pattern, the least role that may call
// it ("" for public) and the handler.
type apiRoute struct {
	Method, Path string
	Role         palisade.Role
	Handler      func(http.ResponseWriter, *http.Request) error
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(),
		sourceFailures: identity.NewLimiter(time.Now, SourceFailureLimit, identity.DefaultFailureWindow)}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.metrics = newHTTPMetrics(cfg.Registry)
	s.routes()
	return s
}

// routes declares every API route. Keep this the only place routes are
// added, and keep openapi.json in step (TestOpenAPIMatchesRoutes).
func (s *Server) routes() {
	s.api("GET /api/v1/openapi.json", "", s.handleOpenAPI)
	s.api("GET /api/v1/whoami", palisade.RoleViewer, s.handleWhoAmI)

	s.api("POST /api/v1/apply", palisade.RoleEditor, s.handleApply)
	s.api("GET /api/v1/services", palisade.RoleViewer, s.handleListServices)
	s.api("GET /api/v1/services/{name}", palisade.RoleViewer, getByName(s.cfg.Catalog.Service))
	s.api("GET /api/v1/teams", palisade.RoleViewer, listPage(s.cfg.Catalog.ListTeams))
	s.api("GET /api/v1/teams/{name}", palisade.RoleViewer, getByName(s.cfg.Catalog.Team))
	s.api("GET /api/v1/third-parties", palisade.RoleViewer, listPage(s.cfg.Catalog.ListThirdParties))
	s.api("GET /api/v1/third-parties/{name}", palisade.RoleViewer, getByName(s.cfg.Catalog.ThirdParty))

	s.api("GET /api/v1/services/{name}/inventory", palisade.RoleViewer, s.handleGetInventory)

	s.api("GET /api/v1/vuln/findings", palisade.RoleViewer, s.handleListFindings)
	s.api("GET /api/v1/vuln/findings/{id}", palisade.RoleViewer, s.handleGetFinding)
	s.api("POST /api/v1/vuln/findings/{id}/triage", palisade.RoleResponder, s.handleTriageFinding)
	s.api("POST /api/v1/vuln/findings/{id}/accept", palisade.RoleEditor, s.handleAcceptFinding)
	s.api("POST /api/v1/vuln/triage", palisade.RoleResponder, s.handleBulkTriage)
	s.api("POST /api/v1/vuln/accept", palisade.RoleEditor, s.handleAcceptFinding)
	s.api("GET /api/v1/vuln/advisories/{id}", palisade.RoleViewer, s.handleGetAdvisory)
	s.api("GET /api/v1/vuln/database", palisade.RoleViewer, s.handleDatabase)
	s.api("POST /api/v1/vuln/advisories", palisade.RoleEditor, s.handleImportAdvisories)
	s.api("POST /api/v1/vuln/sync", palisade.RoleEditor, s.handleSync)
	s.api("POST /api/v1/vuln/kev", palisade.RoleEditor, s.handleEnrich("kev"))
	s.api("POST /api/v1/vuln/epss", palisade.RoleEditor, s.handleEnrich("epss"))
	s.api("POST /api/v1/vuln/scan", palisade.RoleViewer, s.handleScan)
	s.api("POST /api/v1/vuln/vex", palisade.RoleResponder, s.handleImportVEX)
	s.api("GET /api/v1/vuln/vex", palisade.RoleViewer, s.handleExportVEX)
	s.api("GET /api/v1/vuln/metrics", palisade.RoleViewer, s.handleVulnMetrics)
	s.api("GET /api/v1/vuln/report", palisade.RoleViewer, s.handleVulnReport)
	s.api("GET /api/v1/vuln/policy", palisade.RoleViewer, s.handleGetPolicy)
	s.api("PUT /api/v1/vuln/policy", palisade.RoleEditor, s.handlePutPolicy)

	s.api("GET /api/v1/slos", palisade.RoleViewer, s.handleListSLOs)
	s.api("GET /api/v1/slos/{name}", palisade.RoleViewer, s.handleGetSLO)
	s.api("PUT /api/v1/slos/{name}", palisade.RoleEditor, s.handlePutSLO)
	s.api("DELETE /api/v1/slos/{name}", palisade.RoleEditor, s.handleDeleteSLO)
	s.api("POST /api/v1/slos/{name}/events", palisade.RoleResponder, s.handlePushEvents)
	s.api("POST /api/v1/services/{name}/checks", palisade.RoleResponder, s.handlePushChecks)

	s.api("GET /api/v1/prometheus/rules", palisade.RoleViewer, s.handlePrometheusRules)
	s.api("GET /api/v1/openslo", palisade.RoleViewer, s.handleExportOpenSLO)
	s.api("POST /api/v1/openslo", palisade.RoleEditor, s.handleImportOpenSLO)

	s.api("POST /api/v1/gate", palisade.RoleViewer, s.handleGate)
	s.api("GET /api/v1/gate/decisions", palisade.RoleViewer, s.handleListGateDecisions)
	s.api("GET /api/v1/gate/decisions/{id}", palisade.RoleViewer, s.handleGetGateDecision)

	s.api("POST /api/v1/alerts/alertmanager", roleSource, s.handleAlertmanager)
	s.api("POST /api/v1/alerts/events", roleSource, s.handleEvents)
	s.api("POST /api/v1/alerts/webhook/{source}", roleSource, s.handleWebhook)
	s.api("GET /api/v1/alerts", palisade.RoleViewer, s.handleListAlerts)
	s.api("GET /api/v1/incidents", palisade.RoleViewer, s.handleListIncidents)
	s.api("POST /api/v1/incidents", palisade.RoleResponder, s.handleOpenIncident)
	s.api("GET /api/v1/incidents/metrics", palisade.RoleViewer, s.handleIncidentMetrics)
	s.api("GET /api/v1/incidents/{id}", palisade.RoleViewer, s.handleGetIncident)
	s.api("PATCH /api/v1/incidents/{id}", palisade.RoleResponder, s.handleUpdateIncident)
	s.api("GET /api/v1/incidents/{id}/timeline", palisade.RoleViewer, s.handleTimeline)
	s.api("POST /api/v1/incidents/{id}/notes", palisade.RoleResponder, s.handleNote)
	s.api("POST /api/v1/incidents/{id}/merge", palisade.RoleResponder, s.handleMerge)
	s.api("GET /api/v1/incidents/{id}/similar", palisade.RoleViewer, s.handleSimilar)

	s.api("GET /api/v1/retrospectives", palisade.RoleViewer, s.handleSearchRetros)
	s.api("POST /api/v1/incidents/{id}/retrospective", palisade.RoleResponder, s.handleOpenRetro)
	s.api("GET /api/v1/retrospectives/{id}", palisade.RoleViewer, s.handleGetRetro)
	s.api("PATCH /api/v1/retrospectives/{id}", palisade.RoleResponder, s.handleUpdateRetro)
	s.api("DELETE /api/v1/retrospectives/{id}", palisade.RoleResponder, s.handleDeleteRetro)
	s.api("POST /api/v1/retrospectives/{id}/transition", palisade.RoleResponder, s.handleTransitionRetro)
	s.api("POST /api/v1/retrospectives/{id}/action-items", palisade.RoleResponder, s.handleAddActionItem)
	s.api("PATCH /api/v1/retrospectives/{id}/action-items/{item}", palisade.RoleResponder, s.handleUpdateActionItem)
	s.api("GET /api/v1/retrospectives/{id}/export", palisade.RoleViewer, s.handleExportRetro)
	s.api("GET /api/v1/action-items", palisade.RoleViewer, s.handleListActionItems)

	s.api("GET /api/v1/tokens", palisade.RoleAdmin, s.handleListTokens)
	s.api("POST /api/v1/tokens", palisade.RoleAdmin, s.handleCreateToken)
	s.api("DELETE /api/v1/tokens/{ref}", palisade.RoleAdmin, s.handleRevokeToken)

	s.api("GET /api/v1/audit", palisade.RoleAdmin, s.handleListAudit)
	s.api("GET /api/v1/audit/verify", palisade.RoleViewer, s.handleVerifyAudit)

	// Anything else under /api/ is a JSON 404, not the web UI's page.
	s.handle("/api/", "api-unknown", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, palisade.Errorf(palisade.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})

	s.handle("GET /healthz", "healthz", s.handleHealthz)
	s.handle("GET /readyz", "readyz", s.handleReadyz)
	s.handle("GET /metrics", "metrics", s.handleMetrics)

	for _, rt := range s.cfg.Web {
		s.handle(rt.Pattern, rt.Pattern, rt.Handler.ServeHTTP)
	}
}

// api registers an API route: authentication (Bearer token) when role is
// set, error mapping and metrics.
func (s *Server) api(pattern string, role palisade.Role, h func(http.ResponseWriter, *http.Request) error) {
	method, path, _ := strings.Cut(pattern, " ")
	s.apiRoutes = append(s.apiRoutes, apiRoute{Method: method, Path: path, Role: role, Handler: h})
	s.handle(pattern, pattern, func(w http.ResponseWriter, r *http.Request) {
		if role == roleSource {
			// The handler authenticates the alert source.
			ctx := palisade.WithActor(r.Context(), palisade.Actor{Kind: "source", RequestID: requestID(r.Context())})
			r = r.WithContext(ctx)
		} else if role != "" {
			ctx, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if err := palisade.Authorize(ctx, role); err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(ctx)
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// handle registers a handler with its metrics label.
func (s *Server) handle(pattern, label string, h http.HandlerFunc) {
	s.mux.Handle(pattern, s.metrics.instrument(label, h))
}

// authenticate turns the request's Bearer token into an actor in the
// returned context.
func (s *Server) authenticate(r *http.Request) (context.Context, error) {
	auth := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, palisade.Errorf(palisade.EUNAUTHORIZED, "send an API token as Authorization: Bearer <token>")
	}
	actor, err := s.cfg.Identity.Authenticate(r.Context(), strings.TrimSpace(secret), ClientAddr(r, s.cfg.TrustProxy))
	if err != nil {
		return nil, err
	}
	actor.RequestID = requestID(r.Context())
	return palisade.WithActor(r.Context(), actor), nil
}

// Handler returns the server's root handler with all middleware.
func (s *Server) Handler() http.Handler {
	return s.withRequestID(s.withLogging(s.withSecurityHeaders(s.withRecover(s.mux))))
}

// HTTPServer returns an *http.Server for addr with timeouts that keep slow
// clients from holding connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
