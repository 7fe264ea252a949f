// Package web is Palisade's server-rendered user interface: html/template
// pages, one stylesheet, one small script and server-side SVG, all embedded
// in the binary and served under a strict Content-Security-Policy (no inline
// script or style, nothing from another origin).
//
// A browser signs in with an API token and gets a session cookie; every page
// but the sign-in form and the static files needs that session, and every
// form that changes something carries a CSRF token. Pages call the
// capabilities (catalog, identity, the CVE process, ...) with the signed-in
// actor in the context, so the web is held to the same role checks as the
// API and CLI.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Cookie names.
const (
	// SessionCookie holds the session secret that identity.SignIn returns.
	SessionCookie = "palisade_session"
	// CSRFCookie holds the double-submit token of the sign-in form, the
	// one form that is posted before there is a session to bind a token to.
	CSRFCookie = "palisade_csrf"
)

// maxFormBytes bounds a posted form: the largest legitimate one is a
// retrospective's section, whose Markdown may be 64 KiB (retro.MaxBody)
// and which URL encoding can make up to three times as long.
const maxFormBytes = 256 << 10

// Config is what the UI needs. Catalog, Identity and Vuln are required;
// SLO, Gate, Incident and Retro may be nil, with the effects their fields
// state.
type Config struct {
	Catalog  *catalog.Registry
	Identity *identity.Service
	// Vuln is the CVE process behind the Vulnerabilities pages, the
	// vulnerabilities section of a service page and the overview's figures.
	Vuln *vuln.Service
	// SLO is the security SLO capability behind /slos, the SLO section of
	// a service page and the overview's SLO figures. Without it those
	// pages are an error and the service page and overview leave the SLO
	// parts out, so that a half-wired server still serves the rest.
	SLO *slo.Service
	// Gate is the change gate behind /gate and the recent decisions of a
	// service page; nil is handled as for SLO.
	Gate *gate.Service
	// Incident is incident response behind /incidents, the incidents of
	// a service page and the overview's open incidents. Without it the
	// navigation marks Incidents as not set up, /incidents says so and
	// the other incident pages are not served.
	Incident *incident.Service
	// Retro is the retrospective capability behind /retrospectives (the
	// library, each retrospective and the action items), the
	// retrospective and similar past incidents of an incident page and
	// the overdue action items of the overview. It needs Incident: without
	// either, the navigation has no Retrospectives entry and none of
	// those pages or parts is served.
	Retro *retro.Service
	// Now tells the pages what is overdue and how far back trends go. It
	// should be the clock the CVE process runs on; nil means time.Now.
	Now palisade.Clock
	// ClientAddr returns the client's address for a request, as the API
	// sees it (so that sign-in failures are limited per real client behind
	// a proxy). Nil means the connection's peer address.
	ClientAddr func(*http.Request) string
	// Logger receives internal errors, which pages never show. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Version is shown in the footer.
	Version string
}

// Route is one ServeMux pattern (Go 1.22 syntax) and its handler. The caller
// registers every route of Routes on the mux that also serves the API.
type Route struct {
	Pattern string
	Handler http.Handler
}

// UI serves the web pages. It holds no per-request state and is safe for
// concurrent use.
type UI struct {
	cfg    Config
	log    *slog.Logger
	pages  map[string]*pageTemplate
	assets *assets
	// caps are the capabilities as this server has them.
	caps []capability
	// cop rejects cross-origin browser POSTs before any form is read.
	cop *http.CrossOriginProtection
}

// New returns the UI for cfg. It parses the embedded templates and hashes
// the static files once; a broken template is a build defect, so New panics
// on it (the package's tests parse every page).
func New(cfg Config) *UI {
	u := &UI{cfg: cfg, log: cfg.Logger, cop: http.NewCrossOriginProtection()}
	if u.log == nil {
		u.log = slog.Default()
	}
	if u.cfg.ClientAddr == nil {
		u.cfg.ClientAddr = peerAddr
	}
	if u.cfg.Now == nil {
		u.cfg.Now = time.Now
	}
	u.caps = capabilitiesFor(&u.cfg)
	u.assets = loadAssets()
	u.pages = parsePages(u.assets)
	return u
}

