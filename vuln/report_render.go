package vuln

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Report formats.
const (
	ReportHTML     = "html"
	ReportMarkdown = "markdown"
	ReportJSON     = "json"
	ReportCSV      = "csv"
)

//go:embed templates/report.html templates/report.css
var reportFS embed.FS

var (
	reportCSS  = mustRead("templates/report.css")
	reportTmpl = template.Must(template.New("report.html").Funcs(template.FuncMap{
		"date":         func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"datetime":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"join":         strings.Join,
		"label":        dispositionLabel,
		"dispositions": func() []string { return dispositions },
		"add":          func(a, b int) int { return a + b },
		"percent":      func(x float64) string { return fmt.Sprintf("%.0f%%", x*100) },
	}).ParseFS(reportFS, "templates/report.html"))
)

// ReportStyleHash is the CSP source for the report's one inline style
// block, so the API can serve the HTML under a policy that allows nothing
// else.
var ReportStyleHash = func() string {
	sum := sha256.Sum256([]byte(reportCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

func mustRead(name string) string {
	b, err := reportFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var dispositions = []string{DispositionResolved, DispositionMitigated, DispositionFalsePositive, DispositionAccepted, DispositionOpen}

func dispositionLabel(d string) string {
	switch d {
	case DispositionResolved:
		return "Resolved"
	case DispositionMitigated:
		return "Not affected (mitigated)"
	case DispositionFalsePositive:
		return "False positive"
	case DispositionAccepted:
		return "Risk accepted"
	case DispositionOpen:
		return "Still open"
	}
	return d
}

// WriteReport renders r in format: a printable, self-contained HTML page,
// Markdown, JSON, or CSV with one row per finding.
func WriteReport(w io.Writer, r *Report, format string) error {
	switch format {
	case ReportHTML:
		return reportTmpl.Execute(w, struct {
			*Report
			CSS template.CSS
		}{r, template.CSS(reportCSS)})
	case ReportJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case ReportCSV:
		return writeReportCSV(w, r)
	case ReportMarkdown:
		return writeReportMarkdown(w, r)
	}
	return palisade.FieldErrorf(palisade.EINVALID, "format", "unknown report format %q: use html, markdown, json or csv", format)
}

func writeReportCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"advisory", "aliases", "severity", "kev", "service", "purl", "finding", "disposition", "resolution", "justification",
		"accepted_by", "accepted_for", "accepted_until", "acceptance_reason", "detected", "due", "decided", "deadline"})
	for _, a := range r.Advisories {
		for _, l := range a.Findings {
			var by, forWhom, until, reason, decided string
			if ac := l.Acceptance; ac != nil {
				by, forWhom, until, reason = ac.ApprovedBy, ac.RequestedBy, ac.ExpiresAt.UTC().Format(time.DateOnly), ac.Reason
			}
			if l.DecidedAt != nil {
				decided = l.DecidedAt.UTC().Format(time.DateOnly)
			}
			cw.Write([]string{a.ID, strings.Join(a.Aliases, " "), a.Severity, fmt.Sprint(a.KEV), l.Service, l.Purl, l.Finding, l.Disposition,
				l.Resolution, l.Justification, by, forWhom, until, reason, l.DetectedAt.UTC().Format(time.DateOnly),
				l.DueAt.UTC().Format(time.DateOnly), decided, l.Deadline})
		}
	}
	cw.Flush()
	return cw.Error()
}

func md(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

func writeReportMarkdown(w io.Writer, r *Report) error {
	scope := "all services"
	if r.Service != "" {
		scope = "service " + r.Service
	}
	d := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	fmt.Fprintf(w, "# Vulnerability audit report\n\n%s, %s to %s. Generated %s by %s.\n\n", scope, d(r.From), d(r.To),
		r.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"), md(r.GeneratedBy))
	fmt.Fprintf(w, "Audit log head: `%d:%s` (check with `palisade audit verify --expect %d:%s`).\n\n", r.AuditHead.Seq, r.AuditHead.Hash, r.AuditHead.Seq, r.AuditHead.Hash)
	fmt.Fprintf(w, "## Summary\n\n| | |\n|---|---|\n| Advisories | %d |\n| Findings | %d |\n", r.Summary.Advisories, r.Summary.Findings)
	for _, disp := range dispositions {
		fmt.Fprintf(w, "| %s | %d |\n", dispositionLabel(disp), r.Summary.ByDisposition[disp])
	}
	fmt.Fprintf(w, "| Deadlines held | %d of %d (%.0f%%) |\n\n## Advisories\n", r.Summary.DeadlineHeld, r.Summary.DeadlineHeld+r.Summary.DeadlineMissed, r.Summary.DeadlineShare*100)
	if len(r.Advisories) == 0 {
		fmt.Fprintln(w, "\nNo advisory touched the scope in this period.")
	}
	for _, a := range r.Advisories {
		kev := ""
		if a.KEV {
			kev = " · KEV"
		}
		fmt.Fprintf(w, "\n### %s (%s%s)\n\n", a.ID, a.Severity, kev)
		if len(a.Aliases) > 0 {
			fmt.Fprintf(w, "Aliases: %s\n\n", md(strings.Join(a.Aliases, ", ")))
		}
		if a.Summary != "" {
			fmt.Fprintf(w, "%s\n\n", md(a.Summary))
		}
		fmt.Fprintln(w, "| Service | Component | Disposition | Detected | Due | Decided | Deadline |\n|---|---|---|---|---|---|---|")
		for _, l := range a.Findings {
			disp := dispositionLabel(l.Disposition)
			switch {
			case l.Resolution != "":
				disp += " (" + l.Resolution + ")"
			case l.Justification != "":
				disp += " (" + l.Justification + ")"
			case l.Acceptance != nil:
				disp += fmt.Sprintf(" by %s until %s: %s", l.Acceptance.ApprovedBy, d(l.Acceptance.ExpiresAt), l.Acceptance.Reason)
			}
			decided := "—"
			if l.DecidedAt != nil {
				decided = d(*l.DecidedAt)
			}
			fmt.Fprintf(w, "| %s | `%s` | %s | %s | %s | %s | %s |\n", md(l.Service), md(l.Purl), md(disp), d(l.DetectedAt), d(l.DueAt), decided, l.Deadline)
		}
	}
	return nil
}
