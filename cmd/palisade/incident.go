package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/incident"
)

// incidentBackend is the incident part of backend.
type incidentBackend interface {
	Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, string, error)
	Incident(ctx context.Context, id string) (*httpapi.IncidentDetail, error)
	OpenIncident(ctx context.Context, req incident.OpenRequest) (*incident.Incident, error)
	UpdateIncident(ctx context.Context, id string, p incident.Patch) (*incident.Incident, error)
	Note(ctx context.Context, id, text string) (*incident.Entry, error)
	MergeIncident(ctx context.Context, id, into string) (*incident.Incident, error)
	IncidentMetrics(ctx context.Context, from, to time.Time) (*incident.Metrics, error)
}

func (l *local) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, string, error) {
	return l.incident.List(ctx, f)
}

func (l *local) Incident(ctx context.Context, id string) (*httpapi.IncidentDetail, error) {
	return l.incident.Detail(ctx, id)
}

func (l *local) OpenIncident(ctx context.Context, req incident.OpenRequest) (*incident.Incident, error) {
	return l.incident.Open(ctx, req)
}

func (l *local) UpdateIncident(ctx context.Context, id string, p incident.Patch) (*incident.Incident, error) {
	return l.incident.Update(ctx, id, p)
}

func (l *local) Note(ctx context.Context, id, text string) (*incident.Entry, error) {
	return l.incident.Note(ctx, id, text)
}

func (l *local) MergeIncident(ctx context.Context, id, into string) (*incident.Incident, error) {
	return l.incident.Merge(ctx, id, into)
}

func (l *local) IncidentMetrics(ctx context.Context, from, to time.Time) (*incident.Metrics, error) {
	return l.incident.Metrics(ctx, from, to)
}

func (r remote) Incidents(ctx context.Context, f incident.Filter) ([]incident.Incident, string, error) {
	return r.c.Incidents(ctx, f)
}

func (r remote) Incident(ctx context.Context, id string) (*httpapi.IncidentDetail, error) {
	return r.c.Incident(ctx, id)
}

func (r remote) OpenIncident(ctx context.Context, req incident.OpenRequest) (*incident.Incident, error) {
	return r.c.OpenIncident(ctx, req)
}

func (r remote) UpdateIncident(ctx context.Context, id string, p incident.Patch) (*incident.Incident, error) {
	return r.c.UpdateIncident(ctx, id, p)
}

func (r remote) Note(ctx context.Context, id, text string) (*incident.Entry, error) {
	return r.c.Note(ctx, id, text)
}

func (r remote) MergeIncident(ctx context.Context, id, into string) (*incident.Incident, error) {
	return r.c.MergeIncident(ctx, id, into)
}

func (r remote) IncidentMetrics(ctx context.Context, from, to time.Time) (*incident.Metrics, error) {
	return r.c.IncidentMetrics(ctx, from, to)
}

func (e *env) incidentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "incident",
		Aliases: []string{"incidents", "inc"},
		Short:   "Incidents: open, update, take notes, list, show, merge, metrics",
		Long: `An incident is opened by a person (incident open) or by an alert that a routing
rule in palisade.yaml sends to one. It moves triage → active → mitigated →
resolved → closed (or declined, or merged into another), with a timestamp for
every transition and a timeline of alerts, changes and notes. Security
incidents can be restricted to their participants and admins. See
docs/incidents.md.`,
	}
	cmd.AddCommand(e.incidentOpenCmd(), e.incidentUpdateCmd(), e.incidentNoteCmd(), e.incidentListCmd(), e.incidentShowCmd(),
		e.incidentMergeCmd(), e.incidentMetricsCmd())
	return cmd
}

// parseLinks reads KIND:REF links (service:checkout, url:https://...).
func parseLinks(flag string, in []string) ([]incident.Link, error) {
	var out []incident.Link
	for _, s := range in {
		kind, ref, ok := strings.Cut(s, ":")
		if !ok || ref == "" {
			return nil, usagef("--%s %q: write KIND:REF, KIND one of %s", flag, s, strings.Join(incident.LinkKinds, ", "))
		}
		out = append(out, incident.Link{Kind: kind, Ref: ref})
	}
	return out, nil
}

