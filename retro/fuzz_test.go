package retro

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"

	"github.com/palisade-project/palisade"
)

// FuzzTemplatesFromSection feeds palisade.yaml files to the retrospectives
// decoder: it must never panic, must fail only with located EINVALID
// errors, and every template it returns must be valid, with exactly one
// default, and start a valid retrospective.
func FuzzTemplatesFromSection(f *testing.F) {
	for _, seed := range []string{
		exampleTemplates,
		"retrospectives:\n",
		"retrospectives: {default: blameless}\n",
		"retrospectives:\n  templates:\n    - {name: x, sections: [{key: a, title: A, optional: true}]}\n  default: x\n",
		"retrospectives:\n  templates:\n    - &t {name: x, sections: [{key: a, title: A}]}\n    - *t\n",
		"retrospectives:\n  templates:\n    - {name: x, sections: [{key: a, title: 1}, {key: b, title: \"2\", prompt: null}]}\n",
		"retrospectives: {templates: [{name: y, sections: [{key: a, title: [A]}]}]}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := sectionFromYAML(string(data))
		if err != nil || n == nil {
			return
		}
		ts, err := TemplatesFromSection(n)
		if err != nil {
			var pe *palisade.Error
			if palisade.ErrorCode(err) != palisade.EINVALID || !errors.As(err, &pe) || !strings.HasPrefix(pe.Field, "palisade.yaml:") {
				t.Fatalf("error without code or location: %#v", err)
			}
			return
		}
		defaults := 0
		for name, tmpl := range ts {
			if tmpl.Name != name {
				t.Fatalf("template %q filed under %q", tmpl.Name, name)
			}
			if err := tmpl.Validate(); err != nil {
				t.Fatalf("template %s: %v", name, err)
			}
			if tmpl.Default {
				defaults++
			}
			if err := New(tmpl, sampleIncident(), t0).Validate(); err != nil {
				t.Fatalf("New from %s: %v", name, err)
			}
		}
		if defaults != 1 || ts[DefaultTemplateName] == nil {
			t.Fatalf("%d defaults in %v", defaults, templateNames(ts))
		}
	})
}

// unsafeMarkdown renders Markdown the way a careless consumer of the
// export might: raw HTML and any link passed through.
var unsafeMarkdown = goldmark.New(goldmark.WithExtensions(extensions()...), goldmark.WithRendererOptions(html.WithUnsafe()))

// FuzzRender puts arbitrary text everywhere an author or an incident can:
// the exports must never panic, the HTML page must hold no markup but its
// own (no script, no event handler, no unsafe link), and the Markdown
// export must keep every section apart and stay script-free even when
// rendered with raw HTML allowed.
func FuzzRender(f *testing.F) {
	for _, seed := range [][2]string{
		{"<script>alert(1)</script>", "plain"},
		{"```\nunclosed", "<pre>"},
		{"<!-- x", "a | b\nc"},
		{"[x](javascript:alert(1)) <javascript:alert(2)> ![i](data:text/html,x)", "`<b>`"},
		{"<a title=\"<b>\">x</a> `code <script>`", "*"},
		{"- a\n\n  ```\n  b", "~~~"},
		{"| a |\n| - |\n| <img src=x onerror=alert(1)> |", "https://x.example.com/a?b=<c>"},
		{"[r]: vbscript:x\n\n[y][r]", "&#106;avascript:alert(1)"},
		{"<div>\n\n<script>\n", "<SCRIPT>"},
		{"# h\n======\n<?php x", "<![CDATA["},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, body, line string) {
		if len(body) > MaxBody {
			body = body[:MaxBody]
		}
		in := sampleIncident()
		in.Title = line
		in.Timeline = append(in.Timeline, TimelineEntry{At: t0, Kind: line, Actor: line, Text: body})
		r := New(nil, in, t0)
		r.Tags = append(r.Tags, line)
		r.Authors = []string{line}
		r.Section(KeySummary).Body = body
		r.Section("response").Body = line + "\n" + body
		r.ActionItems = []ActionItem{{ID: line, Title: line, Owner: line, Status: line, TrackerURL: line}}
		r.NoActionItems = body

		h, err := r.HTML()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSafeHTML(h); err != nil {
			t.Fatalf("%v\n%s", err, h)
		}

		md := r.Markdown()
		var out bytes.Buffer
		if err := unsafeMarkdown.Convert([]byte(md), &out); err != nil {
			t.Fatal(err)
		}
		if err := checkSafeHTML(out.String()); err != nil {
			t.Fatalf("Markdown export rendered with raw HTML allowed: %v\n%s\n---\n%s", err, md, out.String())
		}
		src := []byte(md)
		doc := bodyParser.Parse(text.NewReader(src))
		var headings []string
		for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
			if h, ok := c.(*ast.Heading); ok && h.Level == 2 {
				headings = append(headings, PlainText(string(h.Lines().Value(src))))
			}
		}
		if len(headings) != len(r.Sections) {
			t.Fatalf("the export has %d sections, want %d: %q\n%s", len(headings), len(r.Sections), headings, md)
		}
		_ = r.SearchText()
	})
}
