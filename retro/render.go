package retro

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

//go:embed export/page.html export/page.css
var exportFS embed.FS

// pageCSS is the page's only style block; its hash is the CSP source
// StyleHash returns, so it is read once and never altered.
var pageCSS = mustRead("export/page.css")

var pageTmpl = template.Must(template.New("page.html").ParseFS(exportFS, "export/page.html"))

func mustRead(name string) string {
	b, err := exportFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// markdown converts section bodies. It is configured once and only read
// afterwards; goldmark instances are safe for concurrent use. The HTML
// renderer keeps its default safe mode (dangerous link schemes dropped,
// never WithUnsafe), raw HTML is written out escaped (rawHTMLAsText) and
// link schemes are allowlisted (bodyTransformer), so what authors type can
// never become markup or script in the exported page.
var markdown = goldmark.New(
	goldmark.WithExtensions(extensions()...),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(bodyTransformer{}, 1000))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(rawHTMLAsText{}, 100))),
)

// bodyParser parses bodies as written, for the Markdown export and the search
// text: the same syntax as markdown, without the page's adjustments.
var bodyParser = goldmark.New(goldmark.WithExtensions(extensions()...)).Parser()

// extensions are the GFM extensions section bodies may use.
func extensions() []goldmark.Extender {
	return []goldmark.Extender{
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
		extension.Strikethrough,
		extension.TaskList,
		extension.Linkify,
	}
}

// rawHTMLAsText renders raw HTML as the text it is written as, where
// goldmark's safe mode would drop it: security reviews quote payloads such
// as <script>alert(1)</script>, and silently losing them would change what
// the review says. The priority (100, before the HTML renderer's 1000)
// makes these functions replace goldmark's for the two node kinds.
type rawHTMLAsText struct{}

func (rawHTMLAsText) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := 0; i < segs.Len(); i++ {
				seg := segs.At(i)
				_, _ = w.Write(util.EscapeHTML(seg.Value(src)))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		_, _ = w.WriteString(`<pre class="raw-html"><code>`)
		for i := 0; i < b.Lines().Len(); i++ {
			line := b.Lines().At(i)
			_, _ = w.Write(util.EscapeHTML(line.Value(src)))
		}
		if b.HasClosure() {
			_, _ = w.Write(util.EscapeHTML(b.ClosureLine.Value(src)))
		}
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkSkipChildren, nil
	})
}

// bodyTransformer adapts a section body to its place in the page: headings
// move below the section's own h2, and links and images keep only schemes
// that are safe everywhere the page may be opened (an allowlist, stricter
// than goldmark's denylist of dangerous schemes).
type bodyTransformer struct{}

func (bodyTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	var drop []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+2, 6)
		case *ast.Link:
			if !safeURL(n.Destination, false) {
				n.Destination = nil
			}
		case *ast.Image:
			if !safeURL(n.Destination, true) {
				n.Destination = nil
			}
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL && !safeURL(n.URL(reader.Source()), false) {
				drop = append(drop, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range drop {
		// Keep the text the author wrote, without the link.
		n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.(*ast.AutoLink).Label(reader.Source())))
	}
}

var dataImageRE = regexp.MustCompile(`^data:image/(png|gif|jpeg|webp)[;,]`)

// safeURL reports whether dest, as the renderer will write it, is a
// relative reference or uses http, https or mailto (or, for an image, a
// data: URL of a raster format). Browsers ignore tabs and newlines inside
// a scheme and entities are resolved first, so both are undone before the
// scheme is read.
func safeURL(dest []byte, image bool) bool {
	u := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(string(util.URLEscape(dest, true))))
	colon := strings.IndexByte(u, ':')
	if colon < 0 || strings.ContainsAny(u[:colon], "/?#") {
		return true // relative: no scheme
	}
	switch u[:colon] {
	case "http", "https", "mailto":
		return true
	case "data":
		return image && dataImageRE.MatchString(u)
	}
	return false
}

// renderBody converts one section body to HTML.
func renderBody(body string) (template.HTML, error) {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(body), &b); err != nil {
		return "", fmt.Errorf("retro: render markdown: %w", err)
	}
	return template.HTML(b.String()), nil // #nosec: goldmark in safe mode escapes the author's input
}

// StyleHash returns the Content-Security-Policy source ('sha256-…') of the
// one style block in the page HTML returns, so the server can serve it
// under a policy that allows that style and nothing else.
func StyleHash() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// pageCSP is repeated in the page itself so that a saved or e-mailed copy
// stays as locked down as the served one.
func pageCSP() string {
	return "default-src 'none'; style-src " + StyleHash() + "; img-src data:; base-uri 'none'; form-action 'none'"
}