func incidentRow(t *table, i incident.Incident) {
	t.add(i.ID, i.Severity, i.Status, i.Kind, strings.Join(i.Services, ","), i.Roles["commander"], i.OpenedAt.Format("2006-01-02 15:04"), i.Title)
}

func incidentTable(list []incident.Incident) table {
	t := table{header: []string{"id", "severity", "status", "kind", "services", "commander", "opened", "title"}}
	for _, i := range list {
		incidentRow(&t, i)
	}
	return t
}

func (e *env) incidentOpenCmd() *cobra.Command {
	var req incident.OpenRequest
	var links []string
	var format, started string
	cmd := &cobra.Command{
		Use:   "open --title TITLE",
		Short: "Declare an incident",
		Example: `  palisade incident open --title "Leaked API key in a public repo" --kind security \
      --severity SEV1 --service payments-api --commander ana --restricted`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var err error
			if req.Links, err = parseLinks("link", links); err != nil {
				return err
			}
			if started != "" {
				t, err := parseDateFlag("impact-started", started)
				if err != nil {
					return err
				}
				req.ImpactStartedAt = &t
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				inc, err := b.OpenIncident(ctx, req)
				if err != nil {
					return err
				}
				return render(e.stdout, format, inc, incidentTable([]incident.Incident{*inc}))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&req.Title, "title", "", "what is happening, in one line (required)")
	fl.StringVar(&req.Kind, "kind", "", "security or reliability (default security)")
	fl.StringVar(&req.Severity, "severity", "", "severity name from palisade.yaml (default SEV2)")
	fl.StringVar(&req.Summary, "summary", "", "what is known so far")
	fl.StringVar(&req.Team, "team", "", "team that owns the response")
	fl.StringSliceVar(&req.Services, "service", nil, "affected service (repeatable)")
	fl.BoolVar(&req.Restricted, "restricted", false, "only participants and admins may see it (security incidents)")
	fl.StringVar(&req.Commander, "commander", "", "who leads the response")
	fl.StringSliceVar(&links, "link", nil, "KIND:REF link, e.g. finding:ID, slo:NAME, vendor:NAME, url:https://... (repeatable)")
	fl.StringSliceVar(&req.Notify, "notify", nil, "notifier to tell of changes (repeatable)")
	fl.StringVar(&started, "impact-started", "", "when the problem began (RFC 3339 or YYYY-MM-DD), for time to detect")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) incidentUpdateCmd() *cobra.Command {
	var title, summary, severity, status, kind, team, note, format string
	var restricted bool
	var roles, addP, rmP, addS, rmS, addL, rmL []string
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change an incident's status, severity, roles, participants, services or links",
		Long: `Only the flags given change. A status change that makes no sense (closing an
incident still in triage, reopening a merged one) is refused with the reason.
Roles are commander, deputy, scribe and communications; --role commander=
clears one.`,
		Example: `  palisade incident update INC-7 --status active --role commander=ana --role scribe=li
  palisade incident update INC-7 --status mitigated --note "Rolled back 4.2.1"`,
		Args: exactArgs(1, "one incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var p incident.Patch
			fl := cmd.Flags()
			for name, dst := range map[string]**string{"title": &p.Title, "summary": &p.Summary, "severity": &p.Severity, "status": &p.Status, "kind": &p.Kind, "team": &p.Team} {
				if fl.Changed(name) {
					v, _ := fl.GetString(name)
					*dst = &v
				}
			}
			if fl.Changed("restricted") {
				p.Restricted = &restricted
			}
			if len(roles) > 0 {
				p.Roles = map[string]string{}
				for _, r := range roles {
					k, v, ok := strings.Cut(r, "=")
					if !ok {
						return usagef("--role %q: write ROLE=PERSON (ROLE= clears it)", r)
					}
					p.Roles[k] = v
				}
			}
			p.AddParticipants, p.RemoveParticipants, p.AddServices, p.RemoveServices, p.Note = addP, rmP, addS, rmS, note
			var err error
			if p.AddLinks, err = parseLinks("link", addL); err != nil {
				return err
			}
			if p.RemoveLinks, err = parseLinks("unlink", rmL); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				inc, err := b.UpdateIncident(ctx, args[0], p)
				if err != nil {
					return err
				}
				return render(e.stdout, format, inc, incidentTable([]incident.Incident{*inc}))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&title, "title", "", "new title")
	fl.StringVar(&summary, "summary", "", "new summary")
	fl.StringVar(&severity, "severity", "", "new severity")
	fl.StringVar(&status, "status", "", "triage, active, mitigated, resolved, closed or declined")
	fl.StringVar(&kind, "kind", "", "security or reliability")
	fl.StringVar(&team, "team", "", "owning team")
	fl.BoolVar(&restricted, "restricted", false, "restrict to participants and admins (--restricted=false lifts it)")
	fl.StringArrayVar(&roles, "role", nil, "ROLE=PERSON (repeatable)")
	fl.StringSliceVar(&addP, "add-participant", nil, "add a participant (repeatable)")
	fl.StringSliceVar(&rmP, "remove-participant", nil, "remove a participant (repeatable)")
	fl.StringSliceVar(&addS, "add-service", nil, "add an affected service (repeatable)")
	fl.StringSliceVar(&rmS, "remove-service", nil, "remove a service (repeatable)")
	fl.StringArrayVar(&addL, "link", nil, "add a KIND:REF link (repeatable)")
	fl.StringArrayVar(&rmL, "unlink", nil, "remove a KIND:REF link (repeatable)")
	fl.StringVar(&note, "note", "", "note written to the timeline with the change")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) incidentNoteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "note ID TEXT...",
		Short:   "Add a note to an incident's timeline",
		Example: `  palisade incident note INC-7 "WAF rule deployed; error rate back to normal"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("%s takes an incident id and the note's text", cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				entry, err := b.Note(ctx, args[0], strings.Join(args[1:], " "))
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "noted on %s at %s\n", args[0], entry.At.Format(time.RFC3339))
				return nil
			})
		},
	}
}

func (e *env) incidentListCmd() *cobra.Command {
	var f incident.Filter
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents, newest first",
		Example: `  palisade incident list --status open
  palisade incident list --kind security --service checkout --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				list, next, err := b.Incidents(ctx, f)
				if err != nil {
					return err
				}
				return e.renderPage(format, list, next, "incidents", incidentTable(list))
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Status, "status", "", "a status, or open for every incident that needs work")
	fl.StringVar(&f.Severity, "severity", "", "only this severity")
	fl.StringVar(&f.Kind, "kind", "", "security or reliability")
	fl.StringVar(&f.Service, "service", "", "only incidents affecting this service")
	fl.StringVar(&f.Team, "team", "", "only this team's incidents")
	fl.StringVar(&f.Query, "query", "", "words in the title")
	fl.StringVar(&f.Before, "cursor", "", "continue a listing")
	fl.IntVar(&f.Limit, "limit", 50, "at most this many")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) incidentShowCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident with its roles, alerts and timeline",
		Args:  exactArgs(1, "one incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				d, err := b.Incident(ctx, args[0])
				if err != nil {
					return err
				}
				if format == formatJSON {
					return render(e.stdout, format, d, table{})
				}
				i := d.Incident
				head := table{header: []string{"field", "value"}}
				head.add("incident", i.ID+" "+i.Title)
				head.add("status", i.Status)
				head.add("severity", i.Severity+" ("+i.Kind+")")
				if i.Restricted {
					head.add("restricted", "participants and admins only")
				}
				head.add("services", strings.Join(i.Services, ", "))
				for _, role := range incident.Roles {
					if who := i.Roles[role]; who != "" {
						head.add(role, who)
					}
				}
				head.add("participants", strings.Join(i.Participants, ", "))
				for _, l := range i.Links {
					head.add("link", l.Kind+":"+l.Ref)
				}
				head.add("opened", i.OpenedAt.Format(time.RFC3339))
				for _, st := range []struct {
					name string
					at   *time.Time
				}{{"acknowledged", i.AcknowledgedAt}, {"mitigated", i.MitigatedAt}, {"resolved", i.ResolvedAt}, {"closed", i.ClosedAt}} {
					if st.at != nil {
						head.add(st.name, st.at.Format(time.RFC3339))
					}
				}
				if i.MergedInto != "" {
					head.add("merged into", i.MergedInto)
				}
				head.add("alerts", fmt.Sprint(len(d.AlertList)))
				if err := render(e.stdout, format, d, head); err != nil {
					return err
				}
				tl := table{header: []string{"at", "kind", "actor", "text"}}
				for _, en := range d.Timeline {
					tl.add(en.At.Format("2006-01-02 15:04:05"), en.Kind, en.Actor, en.Text)
				}
				fmt.Fprintln(e.stdout)
				return render(e.stdout, format, d, tl)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) incidentMergeCmd() *cobra.Command {
	var into, format string
	cmd := &cobra.Command{
		Use:     "merge ID --into OTHER",
		Short:   "Merge a duplicate incident into another; its alerts and timeline move",
		Example: `  palisade incident merge INC-9 --into INC-7`,
		Args:    exactArgs(1, "one incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if into == "" {
				return usagef("--into names the incident that stays")
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				inc, err := b.MergeIncident(ctx, args[0], into)
				if err != nil {
					return err
				}
				return render(e.stdout, format, inc, incidentTable([]incident.Incident{*inc}))
			})
		},
	}
	cmd.Flags().StringVar(&into, "into", "", "the incident that stays")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) incidentMetricsCmd() *cobra.Command {
	var from, to, format string
	cmd := &cobra.Command{
		Use:   "metrics",
		Short: "Time to detect, acknowledge, mitigate and resolve (mean, p90) and counts",
		Long: `Time to detect is from when the impact started (the first alert's start, or
--impact-started) to when the incident opened; to acknowledge, mitigate and
resolve are from the opening to the first move out of triage, to mitigated and
to resolved. See docs/incidents.md for the exact definitions.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			end := time.Now().UTC()
			if to != "" {
				t, err := parseDateFlag("to", to)
				if err != nil {
					return err
				}
				end = t
			}
			start := end.AddDate(0, 0, -90)
			if from != "" {
				t, err := parseDateFlag("from", from)
				if err != nil {
					return err
				}
				start = t
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				m, err := b.IncidentMetrics(ctx, start, end)
				if err != nil {
					return err
				}
				return render(e.stdout, format, m, metricsTable(m))
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "start (YYYY-MM-DD or RFC 3339; default 90 days before --to)")
	cmd.Flags().StringVar(&to, "to", "", "end (default now)")
	addFormatFlag(cmd, &format)
	return cmd
}

// metricsTable shows the figures people read first; --format json has
// them all.
func metricsTable(m *incident.Metrics) table {
	t := table{header: []string{"measure", "incidents", "mean", "p90"}}
	mins := func(x float64) string { return (time.Duration(x * float64(time.Minute))).Round(time.Minute).String() }
	for _, row := range []struct {
		name string
		s    incident.Stat
	}{{"time to detect", m.TimeToDetect}, {"time to acknowledge", m.TimeToAcknowledge}, {"time to mitigate", m.TimeToMitigate}, {"time to resolve", m.TimeToResolve}} {
		if row.s.Count == 0 {
			t.add(row.name, "0", "-", "-")
			continue
		}
		t.add(row.name, fmt.Sprint(row.s.Count), mins(row.s.Mean), mins(row.s.P90))
	}
	t.add("opened", fmt.Sprint(m.Incidents), "", "")
	t.add("open now", fmt.Sprint(m.Open), "", "")
	for _, sev := range sortedKeys(m.BySeverity) {
		t.add("severity "+sev, fmt.Sprint(m.BySeverity[sev]), "", "")
	}
	for _, k := range sortedKeys(m.ByKind) {
		t.add("kind "+k, fmt.Sprint(m.ByKind[k]), "", "")
	}
	return t
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
