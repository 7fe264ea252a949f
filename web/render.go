package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/identity"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{
	"overview", "services", "service", "teams", "team", "thirdparties", "thirdparty",
	"findings", "finding", "vulnmetrics",
	"slos", "slo", "gate", "gatedecision",
	"incidents", "incident", "incidentnew", "incidentmetrics",
	"retros", "retro", "retroitems",
	"pending", "signin", "error",
}

type pageTemplate = template.Template

func parsePages(a *assets) map[string]*pageTemplate {
	funcs := template.FuncMap{
		"asset":  a.url,
		"join":   strings.Join,
		"plural": plural,
		"utc":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"date":   func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		// label turns a state or justification ("not_affected") into words.
		"label": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		// statusClass and outcomeClass map a value this version does not
		// know to the chip of the most cautious one.
		"statusClass":   statusClass,
		"outcomeClass":  outcomeClass,
		"incidentClass": incidentStatusClass,
		// Retrospective states and action item statuses, in words and as
		// CSS hooks.
		"retroState": retroStateLabel,
		"retroClass": retroStateClass,
		"itemStatus": itemStatusLabel,
		"itemClass":  itemStatusClass,
		"itemFields": newItemFields,
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := make(map[string]*pageTemplate, len(pageNames))
	for _, name := range pageNames {
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, "templates/"+name+".html"))
	}
	return pages
}

// navItem is one entry of the main navigation.
type navItem struct {
	Key, Label, Path string
	// Pending, when set, says why the entry's page has nothing yet.
	Pending string
	// Sub entries are pages within the entry above them, indented.
	Sub bool
	// wired, when set, reports whether a server's Config has what the
	// entry's page needs; without it the entry is left out.
	wired func(*Config) bool
}

// navGroup is a titled list of navigation entries.
type navGroup struct {
	Title string
	Items []navItem
}

func navigation(caps []capability) []navGroup {
	catalogItems := []navItem{
		{Key: "overview", Label: "Overview", Path: "/"},
		{Key: "services", Label: "Services", Path: "/services"},
		{Key: "teams", Label: "Teams", Path: "/teams"},
		{Key: "third-parties", Label: "Third parties", Path: "/third-parties"},
	}
	var capItems []navItem
	for _, c := range caps {
		item := navItem{Key: c.Key, Label: c.Label, Path: c.Path}
		if !c.Built {
			item.Pending = c.PendingLabel()
		}
		capItems = append(capItems, item)
		capItems = append(capItems, c.SubNav...)
	}
	return []navGroup{{Title: "Catalog", Items: catalogItems}, {Title: "Capabilities", Items: capItems}}
}

// layoutView is what layout.html sees; Page is the page's own data.
type layoutView struct {
	Title   string
	Section string // navigation key of the current page
	Actor   *palisade.Actor
	Session *identity.Session
	CSRF    string
	Version string
	Nav     []navGroup
	Page    any
}

// render executes a page into a buffer and only then writes it, so that a
// template failure becomes a clean error page instead of half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, page, title, section string, data any) error {
	t, ok := u.pages[page]
	if !ok {
		return fmt.Errorf("web: no page template %q", page)
	}
	v := layoutView{Title: title, Section: section, Version: u.cfg.Version, Page: data}
	if a, ok := palisade.ActorFrom(r.Context()); ok {
		v.Actor = &a
		v.Nav = navigation(u.caps)
	}
	if s := sessionFrom(r.Context()); s != nil {
		v.Session = s
		v.CSRF = s.CSRF
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages carry CSRF tokens and catalog data: no cache may keep them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		u.log.DebugContext(r.Context(), "web: write page", "error", err)
	}
	return nil
}

// errorStatus is the API's mapping, so a page and an API call that fail
// the same way answer the same status.
func errorStatus(err error) int { return httpapi.ErrorStatus(err) }

var errorHeadings = map[int]string{
	http.StatusBadRequest:            "That request is not valid",
	http.StatusUnauthorized:          "Sign-in required",
	http.StatusForbidden:             "Not allowed",
	http.StatusNotFound:              "Not found",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusUnprocessableEntity:   "That request cannot be processed",
	http.StatusTooManyRequests:       "Too many attempts",
	http.StatusServiceUnavailable:    "Palisade is unavailable",
	http.StatusInternalServerError:   "Something went wrong",
}

type errorView struct {
	Status    int
	Heading   string
	Message   string
	RequestID string
}

// fail renders err as an error page. Errors at or above 500 are logged with
// their cause and shown only as a generic message and the request id: a
// database error or a file path tells an attacker more than a user.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := errorStatus(err)
	if status == http.StatusUnauthorized {
		u.toSignIn(w, r)
		return
	}
	v := errorView{Status: status, Heading: errorHeadings[status], Message: palisade.ErrorMessage(err), RequestID: w.Header().Get("X-Request-Id")}
	if status >= 500 {
		level := "error"
		if r.Context().Err() != nil {
			level = "debug" // the client went away; nothing to fix
		}
		args := []any{"error", err.Error(), "status", status, "method", r.Method, "path", r.URL.Path, "request_id", v.RequestID}
		if level == "error" {
			u.log.ErrorContext(r.Context(), "web: request failed", args...)
		} else {
			u.log.DebugContext(r.Context(), "web: request failed", args...)
		}
		v.Message = "Palisade could not complete this request. The error has been logged; if it persists, tell your Palisade administrator."
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "30")
			v.Message = "Palisade cannot reach its database right now. Try again in a moment."
		}
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	if v.Heading == "" {
		v.Heading = http.StatusText(status)
	}
	if rerr := u.render(w, r, status, "error", v.Heading, "", v); rerr != nil {
		u.log.ErrorContext(r.Context(), "web: render error page", "error", rerr.Error())
		http.Error(w, http.StatusText(status), status)
	}
}

// assets are the embedded static files. Each is served under its plain name
// and under a name with a content hash; pages link the hashed name, which
// can be cached for ever because a new build gets a new name.
type assets struct {
	byName map[string]staticFile // request name (plain or hashed) -> file
	urls   map[string]string     // plain name -> hashed URL
}

type staticFile struct {
	data      []byte
	ctype     string
	etag      string
	immutable bool
}

// contentTypes are set explicitly rather than from the system's MIME
// table, which differs between hosts.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

func loadAssets() *assets {
	a := &assets{byName: map[string]staticFile{}, urls: map[string]string{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := e.Name()
		data, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			panic(err)
		}
		ext := path.Ext(name)
		ctype, ok := contentTypes[ext]
		if !ok {
			panic("web: no content type for static file " + name)
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:6])
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		f := staticFile{data: data, ctype: ctype, etag: `"` + hash + `"`}
		a.byName[name] = f
		f.immutable = true
		a.byName[hashed] = f
		a.urls[name] = "/static/" + hashed
	}
	return a
}

// url returns the hashed URL of a static file; an unknown name fails the
// template, which the tests catch.
func (a *assets) url(name string) (string, error) {
	u, ok := a.urls[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return u, nil
}

// serveStatic serves the embedded files without a session: the sign-in page
// needs them, and they hold nothing secret.
func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	f, ok := u.assets.byName[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	if f.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// Plain names (the favicon a browser asks for on its own) change
		// with a release, so they are revalidated with the ETag.
		h.Set("Cache-Control", "public, max-age=3600, must-revalidate")
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
}

// serveFavicon answers browsers and tools that ask for /favicon.ico even
// when the page names an SVG icon, so that they get an icon and not a 404
// in the console.
func (u *UI) serveFavicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
}