type metaRow struct{ Name, Value string }

type pageSection struct {
	Key, Title string
	Body       template.HTML
	Actions    bool // the action items follow the body
}

type pageAction struct {
	Title, Owner, Status, Due, Done, TrackerText string
	Tracker                                      string
}

type pageData struct {
	Title, State, StateClass, CSP string
	CSS                           template.CSS
	Meta                          []metaRow
	Sections                      []pageSection
	Actions                       []pageAction
	NoActionItems                 string
	TrailingActions               bool
}

// HTML returns the retrospective as one printable, self-contained HTML
// page: a single style block (see StyleHash), no script, no external
// resource, and the same Content-Security-Policy in a meta element. Section
// bodies are rendered from Markdown in goldmark's safe mode, and raw HTML
// in them is shown as the escaped text it was typed as: what authors write
// never becomes markup. The error is non-nil only for a failure to render.
func (r *Retrospective) HTML() (string, error) {
	d := pageData{
		Title: r.Title, State: stateTitle(r.State), StateClass: r.State,
		CSP: pageCSP(), CSS: template.CSS(pageCSS),
		Meta: r.meta(), NoActionItems: r.NoActionItems,
	}
	hasActions := false
	for _, s := range r.Sections {
		body, err := renderBody(s.Body)
		if err != nil {
			return "", err
		}
		ps := pageSection{Key: s.Key, Title: s.Title, Body: body}
		if s.Key == actionItemsKey && !hasActions {
			ps.Actions, hasActions = true, true
		}
		d.Sections = append(d.Sections, ps)
	}
	d.TrailingActions = !hasActions && (len(r.ActionItems) > 0 || r.NoActionItems != "")
	for _, a := range r.ActionItems {
		d.Actions = append(d.Actions, pageAction{
			Title: a.Title, Owner: a.Owner, Status: statusTitle(a.Status),
			Due: dateOr(a.DueAt, "—"), Done: dateOr(a.DoneAt, ""),
			TrackerText: trackerText(a.TrackerURL),
		})
		if a.TrackerURL != "" && trackerURLProblem(a.TrackerURL) == "" {
			d.Actions[len(d.Actions)-1].Tracker = a.TrackerURL
		}
	}
	var b strings.Builder
	if err := pageTmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("retro: render page: %w", err)
	}
	return b.String(), nil
}

// meta is the facts table at the top of both exports.
func (r *Retrospective) meta() []metaRow {
	rows := []metaRow{
		{"Incident", r.IncidentID},
		{"State", stateTitle(r.State)},
		{"Severity", r.Severity},
		{"Services", strings.Join(r.Services, ", ")},
		{"Tags", strings.Join(r.Tags, ", ")},
		{"Authors", strings.Join(r.Authors, ", ")},
		{"Created", stampOr(&r.CreatedAt)},
		{"Updated", stampOr(&r.UpdatedAt)},
		{"Published", stampOr(r.PublishedAt)},
	}
	out := rows[:0]
	for _, m := range rows {
		if m.Value != "" {
			out = append(out, m)
		}
	}
	return out
}

// Markdown returns the retrospective as one Markdown document: the title,
// a table of facts, every section under its own heading (empty ones say
// so), and the action items as a table in the action items section (or at
// the end when the template has none). Text Palisade writes around the
// bodies is escaped; bodies are the authors' Markdown, adjusted only so
// that raw HTML in them reads as text (as in the HTML page), their
// headings sit below the section's, and none can swallow the sections
// after it (see containBody).
func (r *Retrospective) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n| Field | Value |\n| --- | --- |\n", mdInline(oneLine(r.Title)))
	for _, m := range r.meta() {
		fmt.Fprintf(&b, "| %s | %s |\n", m.Name, mdCell(m.Value))
	}
	wroteActions := false
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "\n## %s\n\n", mdInline(oneLine(s.Title)))
		body := trimBlankLines(containBody(s.Body))
		switch {
		case body != "":
			b.WriteString(body + "\n")
		case s.Key != actionItemsKey:
			b.WriteString("_Nothing written yet._\n")
		}
		if s.Key == actionItemsKey && !wroteActions {
			if body != "" {
				b.WriteString("\n")
			}
			r.actionsMarkdown(&b)
			wroteActions = true
		}
	}
	if !wroteActions && (len(r.ActionItems) > 0 || r.NoActionItems != "") {
		b.WriteString("\n## Action items\n\n")
		r.actionsMarkdown(&b)
	}
	return b.String()
}