func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Routes returns every pattern the UI serves. None of them overlaps the
// API's /api/, /healthz, /readyz or /metrics: the root is "GET /{$}" and
// the catch-all "/" (a 404 page) is less specific than any of those.
func (u *UI) Routes() []Route {
	rs := []Route{
		{"GET /static/", http.HandlerFunc(u.serveStatic)},
		{"GET /favicon.ico", http.HandlerFunc(u.serveFavicon)},
		{"GET /signin", u.public(u.signInForm)},
		{"POST /signin", u.public(u.signIn)},
		{"POST /signout", u.public(u.signOut)},

		{"GET /{$}", u.page(u.overview)},
		{"GET /services", u.page(u.services)},
		{"GET /services/{name}", u.page(u.service)},
		{"GET /teams", u.page(u.teams)},
		{"GET /teams/{name}", u.page(u.team)},
		{"GET /third-parties", u.page(u.thirdParties)},
		{"GET /third-parties/{name}", u.page(u.thirdParty)},

		{"GET /vulnerabilities", u.page(u.findings)},
		{"POST /vulnerabilities/triage", u.page(u.bulkTriage)},
		{"POST /vulnerabilities/accept", u.page(u.bulkAccept)},
		{"GET /vulnerabilities/findings/{id}", u.page(u.finding)},
		{"POST /vulnerabilities/findings/{id}/triage", u.page(u.findingTriage)},
		{"POST /vulnerabilities/findings/{id}/accept", u.page(u.findingAccept)},
		{"GET /vulnerabilities/metrics", u.page(u.vulnMetrics)},

		{"GET /slos", u.page(u.slos)},
		{"GET /slos/{name}", u.page(u.sloPage)},
		{"GET /gate", u.page(u.gateDecisions)},
		{"GET /gate/{id}", u.page(u.gateDecision)},
	}
	if u.cfg.Incident != nil {
		rs = append(rs, u.incidentRoutes()...)
	}
	if u.retroOn() {
		rs = append(rs, u.retroRoutes()...)
	}
	for _, c := range u.caps {
		if !c.Built {
			rs = append(rs, Route{"GET " + c.Path, u.page(u.pending(c))})
		}
	}
	// Any other path is a 404 page, behind sign-in like every page, so an
	// anonymous visitor learns nothing about which paths exist.
	rs = append(rs, Route{"/", u.page(func(w http.ResponseWriter, r *http.Request) error {
		return palisade.Errorf(palisade.ENOTFOUND, "there is no page at %s", r.URL.Path)
	})})
	return rs
}

// handlerFunc is a page handler; a returned error becomes an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type sessionKey struct{}

// sessionFrom returns the session of a request that passed u.page.
func sessionFrom(ctx context.Context) *identity.Session {
	s, _ := ctx.Value(sessionKey{}).(*identity.Session)
	return s
}

// page wraps a handler that needs a signed-in browser. Without a live
// session it redirects to the sign-in form, remembering where the user was
// going; with one it puts the session's actor in the context and, on any
// unsafe method, checks the request's origin and CSRF token.
func (u *UI) page(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := u.authenticate(w, r)
		if palisade.ErrorCode(err) == palisade.EUNAUTHORIZED {
			u.toSignIn(w, r)
			return
		} else if err != nil {
			u.fail(w, r, err)
			return
		}
		r = r.WithContext(ctx)
		if !safeMethod(r.Method) {
			if err := u.checkCSRF(r, sessionFrom(ctx).CSRF); err != nil {
				u.fail(w, r, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}

// public wraps a handler that works without a session (sign-in, sign-out).
func (u *UI) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			u.fail(w, r, err)
		}
	})
}

