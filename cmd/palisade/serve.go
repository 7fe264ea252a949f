package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/jobs"
	"github.com/palisade-project/palisade/notify"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/web"
)

type serveOptions struct {
	addr       string
	configs    []string
	logLevel   string
	logFormat  string
	trustProxy bool
	tlsCert    string
	tlsKey     string
	publicURL  string

	syncEcosystems []string
	syncEvery      time.Duration
	kevURL         string
	epssURL        string
}

func (e *env) serveCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Palisade server: API, web UI and background jobs",
		Long: `Serve opens the database (--db; SQLite by default, a postgres:// URL for several
replicas), applies pending migrations, applies --config files to the catalog,
and serves the web UI, the API under /api/v1, /healthz, /readyz and /metrics.

On the first start, when no API token exists, it creates an admin token from
PALISADE_ADMIN_TOKEN or generates one and prints it once. It stops gracefully
on SIGTERM or Ctrl-C, finishing requests in flight.`,
		Example: `  palisade serve --config examples/palisade.yaml
  PALISADE_DB=postgres://palisade@db/palisade palisade serve --addr :8080`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.serve(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.addr, "addr", e.envOr("PALISADE_ADDR", "127.0.0.1:8080"), "address to listen on (env PALISADE_ADDR)")
	fl.StringArrayVar(&o.configs, "config", nil, "catalog file to apply at start (repeatable; see docs/catalog.md)")
	fl.StringVar(&o.logLevel, "log-level", e.envOr("PALISADE_LOG_LEVEL", "info"), "debug, info, warn or error")
	fl.StringVar(&o.logFormat, "log-format", "json", "json or text")
	fl.BoolVar(&o.trustProxy, "trust-proxy", false, "take client addresses from X-Forwarded-For (only behind a proxy that sets it)")
	fl.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate file")
	fl.StringVar(&o.tlsKey, "tls-key", "", "private key file for --tls-cert")
	fl.StringVar(&o.publicURL, "public-url", e.envOr("PALISADE_PUBLIC_URL", ""), "URL people reach this server at, for links in notifications (env PALISADE_PUBLIC_URL)")
	fl.StringSliceVar(&o.syncEcosystems, "sync-ecosystems", nil, "OSV ecosystems to download and import on a schedule (e.g. Go,PyPI,npm); none by default")
	fl.DurationVar(&o.syncEvery, "sync-every", 6*time.Hour, "how often to sync advisories, KEV and EPSS")
	fl.StringVar(&o.kevURL, "kev-url", "", "CISA KEV catalog URL to refresh on the sync schedule (e.g. https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json)")
	fl.StringVar(&o.epssURL, "epss-url", "", "EPSS CSV URL to refresh on the sync schedule (e.g. https://epss.cyentia.com/epss_scores-current.csv.gz)")
	return cmd
}

func (e *env) logger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	}
	return nil, usagef("--log-format %q: use json or text", format)
}

