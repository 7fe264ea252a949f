package gate

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Markdown renders d as a pull-request comment: the outcome as a plain word
// (PASS, WARN, FAIL), the service and change, every reason, the introduced
// findings, the number removed and the SLO budgets. The output depends only
// on d, so a bot can compare it with its previous comment. A hidden
// <!-- palisade-gate:SERVICE --> marker lets a bot find that comment.
//
// Text from outside (ids, purls, versions, rule messages) is escaped so it
// cannot break the tables or inject markup into the comment.
func (d *Decision) Markdown() string {
	e := envFromVariables(d.Variables)
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- palisade-gate:%s -->\n", markerName(e.Service))
	fmt.Fprintf(&b, "## %s: Palisade change gate for %s", strings.ToUpper(outcomeWord(d.Outcome)), mdEscape(e.Service))
	if e.Change != "" {
		fmt.Fprintf(&b, ", change %s", mdEscape(e.Change))
	}
	fmt.Fprintf(&b, "\n\nPolicy: %s\n\n", mdEscape(d.Policy))

	b.WriteString("### Reasons\n\n")
	if len(d.Reasons) == 0 {
		b.WriteString("No rule gave a reason.\n\n")
	} else {
		b.WriteString("| Outcome | Rule | Reason |\n| --- | --- | --- |\n")
		for _, r := range d.Reasons {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", strings.ToUpper(outcomeWord(r.Outcome)), mdEscape(r.Rule), mdEscape(r.Message))
		}
		b.WriteString("\n")
	}

	all := append(append([]*Finding{}, e.Introduced...), e.Suppressed...)
	sortFindings(all)
	fmt.Fprintf(&b, "### Introduced findings (%d open, %d not counted)\n\n", len(e.Introduced), len(e.Suppressed))
	if len(all) == 0 {
		b.WriteString("The change adds no finding.\n\n")
	} else {
		b.WriteString("| Severity | ID | Aliases | Package | Fixed in | State |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, f := range all {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(f.Severity), mdCode(f.ID), mdCodes(f.Aliases),
				mdCode(f.Purl), mdCodes(f.Fixed), mdEscape(stateWord(f.State)))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Removed findings: %d\n\n", len(e.Removed))

	b.WriteString("### Security SLO budgets\n\n")
	if len(e.SLOs) == 0 {
		b.WriteString("The service has no security SLOs.\n")
	} else {
		b.WriteString("| SLO | Status | SLI | Objective | Budget left |\n| --- | --- | --- | --- | --- |\n")
		for _, s := range e.SLOs {
			sli, left := sloFigures(s)
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(s.Name), mdEscape(s.Status), sli, objective(s.Objective), left)
		}
	}
	if e.OpenIncidents > 0 {
		fmt.Fprintf(&b, "\nOpen security incidents: %d\n", e.OpenIncidents)
	}
	return b.String()
}

// Text renders d for a terminal: the same content as Markdown in aligned
// columns. Control characters from outside text are replaced so that an
// SBOM cannot send escape sequences to the terminal.
func (d *Decision) Text() string {
	e := envFromVariables(d.Variables)
	var b strings.Builder
	fmt.Fprintf(&b, "%s  change gate for %s", strings.ToUpper(outcomeWord(d.Outcome)), clean(e.Service))
	if e.Change != "" {
		fmt.Fprintf(&b, ", change %s", clean(e.Change))
	}
	fmt.Fprintf(&b, " (policy %s)\n", clean(d.Policy))

	b.WriteString("\nReasons:\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, r := range d.Reasons {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", strings.ToUpper(outcomeWord(r.Outcome)), clean(r.Rule), clean(r.Message))
	}
	tw.Flush()

	all := append(append([]*Finding{}, e.Introduced...), e.Suppressed...)
	sortFindings(all)
	fmt.Fprintf(&b, "\nIntroduced findings: %d open, %d not counted\n", len(e.Introduced), len(e.Suppressed))
	if len(all) > 0 {
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  SEVERITY\tID\tALIASES\tPACKAGE\tFIXED IN\tSTATE\n")
		for _, f := range all {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", clean(f.Severity), clean(f.ID), clean(orDash(strings.Join(f.Aliases, ", "))),
				clean(f.Purl), clean(orDash(strings.Join(f.Fixed, ", "))), clean(stateWord(f.State)))
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "Removed findings: %d\n", len(e.Removed))

	if len(e.SLOs) == 0 {
		b.WriteString("\nSecurity SLOs: none\n")
	} else {
		b.WriteString("\nSecurity SLOs:\n")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  SLO\tSTATUS\tSLI\tOBJECTIVE\tBUDGET LEFT\n")
		for _, s := range e.SLOs {
			sli, left := sloFigures(s)
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", clean(s.Name), clean(s.Status), sli, objective(s.Objective), left)
		}
		tw.Flush()
	}
	if e.OpenIncidents > 0 {
		fmt.Fprintf(&b, "\nOpen security incidents: %d\n", e.OpenIncidents)
	}
	return b.String()
}

// outcomeWord keeps a headline honest about a value it does not know.
func outcomeWord(o string) string {
	if validOutcome(o) {
		return o
	}
	return "unknown"
}

func stateWord(state string) string {
	if open(state) {
		return "open"
	}
	return state
}

func sloFigures(s *SLO) (sli, left string) {
	if !s.HasData {
		return "-", "-"
	}
	return fmt.Sprintf("%.3f%%", s.SLI*100), percent(s.BudgetRemaining)
}

func objective(o float64) string { return fmt.Sprintf("%.3f%%", o*100) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdEscape makes s one table cell of literal text: every character
// Markdown or HTML would read as syntax is escaped, and line breaks become
// spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range clean(s) {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '~', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes s a code span for a table cell: identifiers (purls, ids,
// versions) read as written, and GitHub links no @-mention inside code.
func mdCode(s string) string {
	if s == "" {
		return "-"
	}
	s = strings.ReplaceAll(clean(s), "`", "'")
	return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
}

func mdCodes(list []string) string {
	if len(list) == 0 {
		return "-"
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = mdCode(s)
	}
	return strings.Join(out, ", ")
}

// clean replaces control characters (escape sequences, line breaks) with
// spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// markerName keeps a service name safe inside an HTML comment.
func markerName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_':
			return r
		}
		return '-'
	}, s)
}
