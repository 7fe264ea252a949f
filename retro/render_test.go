package retro

import (
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./retro -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test ./retro -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// published returns sample moved through review to publication.
func published(t *testing.T) *Retrospective {
	r := sample(t)
	r.Section(KeyLucky).Body = "Only one version was pushed before the canary fired."
	for _, to := range []string{StateInReview, StatePublished} {
		if err := r.Transition(to, t0.Add(72*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestMarkdownGolden(t *testing.T) {
	golden(t, "published.md", published(t).Markdown())
	golden(t, "draft.md", New(nil, IncidentSummary{ID: "INC-3", Title: "Expired TLS certificate on | the API <edge>", Severity: "SEV3"}, t0).Markdown())
}

func TestHTMLGolden(t *testing.T) {
	h, err := published(t).HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "published.html", h)
	d := New(nil, IncidentSummary{ID: "INC-3", Title: "Expired TLS certificate"}, t0)
	d.NoActionItems = "The certificate now renews automatically; see the linked change."
	h, err = d.HTML()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "draft.html", h)
}

var styleRE = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// The one style block hashes to StyleHash, so a server CSP with that hash
// lets it apply, and the page carries the same policy.
func TestStyleHash(t *testing.T) {
	h, err := published(t).HTML()
	if err != nil {
		t.Fatal(err)
	}
	blocks := styleRE.FindAllStringSubmatch(h, -1)
	if len(blocks) != 1 {
		t.Fatalf("%d style blocks", len(blocks))
	}
	sum := sha256.Sum256([]byte(blocks[0][1]))
	want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if StyleHash() != want {
		t.Fatalf("StyleHash() = %s, the block hashes to %s", StyleHash(), want)
	}
	contains(t, h, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-`)
	for _, bad := range []string{"<script", " style=", "<link", "<iframe", "http://", "@import", "url("} {
		if strings.Contains(strings.ToLower(h), bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

func TestHTMLEscapesAuthorsInput(t *testing.T) {
	r := sample(t)
	r.Title = `Title <script>alert("t")</script>`
	r.Authors = []string{`<img src=x onerror=alert(1)>`}
	r.ActionItems[0].Title = "<script>alert('a')</script>"
	r.ActionItems[0].TrackerURL = "javascript:alert(1)" // invalid, but HTML must not trust Validate
	bodies := map[string]string{
		KeySummary:             "<script>alert('x')</script>\n\nInline <script>alert(2)</script> and <SCRIPT SRC=//evil>.",
		"response":             "<div onclick=\"alert(1)\">\n<script>\nalert(3)\n</script>\n</div>",
		"what_went_well":       "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](java&#x09;script:alert(1)) [d](vbscript:x) [e](data:text/html,<script>x</script>) <javascript:alert(4)>",
		"what_went_poorly":     "![i](javascript:alert(1)) ![j](data:image/svg+xml,<svg onload=alert(1)>) ![k](data:image/png;base64,iVBORw0KGgo=)",
		"contributing_factors": "<!-- <script>alert(5)</script> -->\n\n<a href=\"javascript:alert(6)\">x</a>",
	}
	for k, v := range bodies {
		r.Section(k).Body = v
	}
	h, err := r.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSafeHTML(h); err != nil {
		t.Fatalf("%v\n%s", err, h)
	}
	// The payloads are still there, as text: the review keeps what it quotes.
	for _, want := range []string{
		"<pre class=\"raw-html\"><code>&lt;script&gt;alert('x')&lt;/script&gt;",
		"Inline &lt;script&gt;alert(2)&lt;/script&gt;",
		`<pre class="raw-html"><code>&lt;div onclick=&quot;alert(1)&quot;&gt;`,
		"<h1>Title &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;</h1>",
		`<img src="data:image/png;base64,iVBORw0KGgo=" alt="k">`,
		`<a href="">a</a>`,
	} {
		contains(t, h, want)
	}
}

func TestMarkdownEscapesAroundBodies(t *testing.T) {
	r := sample(t)
	r.Title = "Outage <b>*now*</b> | [x](y)"
	r.ActionItems[0].Owner = "team | two\nlines"
	r.ActionItems[1].TrackerURL = "javascript:alert(1)"
	md := r.Markdown()
	contains(t, md, `# Outage &lt;b&gt;\*now\*&lt;/b&gt; \| \[x\](y)`)
	contains(t, md, `| team \| two lines |`)
	if strings.Contains(md, "(javascript:") {
		t.Fatal("an invalid tracker URL became a link")
	}
	// Rendered as a whole, the export has exactly the sections, in order.
	h, _ := renderBody(md)
	if got, want := strings.Count(string(h), "<h4>"), len(r.Sections); got != want {
		t.Fatalf("%d section headings, want %d:\n%s", got, want, h)
	}
}

// Bodies are contained: none can swallow the sections after it, and raw
// HTML reads as text.
func TestContainBody(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"# Top\n\n## Sub\n\n###### Deep\n\nSetext\n---", "### Top\n\n#### Sub\n\n###### Deep\n\nSetext\n---"},
		{"```\ncode\n# not a heading", "```\ncode\n# not a heading\n```"},
		{"~~~~ go\nx := 1\n~~~", "~~~~ go\nx := 1\n~~~\n~~~~"},
		{"- item\n\n  ```\n  code", "- item\n\n  ```\n  code"}, // the list ends the fence
		{"[a](javascript:alert(1)) [b][r] ![i](data:text/html,x) <javascript:alert(2)> [ok](https://x.example.com)\n\n[r]: vbscript:x",
			"[a](#) [b][r] ![i](#) &lt;javascript:alert(2)> [ok](https://x.example.com)\n\n[r]: #"},
		{"<pre>\nnever closed", "&lt;pre>\nnever closed"},
		{"<!-- open comment", "&lt;!-- open comment"},
		{"a <b>bold</b> word", "a &lt;b>bold&lt;/b> word"},
		{"<a title=\"<b>\">x</a>", "&lt;a title=\"&lt;b>\">x&lt;/a>"},
		{"`<b>` in code and <https://example.com>", "`<b>` in code and <https://example.com>"},
		{"```\n<script>\n```", "```\n<script>\n```"},
		{"> # quoted heading", "> ### quoted heading"},
	} {
		if got := containBody(tc.in); got != tc.want {
			t.Errorf("containBody(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if !contained(containBody(tc.in)) {
			t.Errorf("containBody(%q) is not contained", tc.in)
		}
	}
}

func TestAsCode(t *testing.T) {
	got := asCode("a ```` b\n```")
	if got != "`````text\na ```` b\n```\n`````" || !contained(got) {
		t.Fatalf("asCode = %q", got)
	}
}

func TestPlainTextAndSearchText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"**Bold** and _em_ and `code` and [link](https://x.example.com)", "Bold and em and code and link"},
		{"# Head\n\n- one\n- two\n\n> quote", "Head\none\ntwo\nquote"},
		{"| a | b |\n| - | - |\n| 1 \\| 2 | 3 |", "a b\n1 | 2 3"},
		{"```\nerr: <nil>\n```", "err: <nil>"},
		{"Payload <script>alert(1)</script> &amp; CVE-2024-3094", "Payload <script>alert(1)</script> & CVE-2024-3094"},
		{"line one\nline two", "line one line two"},
	} {
		if got := PlainText(tc.in); got != tc.want {
			t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	s := published(t).SearchText()
	for _, want := range []string{"Leaked CI token used against the package registry", "INC-42", "credentials cve-2024-3094", "ci registry",
		"Revoked token `ci-deploy`; *all* pushes blocked [temporarily]", "registry yank left-pad@9.9.9",
		"Mask tokens of the v2 format in build logs", "Containment"} {
		contains(t, s, want)
	}
	for _, bad := range []string{"**", "](", "| ---", "\\|", "runbooks.example.com"} {
		if strings.Contains(s, bad) {
			t.Errorf("search text holds Markdown syntax %q", bad)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for dest, want := range map[string]bool{
		"https://x.example.com": true, "http://x": true, "mailto:a@b": true, "/relative": true, "#frag": true, "page?q=a:b": true,
		"javascript:alert(1)": false, "JAVASCRIPT:alert(1)": false, " javascript:x": false, "java\tscript:x": false,
		"java&#x09;script:x": false, "&#106;avascript:x": false, "vbscript:x": false, "data:text/html,x": false, "file:///etc/passwd": false,
		"ftp://x": false, "foo:bar": false,
	} {
		if got := safeURL([]byte(dest), false); got != want {
			t.Errorf("safeURL(%q) = %v, want %v", dest, got, want)
		}
	}
	if !safeURL([]byte("data:image/png;base64,AAAA"), true) || safeURL([]byte("data:image/svg+xml,<svg>"), true) || safeURL([]byte("data:image/png;base64,AAAA"), false) {
		t.Error("data: images")
	}
}

// The exports run concurrently in the server: they share only read-only
// values.
func TestRenderConcurrently(t *testing.T) {
	r := published(t)
	want, _ := r.HTML()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if h, err := r.HTML(); err != nil || h != want {
					t.Error("HTML differs between runs")
				}
				_ = r.Markdown()
				_ = r.SearchText()
			}
		}()
	}
	wg.Wait()
}

// tagRE finds every tag the page contains. Text never holds a literal '<'
// (both goldmark and html/template escape it), so each match is markup.
var (
	tagScanRE  = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	attrScanRE = regexp.MustCompile(`([a-zA-Z-]+)(?:="([^"]*)")?`)
	allowTags  = map[string]bool{"html": true, "head": true, "meta": true, "title": true, "style": true, "body": true, "header": true,
		"main": true, "section": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "p": true, "span": true,
		"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "ul": true, "ol": true, "li": true, "a": true,
		"strong": true, "em": true, "code": true, "pre": true, "blockquote": true, "hr": true, "br": true, "img": true, "del": true,
		"input": true}
	allowAttrs = map[string]bool{"lang": true, "charset": true, "http-equiv": true, "content": true, "name": true, "class": true,
		"id": true, "scope": true, "href": true, "rel": true, "src": true, "alt": true, "title": true, "align": true, "start": true,
		"checked": true, "disabled": true, "type": true}
)

// checkSafeHTML fails on any tag or attribute outside a small allowlist, on
// a link or image whose scheme is not http(s)/mailto (or a raster data:
// image), and on comments other than goldmark's.
func checkSafeHTML(h string) error {
	if i := strings.Index(strings.ToLower(h), "<script"); i >= 0 {
		return fmt.Errorf("a script tag at %d", i)
	}
	// The style block is ours and checked by TestStyleHash; its CSS may
	// hold a '<' in a string.
	body := styleRE.ReplaceAllString(h, "<style></style>")
	if strings.HasPrefix(body, "<!doctype html>") {
		body = body[len("<!doctype html>"):]
	}
	if strings.Contains(body, "<!") || strings.Contains(body, "<?") {
		return fmt.Errorf("a comment or declaration in the page")
	}
	if n := strings.Count(body, "<"); n != len(tagScanRE.FindAllString(body, -1)) {
		return fmt.Errorf("a '<' that does not start a tag")
	}
	for _, m := range tagScanRE.FindAllStringSubmatch(body, -1) {
		tag := strings.ToLower(m[2])
		if !allowTags[tag] {
			return fmt.Errorf("tag %s", m[0])
		}
		for _, a := range attrScanRE.FindAllStringSubmatch(m[3], -1) {
			name := strings.ToLower(a[1])
			if !allowAttrs[name] {
				return fmt.Errorf("attribute %s in %s", name, m[0])
			}
			if (name == "href" || name == "src") && !safeURL([]byte(a[2]), tag == "img") {
				return fmt.Errorf("unsafe %s in %s", name, m[0])
			}
		}
	}
	return nil
}