func (e *env) serve(ctx context.Context, o serveOptions) error {
	log, err := e.logger(o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together")
	}
	var configDoc *catalog.Document
	if len(o.configs) > 0 {
		// Read before opening anything: a bad file should stop the start.
		if configDoc, err = e.readCatalog(o.configs, nil); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, e.db, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database open", "engine", db.Engine(), "database", db.Name())

	app := newLocal(db, log)
	lookup := func(name string) (string, bool) { v := e.getenv(name); return v, v != "" }
	app.incident.SetLookup(lookup)
	if o.publicURL != "" {
		u, err := url.Parse(o.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--public-url %q: give an absolute http(s) URL such as https://palisade.example.com", o.publicURL)
		}
		app.incident.SetPublicURL(o.publicURL)
	}
	dispatcher := notify.NewLiveDispatcher(db, notify.NewLive(db, lookup, notify.Options{}), nil, log)
	app.wake = dispatcher.Wake
	secret, err := app.identity.Bootstrap(ctx, e.getenv("PALISADE_ADMIN_TOKEN"))
	if err != nil {
		return err
	}
	if secret != "" {
		if e.getenv("PALISADE_ADMIN_TOKEN") != "" {
			log.Info("created the admin token from PALISADE_ADMIN_TOKEN")
		} else {
			// Printed, never logged: logs are shipped and kept.
			fmt.Fprintf(e.stdout, "\nCreated the first admin token (shown only now; store it safely):\n\n  %s\n\n", secret)
		}
	}
	if configDoc != nil {
		sys := palisade.WithActor(ctx, palisade.SystemActor("serve --config"))
		plan, err := app.catalog.Apply(sys, configDoc, catalog.ApplyOptions{})
		if err != nil {
			return err
		}
		for _, w := range plan.Warnings {
			log.Warn("catalog", "warning", w)
		}
		log.Info("catalog applied", "files", strings.Join(o.configs, ","), "summary", plan.Summary)
	}

	reg := prometheus.NewRegistry()
	ver, commit := buildInfo()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL(), "palisade"),
		newOutboxCollector(db.OutboxCounts),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "palisade_action_items_overdue",
			Help: "Open retrospective action items past their due date (at most 1000 are counted).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(palisade.WithActor(context.Background(), palisade.SystemActor("metrics")), 2*time.Second)
			defer cancel()
			items, err := app.retro.OverdueActionItems(ctx, time.Now())
			if err != nil {
				return math.NaN()
			}
			return float64(len(items))
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "palisade_build_info",
			Help:        "Build information; the value is always 1.",
			ConstLabels: prometheus.Labels{"version": ver, "commit": commit, "database": db.Engine()},
		}, func() float64 { return 1 }),
	)
	clientAddr := func(r *http.Request) string { return httpapi.ClientAddr(r, o.trustProxy) }
	ui := web.New(web.Config{Catalog: app.catalog, Identity: app.identity, Vuln: app.vuln, SLO: app.slo, Gate: app.gate, Incident: app.incident, Retro: app.retro,
		ClientAddr: clientAddr, Logger: log, Version: ver})
	var pages []httpapi.Route
	for _, rt := range ui.Routes() {
		pages = append(pages, httpapi.Route{Pattern: rt.Pattern, Handler: rt.Handler})
	}
	api := httpapi.New(httpapi.Config{
		Catalog: app.catalog, Identity: app.identity, Audit: app.audit, Vuln: app.vuln, SLO: app.slo, Gate: app.gate, Incident: app.incident, Retro: app.retro,
		AuditHead: db.AuditHead, Ready: db.Ready,
		Registry: reg, Logger: log, Web: pages, TrustProxy: o.trustProxy, Version: ver,
	})

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return palisade.Errorf(palisade.EUNAVAILABLE, "listen on %s: %v", o.addr, err)
	}
	srv := api.HTTPServer(o.addr)
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, displayAddr(ln.Addr()))
	log.Info("serving", "url", url)
	fmt.Fprintf(e.stdout, "Palisade is running at %s (sign in with an admin token; Ctrl-C stops it)\n", url)
	if e.onReady != nil {
		e.onReady(ln.Addr().String())
	}

	if o.syncEvery < time.Minute {
		return usagef("--sync-every %s is too often; use at least 1m", o.syncEvery)
	}
	runner := jobs.NewRunner(db, jobHolder(), nil, log, app.jobs(o)...)
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		runner.Run(ctx)
	}()
	defer func() { <-jobsDone }()
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		dispatcher.Run(ctx, 5*time.Second)
	}()
	defer func() { <-notifyDone }()

	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// jobHolder names this process in job leases.
func jobHolder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}

// jobs are the background work of the capabilities.
func (l *local) jobs(o serveOptions) []jobs.Job {
	js := []jobs.Job{
		{Name: "vuln.expire-acceptances", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
			_, err := l.vuln.ExpireAcceptances(ctx)
			return err
		}},
		{Name: "vuln.snapshot", Every: 6 * time.Hour, Run: l.vuln.Snapshot},
		{Name: "slo.evaluate", Every: time.Minute, Run: func(ctx context.Context) error {
			_, err := l.engine.EvaluateAll(ctx)
			return err
		}},
		{Name: "slo.compact", Every: time.Hour, Run: l.slo.Compact},
		{Name: "incident.deadlines", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
			return deadlineAlerts(ctx, l.vuln, l.incident)
		}},
		{Name: "retro.action-items", Every: 15 * time.Minute, Run: func(ctx context.Context) error {
			return actionItemAlerts(ctx, l.retro, l.incident, time.Now())
		}},
		{Name: "retro.digest", Every: time.Hour, Run: digestJob(l.retro, l.db, o.publicURL, l.wake)},
	}
	if len(o.syncEcosystems) > 0 {
		js = append(js, jobs.Job{Name: "vuln.sync", Every: o.syncEvery, Timeout: 2 * time.Hour, Run: func(ctx context.Context) error {
			_, err := l.vuln.SyncAdvisories(ctx, o.syncEcosystems, nil)
			return err
		}})
	}
	if o.kevURL != "" {
		js = append(js, jobs.Job{Name: "vuln.kev", Every: o.syncEvery, Timeout: 30 * time.Minute, Run: func(ctx context.Context) error {
			_, err := l.vuln.ImportKEV(ctx, o.kevURL)
			return err
		}})
	}
	if o.epssURL != "" {
		js = append(js, jobs.Job{Name: "vuln.epss", Every: o.syncEvery, Timeout: 30 * time.Minute, Run: func(ctx context.Context) error {
			_, err := l.vuln.ImportEPSS(ctx, o.epssURL)
			return err
		}})
	}
	return js
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