// authenticate returns a context with the session and actor of r's session
// cookie, or EUNAUTHORIZED when there is no live session.
func (u *UI) authenticate(w http.ResponseWriter, r *http.Request) (context.Context, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, palisade.Errorf(palisade.EUNAUTHORIZED, "not signed in")
	}
	sess, actor, err := u.cfg.Identity.Session(r.Context(), c.Value, u.cfg.ClientAddr(r))
	if err != nil {
		return nil, err
	}
	// The API's middleware has already set the response's request id; the
	// actor carries it so audit entries point at the request log line.
	actor.RequestID = w.Header().Get("X-Request-Id")
	ctx := context.WithValue(r.Context(), sessionKey{}, sess)
	return palisade.WithActor(ctx, actor), nil
}

// toSignIn sends the browser to the sign-in form. Only a GET's own address
// is kept as the place to return to: re-sending a POST after sign-in would
// replay a form the user never saw again.
func (u *UI) toSignIn(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(SessionCookie); err == nil {
		// The session ended (expired, revoked, signed out elsewhere):
		// drop the dead cookie so the browser stops sending it.
		http.SetCookie(w, u.sessionCookie(r, "", -1))
	}
	target := "/signin"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if next := safeNext(r.URL.RequestURI()); next != "/" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// rejectForm refuses a form post that failed a CSRF check. The page gives
// one message for every failure, since telling an attacker which check
// failed would only help them; the log says which, because a burst of
// these is worth an investigation.
func (u *UI) rejectForm(r *http.Request, reason string) error {
	u.log.WarnContext(r.Context(), "web: form rejected", "reason", reason, "method", r.Method, "path", r.URL.Path,
		"client", u.cfg.ClientAddr(r), "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	return palisade.Errorf(palisade.EFORBIDDEN, "this form was not sent from a Palisade page, or it expired; go back, reload the page and try again")
}

// checkCSRF rejects a form post from another origin (by Sec-Fetch-Site or
// Origin) or whose csrf field does not match want. It reads the form, with
// a size limit.
func (u *UI) checkCSRF(r *http.Request, want string) error {
	if err := u.cop.Check(r); err != nil {
		return u.rejectForm(r, "cross-origin request")
	}
	if err := parseForm(r); err != nil {
		return err
	}
	got := r.PostForm.Get("csrf")
	if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return u.rejectForm(r, "csrf field does not match the session")
	}
	return nil
}

func parseForm(r *http.Request) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return palisade.Errorf(palisade.ETOOLARGE, "the form is larger than %d bytes", maxFormBytes)
		}
		return palisade.Errorf(palisade.EINVALID, "the form could not be read")
	}
	return nil
}

// sessionCookie returns the session cookie with value; maxAge < 0 deletes
// it. Strict same-site keeps the cookie off every cross-site request, which
// is the first line of CSRF defence; Secure follows the connection because
// Palisade also runs on plain HTTP on a laptop or behind a local proxy.
func (u *UI) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     SessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}

// csrfCookie returns the sign-in form's double-submit cookie. It is scoped
// to /signin, the only path that reads it.
func (u *UI) csrfCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     CSRFCookie,
		Value:    value,
		Path:     "/signin",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	}
}

// signInForm shows the sign-in form, or sends an already signed-in browser
// on to where it was going.
func (u *UI) signInForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := u.authenticate(w, r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return u.renderSignIn(w, r, http.StatusOK, next, "")
}

// renderSignIn renders the form with a CSRF token, reusing the browser's
// token when it has one so that two open sign-in tabs both work.
func (u *UI) renderSignIn(w http.ResponseWriter, r *http.Request, status int, next, message string) error {
	token := ""
	if c, err := r.Cookie(CSRFCookie); err == nil && validCSRFToken(c.Value) {
		token = c.Value
	} else {
		token = rand.Text()
	}
	// Refresh the cookie each time: it lives as long as a form may sit open.
	http.SetCookie(w, u.csrfCookie(r, token, int(time.Hour/time.Second)))
	return u.render(w, r, status, "signin", "Sign in", "", signInView{Next: next, CSRF: token, Message: message})
}