func (r *Retrospective) actionsMarkdown(b *strings.Builder) {
	if len(r.ActionItems) == 0 {
		if r.NoActionItems != "" {
			fmt.Fprintf(b, "**No action items:** %s\n", mdInline(oneLine(r.NoActionItems)))
		} else {
			b.WriteString("_No action items yet._\n")
		}
		return
	}
	b.WriteString("| Action | Owner | Status | Due | Done | Tracker |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, a := range r.ActionItems {
		tracker := mdCell(trackerText(a.TrackerURL))
		if a.TrackerURL != "" && trackerURLProblem(a.TrackerURL) == "" {
			tracker = fmt.Sprintf("[%s](%s)", tracker, mdURL(a.TrackerURL))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", mdCell(a.Title), mdCell(a.Owner), mdCell(statusTitle(a.Status)),
			dateOr(a.DueAt, "—"), dateOr(a.DoneAt, ""), tracker)
	}
}

// SearchText returns the plain text a full-text index should hold for the
// retrospective: title, incident id, severity, tags, services, the section
// bodies as PlainText, the action item titles and the no-action-items
// note, one block per line. It is text, not HTML: whoever shows a snippet
// of it escapes it.
func (r *Retrospective) SearchText() string {
	var parts []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	add(r.Title)
	add(r.IncidentID)
	add(r.Severity)
	add(strings.Join(r.Tags, " "))
	add(strings.Join(r.Services, " "))
	for _, s := range r.Sections {
		add(PlainText(s.Body))
	}
	for _, a := range r.ActionItems {
		add(a.Title)
	}
	add(r.NoActionItems)
	return strings.Join(parts, "\n")
}

