package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/vuln"
)

func (e *env) findingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List, triage and accept the risk of vulnerability findings",
		Long: `A finding is one advisory affecting one component of one service. It starts
in_triage when detected and ends in a decision: exploitable (then fixed),
not_affected (with a justification), false_positive, or resolved — fixed when
the inventory no longer holds the vulnerable version, or when its advisory is
withdrawn. A risk acceptance hides an open finding until it expires; then the
finding reopens. Every change is kept in the finding's history and the audit
log. See docs/vuln.md.`,
	}
	cmd.AddCommand(e.findingsListCmd(), e.findingsShowCmd(), e.findingsTriageCmd(), e.findingsAcceptCmd(), e.findingsMetricsCmd())
	return cmd
}

func (e *env) findingsListCmd() *cobra.Command {
	var f vuln.FindingFilter
	var team, format string
	var kev bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List findings (open ones by default)",
		Example: `  palisade findings list --service checkout
  palisade findings list --severity critical --overdue --format json
  palisade findings list --advisory CVE-2024-3651 --state all`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if f.State == "all" {
				f.State = ""
			}
			if cmd.Flags().Changed("kev") {
				f.KEV = &kev
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				items, next, err := b.Findings(ctx, f, team)
				if err != nil {
					return err
				}
				t := table{header: []string{"id", "service", "package", "version", "advisory", "severity", "kev", "state", "due"}}
				now := time.Now()
				for _, x := range items {
					due := x.DueAt.Format(time.DateOnly)
					if x.Overdue(now) {
						due += " OVERDUE"
					}
					kevMark := ""
					if x.KEV {
						kevMark = "KEV"
					}
					t.add(x.ID, x.Service, x.Package, x.Version, x.Advisory, x.Severity, kevMark, x.State, due)
				}
				return e.renderPage(format, items, next, "findings", t)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Service, "service", "", "only this service")
	fl.StringVar(&team, "team", "", "only the services of this team")
	fl.StringVar(&f.Advisory, "advisory", "", "only this advisory (id or alias such as a CVE id)")
	fl.StringVar(&f.Package, "package", "", "only this package name")
	fl.StringVar(&f.Severity, "severity", "", "critical, high, medium, low or unknown")
	fl.StringVar(&f.State, "state", "open", "open, all, or a state: in_triage, exploitable, not_affected, false_positive, resolved")
	fl.BoolVar(&kev, "kev", false, "only findings in CISA's KEV catalog (--kev=false: only those not in it)")
	fl.BoolVar(&f.Overdue, "overdue", false, "only open findings past their due date")
	fl.IntVar(&f.Limit, "limit", 100, "findings per page (at most 1000)")
	fl.StringVar(&f.After, "cursor", "", "continue after a previous page")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) findingsShowCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a finding with its history",
		Args:  exactArgs(1, "one finding id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				res, err := b.Finding(ctx, args[0])
				if err != nil {
					return err
				}
				if format == formatJSON {
					return render(e.stdout, format, res, table{})
				}
				f := res.Finding
				t := table{header: []string{"field", "value"}}
				t.add("finding", f.ID)
				t.add("service", f.Service)
				t.add("component", f.Purl)
				t.add("advisory", f.Advisory+" "+strings.Join(f.Aliases, " "))
				t.add("summary", f.Summary)
				t.add("severity", f.Severity)
				t.add("fixed in", strings.Join(f.Fixed, ", "))
				t.add("state", f.State+" "+f.Justification+" "+f.Resolution)
				if a := f.Acceptance; a != nil {
					t.add("accepted", fmt.Sprintf("by %s for %s until %s: %s", a.ApprovedBy, a.RequestedBy, a.ExpiresAt.Format(time.DateOnly), a.Reason))
				}
				t.add("detected", f.DetectedAt.Format(time.RFC3339))
				t.add("due", f.DueAt.Format(time.RFC3339))
				if err := render(e.stdout, format, res, t); err != nil {
					return err
				}
				h := table{header: []string{"at", "actor", "action", "state", "reason"}}
				for _, ev := range res.History {
					h.add(ev.At.Format(time.RFC3339), ev.Actor, ev.Action, strings.Trim(ev.FromState+" → "+ev.ToState, " →"), ev.Reason)
				}
				fmt.Fprintln(e.stdout)
				return render(e.stdout, format, nil, h)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) findingsTriageCmd() *cobra.Command {
	var req httpapi.TriageRequest
	var format string
	cmd := &cobra.Command{
		Use:   "triage [ID...] --state STATE --reason TEXT",
		Short: "Record a decision on findings, by id or across services by advisory",
		Long: `Triage records a decision on findings. Name them by id, or name an advisory
(id or alias) to apply one decision to every open finding of it across services
(narrow with --package and --service): triage once for every project.`,
		Example: `  palisade findings triage F3a9c0e1b2d4f6a7 --state exploitable --reason "reachable from the public API"
  palisade findings triage --advisory CVE-2024-3651 --state not_affected --justification code_not_reachable \
      --reason "idna is only used for internal hostnames"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			req.IDs = args
			if len(args) == 0 && req.Advisory == "" {
				return usagef("name findings by id, or an advisory with --advisory")
			}
			if len(args) > 0 && req.Advisory != "" {
				return usagef("give finding ids or --advisory, not both")
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				out, err := b.Triage(ctx, req)
				if err != nil {
					return err
				}
				t := table{header: []string{"id", "service", "advisory", "state"}}
				for _, f := range out {
					t.add(f.ID, f.Service, f.Advisory, f.State)
				}
				if format != formatJSON {
					fmt.Fprintf(e.stderr, "%d findings now %s.\n", len(out), req.State)
				}
				return render(e.stdout, format, out, t)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.State, "state", "", "in_triage, exploitable, not_affected, false_positive or resolved (required)")
	fl.StringVar(&req.Justification, "justification", "", "for not_affected: "+strings.Join(vuln.Justifications, ", "))
	fl.StringVar(&req.Detail, "detail", "", "details of the analysis")
	fl.StringVar(&req.Reason, "reason", "", "why (required; kept in the history and the audit log)")
	fl.StringVar(&req.Advisory, "advisory", "", "apply to every open finding of this advisory (id or alias)")
	fl.StringVar(&req.Package, "package", "", "with --advisory: only this package")
	fl.StringSliceVar(&req.Services, "service", nil, "with --advisory: only these services (repeatable)")
	fl.BoolVar(&req.IncludeDecided, "include-decided", false, "with --advisory: also change findings already decided")
	cmd.MarkFlagRequired("state")
	cmd.MarkFlagRequired("reason")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) findingsAcceptCmd() *cobra.Command {
	var req httpapi.AcceptBody
	var until, format string
	cmd := &cobra.Command{
		Use:   "accept ID... --reason TEXT --requested-by WHO --until DATE",
		Short: "Accept the risk of findings until a date (you are the approver)",
		Long: `Accept records a conscious decision to live with open findings until a date,
at most a year away. You are the approver; --requested-by names who asked. With
requireDistinctApprover in the remediation policy, you cannot approve your own
request. When the date passes, the findings reopen.`,
		Example: `  palisade findings accept F3a9c0e1b2d4f6a7 --reason "vendor fix due in Q1; WAF rule in place" \
      --requested-by payments-team --until 2027-02-01`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one finding id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			t, err := parseDateFlag("until", until)
			if err != nil {
				return err
			}
			req.IDs, req.ExpiresAt = args, t
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				out, err := b.Accept(ctx, req)
				if err != nil {
					return err
				}
				tb := table{header: []string{"id", "service", "advisory", "accepted until"}}
				for _, f := range out {
					tb.add(f.ID, f.Service, f.Advisory, f.Acceptance.ExpiresAt.Format(time.DateOnly))
				}
				return render(e.stdout, format, out, tb)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Reason, "reason", "", "why the risk is acceptable (required)")
	fl.StringVar(&req.RequestedBy, "requested-by", "", "who asks for the acceptance (required)")
	fl.StringVar(&until, "until", "", "expiry date (YYYY-MM-DD) or RFC 3339 time (required)")
	cmd.MarkFlagRequired("reason")
	cmd.MarkFlagRequired("requested-by")
	cmd.MarkFlagRequired("until")
	addFormatFlag(cmd, &format)
	return cmd
}

// parseDateFlag accepts YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseDateFlag(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usagef("--%s %q: use a date such as 2027-02-01 or an RFC 3339 time", name, v)
	}
	return t, nil
}

func (e *env) findingsMetricsCmd() *cobra.Command {
	var sc vuln.Scope
	var format string
	cmd := &cobra.Command{
		Use:     "metrics",
		Short:   "Show the CVE metrics with their definitions",
		Example: `  palisade findings metrics --team payments-team --format markdown`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				rep, err := b.Metrics(ctx, sc)
				if err != nil {
					return err
				}
				t := table{header: []string{"metric", "value", "better", "trend", "definition"}}
				for _, d := range rep.Definitions {
					t.add(d.Name, metricValue(&rep.Current, d.Key), d.Better, trendArrow(rep.Trend, d), d.Measure)
				}
				return render(e.stdout, format, rep, t)
			})
		},
	}
	cmd.Flags().StringVar(&sc.Service, "service", "", "only this service")
	cmd.Flags().StringVar(&sc.Team, "team", "", "only this team's services")
	addFormatFlag(cmd, &format)
	return cmd
}

// metricValue formats a metric's current value for people.
func metricValue(m *vuln.Metrics, key string) string {
	switch key {
	case "open":
		var parts []string
		for _, s := range vuln.Severities {
			if n := m.OpenBySeverity[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", s, n))
			}
		}
		if len(parts) == 0 {
			return "0"
		}
		return fmt.Sprintf("%d (%s)", m.Open, strings.Join(parts, ", "))
	case "timeToRemediate":
		var parts []string
		for _, s := range vuln.Severities {
			if st, ok := m.TimeToRemediate[s]; ok {
				parts = append(parts, fmt.Sprintf("%s mean %.1fd p90 %.1fd", s, st.Mean, st.P90))
			}
		}
		if len(parts) == 0 {
			return "no resolutions"
		}
		return strings.Join(parts, "; ")
	case "withinDeadline":
		return fmt.Sprintf("%.0f%% (%d of %d)", m.WithinDeadline.Share*100, m.WithinDeadline.Good, m.WithinDeadline.Total)
	case "ageOpen":
		return fmt.Sprintf("p50 %.1fd, p90 %.1fd", m.AgeOpen.P50, m.AgeOpen.P90)
	case "timeToDetect":
		return fmt.Sprintf("mean %.1fd, p90 %.1fd (%d)", m.TimeToDetect.Mean, m.TimeToDetect.P90, m.TimeToDetect.Count)
	case "inventoryCoverage":
		return fmt.Sprintf("%.0f%% (%d of %d services)", m.InventoryCoverage.Share*100, m.InventoryCoverage.Good, m.InventoryCoverage.Total)
	}
	return fmt.Sprintf("%g", m.Headline(key))
}

// trendArrow compares the last snapshot with the one a week before it.
func trendArrow(trend []vuln.Metrics, d vuln.Definition) string {
	if len(trend) < 2 {
		return "no trend yet"
	}
	last := trend[len(trend)-1]
	prev := trend[max(0, len(trend)-8)]
	a, b := prev.Headline(d.Key), last.Headline(d.Key)
	switch {
	case b == a:
		return "→ steady"
	case (b < a) == (d.Better == "down"):
		return "↗ better"
	}
	return "↘ worse"
}