// validCSRFToken reports whether s looks like a token rand.Text made; a
// browser may send anything.
func validCSRFToken(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

type signInView struct {
	Next    string
	CSRF    string
	Message string
}

// signIn checks the form's CSRF token against the cookie, trades the API
// token for a session and sends the browser on.
func (u *UI) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := u.cop.Check(r); err != nil {
		return u.rejectForm(r, "cross-origin request")
	}
	if err := parseForm(r); err != nil {
		return err
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil || !validCSRFToken(c.Value) {
		return u.rejectForm(r, "no sign-in csrf cookie")
	}
	if got := r.PostForm.Get("csrf"); subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		return u.rejectForm(r, "csrf field does not match the cookie")
	}
	next := safeNext(r.PostForm.Get("next"))
	sess, secret, err := u.cfg.Identity.SignIn(r.Context(), r.PostForm.Get("token"), u.cfg.ClientAddr(r))
	switch palisade.ErrorCode(err) {
	case "":
	case palisade.EUNAUTHORIZED:
		return u.renderSignIn(w, r, http.StatusUnauthorized, next, palisade.ErrorMessage(err))
	case palisade.ERATELIMIT:
		w.Header().Set("Retry-After", "60")
		return u.renderSignIn(w, r, http.StatusTooManyRequests, next, palisade.ErrorMessage(err))
	default:
		return err
	}
	// Signing in again replaces the browser's session; end the old one so
	// it does not stay valid, unseen, until it expires.
	if old, err := r.Cookie(SessionCookie); err == nil && old.Value != "" {
		if err := u.cfg.Identity.SignOut(r.Context(), old.Value); err != nil {
			u.log.WarnContext(r.Context(), "web: end replaced session", "error", err.Error())
		}
	}
	// The cookie must not outlive the session it names.
	ttl := min(sess.ExpiresAt.Sub(sess.CreatedAt), identity.SessionTTL)
	http.SetCookie(w, u.sessionCookie(r, secret, int(ttl/time.Second)))
	http.SetCookie(w, u.csrfCookie(r, "", -1))
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signOut ends the session. A browser without a live session is simply
// sent to the sign-in form; one with a session must prove the request came
// from a Palisade page, or any site could sign users out.
func (u *UI) signOut(w http.ResponseWriter, r *http.Request) error {
	ctx, err := u.authenticate(w, r)
	if palisade.ErrorCode(err) == palisade.EUNAUTHORIZED {
		http.SetCookie(w, u.sessionCookie(r, "", -1))
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return nil
	} else if err != nil {
		return err
	}
	if err := u.checkCSRF(r, sessionFrom(ctx).CSRF); err != nil {
		return err
	}
	c, _ := r.Cookie(SessionCookie)
	if err := u.cfg.Identity.SignOut(ctx, c.Value); err != nil {
		return err
	}
	http.SetCookie(w, u.sessionCookie(r, "", -1))
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// safeNext returns s when it is a path on this site to send a browser to
// after sign-in, and "/" otherwise. It refuses anything a browser could
// read as another host: an absolute or scheme-relative URL ("//evil"),
// backslashes (which browsers treat as slashes), and control characters
// (tabs and newlines are dropped by browsers, so "/\t/evil" becomes
// "//evil").
func safeNext(s string) string {
	if s == "" || len(s) > 2048 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsRune(s, '\\') {
		return "/"
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	p, err := url.Parse(s)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil || p.Opaque != "" {
		return "/"
	}
	if p.Path == "/signin" || p.Path == "/signout" {
		return "/"
	}
	return s
}