// PlainText returns the text of Markdown source md without its syntax: what
// a reader of the exports sees, one block per line. Link targets are
// dropped; code and raw HTML are kept as written, because the exports show
// them as text and payloads, error messages and identifiers are what
// people search for.
func PlainText(md string) string {
	if strings.TrimSpace(md) == "" {
		return ""
	}
	src := []byte(md)
	doc := bodyParser.Parse(text.NewReader(src))
	var b []byte
	space := func() {
		if len(b) > 0 && b[len(b)-1] != ' ' && b[len(b)-1] != '\n' {
			b = append(b, ' ')
		}
	}
	newline := func() {
		b = bytes.TrimRight(b, " ")
		if len(b) > 0 && b[len(b)-1] != '\n' {
			b = append(b, '\n')
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.Text:
			if entering {
				v := n.Segment.Value(src)
				if !n.IsRaw() {
					v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
				}
				b = append(b, v...)
				if n.SoftLineBreak() || n.HardLineBreak() {
					space()
				}
			}
		case *ast.String:
			if entering {
				b = append(b, n.Value...)
			}
		case *ast.AutoLink:
			if entering {
				b = append(b, n.Label(src)...)
			}
		case *ast.RawHTML:
			if entering {
				for i := 0; i < n.Segments.Len(); i++ {
					seg := n.Segments.At(i)
					b = append(b, seg.Value(src)...)
				}
			}
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock:
			if entering {
				newline()
				lines := n.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b = append(b, bytes.TrimRight(seg.Value(src), "\r\n")...)
					b = append(b, '\n')
				}
				if h, ok := n.(*ast.HTMLBlock); ok && h.HasClosure() {
					b = append(b, bytes.TrimRight(h.ClosureLine.Value(src), "\r\n")...)
					b = append(b, '\n')
				}
			}
			return ast.WalkSkipChildren, nil
		case *east.TableCell:
			if !entering {
				space()
			}
		default:
			if n.Type() == ast.TypeBlock && !entering {
				newline()
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(string(b))
}

// mdInline escapes s for inline Markdown so that it reads literally: no
// emphasis, links, code or raw HTML. Angle brackets and ampersands become
// entities rather than backslash escapes, so the raw document never holds
// a literal tag either.
func mdInline(s string) string {
	var b strings.Builder
	for i, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			if entityRE.MatchString(s[i+1:]) {
				b.WriteString("&amp;")
			} else {
				b.WriteByte('&')
			}
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

var entityRE = regexp.MustCompile(`^#?[A-Za-z0-9]+;`)

// mdCell is mdInline for a table cell: one line, pipes escaped.
func mdCell(s string) string { return mdInline(oneLine(s)) }

// mdURL writes u as a link destination that stays one token: characters
// that would end or break it are percent-encoded.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C", "\\", "%5C", "`", "%60").Replace(u)
}

// trackerText is the visible text of a tracker link: the host and path,
// which identify the issue without the noise of a query string.
func trackerText(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	t := p.Host + strings.TrimSuffix(p.EscapedPath(), "/")
	return truncateRunes(t, 80)
}

var (
	fenceRE  = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
	atxEndRE = regexp.MustCompile(`(#{1,6})[ \t]+$`)
)

// containBody adjusts a section body for the Markdown export, where all
// bodies share one document: raw HTML is escaped so that it reads as the
// text the author typed (as in the HTML page) and can neither run in a
// renderer that passes HTML through nor swallow the following sections;
// ATX headings move two levels down, below the section's own heading; and a
// body that would still run into the next section (an unclosed code fence)
// has its fence closed, or as a last resort is shown as a code block.
func containBody(body string) string {
	body = demoteHeadings(sanitizeBody(strings.ReplaceAll(body, "\r\n", "\n")))
	if contained(body) {
		return body
	}
	if fence := openFence(body); fence != "" && contained(body+"\n"+fence) {
		return body + "\n" + fence
	}
	return asCode(body)
}

// asCode shows md as a code block, behind a fence longer than any run of
// backticks in it, so that nothing in md can end the block or be parsed.
func asCode(md string) string {
	longest := 0
	for _, run := range backticksRE.FindAllString(md, -1) {
		longest = max(longest, len(run))
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + md + "\n" + fence
}

var backticksRE = regexp.MustCompile("`+")

// sanitizeBody makes md as safe to render anywhere as the HTML page is:
// raw HTML escaped (escapeRawHTML), and link and image targets outside the
// page's allowlist replaced by "#" (an autolink becomes text). The two
// steps can uncover each other's work, so they repeat until a pass changes
// nothing; what cannot be made safe that way is shown as code.
func sanitizeBody(md string) string {
	for range maxEscapePasses {
		md = escapeRawHTML(md)
		next, changed, ok := neutralizeLinks(md)
		switch {
		case !ok:
			return asCode(md)
		case !changed:
			return md
		}
		md = next
	}
	return asCode(md)
}

// neutralizeLinks replaces unsafe link and image destinations in md by "#"
// and escapes the '<' of unsafe autolinks. ok is false when an unsafe
// target could not be located in md.
func neutralizeLinks(md string) (out string, changed, ok bool) {
	src := []byte(md)
	pc := parser.NewContext()
	doc := bodyParser.Parse(text.NewReader(src), parser.WithContext(pc))
	type edit struct {
		at, end int
		with    string
	}
	edits := map[int]edit{}
	ok = true
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest []byte
		image := false
		switch n := n.(type) {
		case *ast.Link:
			dest = n.Destination
		case *ast.Image:
			dest, image = n.Destination, true
		case *ast.AutoLink:
			if n.AutoLinkType != ast.AutoLinkURL || safeURL(n.URL(src), false) {
				return ast.WalkContinue, nil
			}
			at, found := offsetIn(src, n.Label(src))
			if !found || at == 0 || src[at-1] != '<' {
				ok = false
				return ast.WalkStop, nil
			}
			edits[at-1] = edit{at - 1, at, "&lt;"}
			return ast.WalkContinue, nil
		default:
			return ast.WalkContinue, nil
		}
		if safeURL(dest, image) {
			return ast.WalkContinue, nil
		}
		at, found := offsetIn(src, dest)
		if !found {
			ok = false
			return ast.WalkStop, nil
		}
		edits[at] = edit{at, at + len(dest), "#"}
		return ast.WalkContinue, nil
	})
	// Definitions count even when this body does not use them: in the
	// export, a link in another section can.
	for _, ref := range pc.References() {
		if dest := ref.Destination(); ok && !safeURL(dest, false) {
			at, found := offsetIn(src, dest)
			if !found {
				ok = false
				break
			}
			edits[at] = edit{at, at + len(dest), "#"}
		}
	}
	if !ok || len(edits) == 0 {
		return md, false, ok
	}
	starts := make([]int, 0, len(edits))
	for at := range edits {
		starts = append(starts, at)
	}
	slices.Sort(starts)
	var b strings.Builder
	last := 0
	for _, at := range starts {
		e := edits[at]
		if e.at < last {
			continue // overlapping spans cannot happen in one parse; be safe
		}
		b.Write(src[last:e.at])
		b.WriteString(e.with)
		last = e.end
	}
	b.Write(src[last:])
	return b.String(), true, true
}

// offsetIn returns where part starts in src when part is a slice of src's
// own memory, as goldmark's link destinations and labels are.
func offsetIn(src, part []byte) (int, bool) {
	if len(part) == 0 {
		return 0, false
	}
	at := cap(src) - cap(part)
	if at < 0 || at+len(part) > len(src) || &src[at] != &part[0] {
		return 0, false
	}
	return at, true
}

// maxEscapePasses bounds escapeRawHTML's re-parsing: escaping one tag can
// turn text around it into a tag (a tag inside an attribute value, a code
// span that now pairs differently), so it repeats until the body parses
// without raw HTML; real text needs one or two passes.
const maxEscapePasses = 8

// escapeRawHTML replaces the '<' of every raw HTML tag and block in md by
// "&lt;", so that md renders the markup as text everywhere.
func escapeRawHTML(md string) string {
	for range maxEscapePasses {
		src := []byte(md)
		doc := bodyParser.Parse(text.NewReader(src))
		escape := map[int]bool{}
		mark := func(seg text.Segment) {
			for i := seg.Start; i < seg.Stop && i < len(src); i++ {
				if src[i] == '<' {
					escape[i] = true
				}
			}
		}
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.RawHTML:
				for i := 0; i < n.Segments.Len(); i++ {
					mark(n.Segments.At(i))
				}
			case *ast.HTMLBlock:
				for i := 0; i < n.Lines().Len(); i++ {
					mark(n.Lines().At(i))
				}
				if n.HasClosure() {
					mark(n.ClosureLine)
				}
			}
			return ast.WalkContinue, nil
		})
		if len(escape) == 0 {
			return md
		}
		var b strings.Builder
		for i, c := range src {
			if escape[i] {
				b.WriteString("&lt;")
			} else {
				b.WriteByte(c)
			}
		}
		md = b.String()
	}
	return strings.ReplaceAll(md, "<", "&lt;")
}

// demoteHeadings moves every ATX heading of md two levels down (at most
// to level 6). Setext headings (underlined) keep their level: rewriting
// them is not worth the risk of changing the text.
func demoteHeadings(md string) string {
	src := []byte(md)
	doc := bodyParser.Parse(text.NewReader(src))
	var inserts []int // positions of '#' runs to lengthen, in order
	var levels []int
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok || h.Lines().Len() == 0 {
			return ast.WalkContinue, nil
		}
		pos := h.Lines().At(0).Start
		lineStart := bytes.LastIndexByte(src[:pos], '\n') + 1
		if m := atxEndRE.FindSubmatchIndex(src[lineStart:pos]); m != nil {
			inserts = append(inserts, lineStart+m[2])
			levels = append(levels, m[3]-m[2])
		}
		return ast.WalkContinue, nil
	})
	if len(inserts) == 0 {
		return md
	}
	var b strings.Builder
	last := 0
	for i, at := range inserts {
		b.Write(src[last:at])
		b.WriteString(strings.Repeat("#", min(levels[i]+2, 6)-levels[i]))
		last = at
	}
	b.Write(src[last:])
	return b.String()
}

// contained reports whether a heading written after md starts a new
// top-level block, as the next section's heading must.
func contained(md string) bool {
	const probe = "\n\n## end-of-section-probe\n"
	src := []byte(md + probe)
	doc := bodyParser.Parse(text.NewReader(src))
	h, ok := doc.LastChild().(*ast.Heading)
	if !ok || h.Level != 2 || h.Lines().Len() != 1 {
		return false
	}
	line := h.Lines().At(0)
	return string(line.Value(src)) == "end-of-section-probe"
}

// openFence returns the run (``` or ~~~) of a top-level code fence left
// open at the end of md, or "".
func openFence(md string) string {
	var fence string
	for _, line := range strings.Split(md, "\n") {
		if fence != "" {
			t := strings.TrimLeft(line, " ")
			if len(line)-len(t) <= 3 && strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]+" \t") == "" {
				fence = ""
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil && !(m[1][0] == '`' && strings.Contains(m[2], "`")) {
			fence = m[1]
		}
	}
	return fence
}

// trimBlankLines removes blank lines and trailing space around body,
// keeping the first line's indentation (it may start a code block).
func trimBlankLines(body string) string {
	body = strings.TrimRight(body, " \t\r\n")
	for {
		nl := strings.IndexByte(body, '\n')
		if nl < 0 || strings.TrimSpace(body[:nl]) != "" {
			return body
		}
		body = body[nl+1:]
	}
}

func stateTitle(s string) string {
	switch s {
	case StateDraft:
		return "Draft"
	case StateInReview:
		return "In review"
	case StatePublished:
		return "Published"
	}
	return s
}

func statusTitle(s string) string {
	switch s {
	case StatusOpen:
		return "Open"
	case StatusInProgress:
		return "In progress"
	case StatusDone:
		return "Done"
	case StatusWontDo:
		return "Won't do"
	}
	return s
}

func dateOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.DateOnly)
}

func stampOr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return stamp(*t)
}
