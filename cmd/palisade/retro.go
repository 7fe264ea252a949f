package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/retro"
)

// retroBackend is the retrospective part of backend.
type retroBackend interface {
	OpenRetro(ctx context.Context, incidentID string, req retro.OpenRequest) (*retro.Retrospective, error)
	Retros(ctx context.Context, q retro.Query) ([]retro.Hit, string, error)
	Retro(ctx context.Context, id string) (*retro.Retrospective, error)
	UpdateRetro(ctx context.Context, id string, p retro.Patch) (*retro.Retrospective, error)
	TransitionRetro(ctx context.Context, id, state, reason string) (*retro.Retrospective, error)
	AddActionItem(ctx context.Context, id string, in retro.ItemInput) (*retro.ActionItem, error)
	UpdateActionItem(ctx context.Context, id, item string, p retro.ItemPatch) (*retro.ActionItem, error)
	ActionItems(ctx context.Context, f retro.ItemFilter) ([]retro.ItemRef, string, error)
	ExportRetro(ctx context.Context, id, format string) ([]byte, error)
}

func (l *local) OpenRetro(ctx context.Context, incidentID string, req retro.OpenRequest) (*retro.Retrospective, error) {
	return l.retro.Open(ctx, incidentID, req)
}

func (l *local) Retros(ctx context.Context, q retro.Query) ([]retro.Hit, string, error) {
	return l.retro.Search(ctx, q)
}

func (l *local) Retro(ctx context.Context, id string) (*retro.Retrospective, error) {
	return l.retro.Get(ctx, id)
}

func (l *local) UpdateRetro(ctx context.Context, id string, p retro.Patch) (*retro.Retrospective, error) {
	return l.retro.Update(ctx, id, p)
}

func (l *local) TransitionRetro(ctx context.Context, id, state, reason string) (*retro.Retrospective, error) {
	return l.retro.Transition(ctx, id, state, reason)
}

func (l *local) AddActionItem(ctx context.Context, id string, in retro.ItemInput) (*retro.ActionItem, error) {
	return l.retro.AddActionItem(ctx, id, in)
}

func (l *local) UpdateActionItem(ctx context.Context, id, item string, p retro.ItemPatch) (*retro.ActionItem, error) {
	return l.retro.UpdateActionItem(ctx, id, item, p)
}

func (l *local) ActionItems(ctx context.Context, f retro.ItemFilter) ([]retro.ItemRef, string, error) {
	return l.retro.ActionItems(ctx, f)
}

func (l *local) ExportRetro(ctx context.Context, id, format string) ([]byte, error) {
	ex, err := l.retro.Export(ctx, id, format)
	if err != nil {
		return nil, err
	}
	return ex.Body, nil
}

func (r remote) OpenRetro(ctx context.Context, incidentID string, req retro.OpenRequest) (*retro.Retrospective, error) {
	return r.c.OpenRetrospective(ctx, incidentID, req)
}

func (r remote) Retros(ctx context.Context, q retro.Query) ([]retro.Hit, string, error) {
	return r.c.Retrospectives(ctx, q)
}

func (r remote) Retro(ctx context.Context, id string) (*retro.Retrospective, error) {
	return r.c.Retrospective(ctx, id)
}

func (r remote) UpdateRetro(ctx context.Context, id string, p retro.Patch) (*retro.Retrospective, error) {
	return r.c.UpdateRetrospective(ctx, id, p)
}

func (r remote) TransitionRetro(ctx context.Context, id, state, reason string) (*retro.Retrospective, error) {
	return r.c.TransitionRetrospective(ctx, id, state, reason)
}

func (r remote) AddActionItem(ctx context.Context, id string, in retro.ItemInput) (*retro.ActionItem, error) {
	return r.c.AddActionItem(ctx, id, in)
}

func (r remote) UpdateActionItem(ctx context.Context, id, item string, p retro.ItemPatch) (*retro.ActionItem, error) {
	return r.c.UpdateActionItem(ctx, id, item, p)
}

func (r remote) ActionItems(ctx context.Context, f retro.ItemFilter) ([]retro.ItemRef, string, error) {
	return r.c.ActionItems(ctx, f)
}

func (r remote) ExportRetro(ctx context.Context, id, format string) ([]byte, error) {
	return r.c.ExportRetrospective(ctx, id, format)
}

func (e *env) retroCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "retro",
		Aliases: []string{"retros", "retrospective"},
		Short:   "Blameless retrospectives: open, edit, review, publish, search, action items, export",
		Long: `A retrospective is the blameless review of one incident: what happened, why the
system allowed it, and what will change — the action items, each with an owner
and a due date. It starts as a draft filled with what the incident knows
(timeline, impact, detection), goes to review, and is published into a
searchable library:

  draft ──▶ in_review ──▶ published
    ▲           │              │
    └───────────┘              │ reopen (with a reason)
                ▲──────────────┘

Publishing needs every section not marked optional written, and at least one
action item or a note saying why none is needed. A published retrospective is
read-only until it is reopened; action items change in every state, because
the work they track goes on. See docs/retrospectives.md.`,
		Example: `  id=$(palisade retro open INC-7)
  palisade retro edit $id --section summary --file summary.md
  palisade retro action add $id --title "Mask v2 tokens in build logs" --owner platform --due 2026-06-01
  palisade retro state $id in_review
  palisade retro state $id published
  palisade retro list --query '"build log" -canary' --state published`,
	}
	action := &cobra.Command{
		Use:   "action",
		Short: "Add or change an action item of a retrospective (list them with 'retro actions')",
	}
	action.AddCommand(e.retroActionAddCmd(), e.retroActionUpdateCmd())
	cmd.AddCommand(e.retroOpenCmd(), e.retroListCmd(), e.retroShowCmd(), e.retroEditCmd(), e.retroStateCmd(),
		action, e.retroActionsCmd(), e.retroExportCmd())
	return cmd
}

func (e *env) retroOpenCmd() *cobra.Command {
	var req retro.OpenRequest
	cmd := &cobra.Command{
		Use:   "open INCIDENT",
		Short: "Start the retrospective of an incident; prints its id",
		Long: `Starts a draft from a template (the default one of palisade.yaml, or the
built-in "blameless") with the incident's title, severity and services, and
its timeline, impact and detection sections filled from the incident.

An incident has one retrospective: starting a second is refused with the id
of the first, unless --force (a separate review of one aspect, say).`,
		Example: `  palisade retro open INC-7
  palisade retro open INC-7 --template security
  id=$(palisade retro open INC-7) && palisade retro show $id`,
		Args: exactArgs(1, "one incident id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				r, err := b.OpenRetro(ctx, args[0], req)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, r.ID)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&req.Template, "template", "", "template from palisade.yaml (default: the configured default)")
	cmd.Flags().BoolVar(&req.Force, "force", false, "start another retrospective of an incident that has one")
	return cmd
}

// snippetText joins a search snippet; in Markdown the matches are bold.
func snippetText(frags []retro.Fragment, format string) string {
	var b strings.Builder
	for _, f := range frags {
		if f.Match && format == formatMarkdown {
			b.WriteString("**" + f.Text + "**")
			continue
		}
		b.WriteString(f.Text)
	}
	return b.String()
}

func dateOf(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func (e *env) retroListCmd() *cobra.Command {
	var q retro.Query
	var from, to, format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Search the retrospective library",
		Long: `Without --query, lists the retrospectives newest first. With it, searches
titles, section text, action items, tags, services, the incident id and the
severity, best match first, each with a snippet around the matches:

  token leak             both words, anywhere
  "build log"            the phrase
  cred*                  words starting with cred
  token OR secret        either word
  -canary                excludes (a query needs a word to search for)
  CVE-2024-3094          identifiers are searched as a phrase
  service:ci tag:pci     filters, the same as --service, --tag, --severity,
                         --state, and incident:INC-12

Words are stemmed (uploading finds uploads); common words such as "the" are
ignored outside phrases. --from and --to bound the creation time (--from
inclusive, --to exclusive).`,
		Example: `  palisade retro list --state published
  palisade retro list --query '"build log" -canary' --service ci
  palisade retro list --query 'cred* tag:supply-chain' --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			for _, d := range []struct {
				name, v string
				dst     *time.Time
			}{{"from", from, &q.From}, {"to", to, &q.To}} {
				if d.v == "" {
					continue
				}
				t, err := parseDateFlag(d.name, d.v)
				if err != nil {
					return err
				}
				*d.dst = t
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				hits, next, err := b.Retros(ctx, q)
				if err != nil {
					return err
				}
				t := table{header: []string{"id", "state", "severity", "incident", "title", "published", "snippet"}}
				for _, h := range hits {
					t.add(h.ID, h.State, h.Severity, h.IncidentID, h.Title, dateOf(h.PublishedAt), snippetText(h.Snippet, format))
				}
				return e.renderPage(format, hits, next, "retrospectives", t)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.Text, "query", "", "search text (see above)")
	fl.StringVar(&q.Incident, "incident", "", "only the retrospectives of this incident")
	fl.StringVar(&q.Service, "service", "", "only retrospectives about this service")
	fl.StringVar(&q.Tag, "tag", "", "only retrospectives with this tag")
	fl.StringVar(&q.Severity, "severity", "", "only this severity")
	fl.StringVar(&q.State, "state", "", "draft, in_review or published")
	fl.StringVar(&from, "from", "", "created at or after (YYYY-MM-DD or RFC 3339)")
	fl.StringVar(&to, "to", "", "created before (YYYY-MM-DD or RFC 3339)")
	fl.IntVar(&q.Limit, "limit", 0, "at most this many (default 20, at most 100)")
	fl.StringVar(&q.Cursor, "cursor", "", "continue a listing")
	addFormatFlag(cmd, &format)
	return cmd
}

// overdue reports whether an action item is still to do and past its due
// date.
func overdue(a retro.ActionItem, now time.Time) bool {
	return !a.Closed() && a.DueAt != nil && a.DueAt.Before(now)
}

func itemStatus(a retro.ActionItem, now time.Time) string {
	if overdue(a, now) {
		return a.Status + " (overdue)"
	}
	return a.Status
}

func itemTable(items []retro.ActionItem) table {
	now := time.Now()
	t := table{header: []string{"item", "status", "owner", "due", "title", "tracker"}}
	for _, a := range items {
		t.add(a.ID, itemStatus(a, now), a.Owner, dateOf(a.DueAt), a.Title, a.TrackerURL)
	}
	return t
}

func (e *env) retroShowCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a retrospective: its facts, its sections as written and its action items",
		Long: `Shows the facts (incident, state, severity, services, tags, authors, dates),
then every section under a heading with its key — the key is what 'retro edit
--section' takes — as the Markdown its authors wrote, with the prompt of the
sections still empty, then the action items. --format json prints the whole
document as the API returns it; 'retro export' writes it for readers.`,
		Example: `  palisade retro show RETRO-3
  palisade retro show RETRO-3 --format json | jq '.sections[] | select(.body == "") | .key'`,
		Args: exactArgs(1, "one retrospective id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				r, err := b.Retro(ctx, args[0])
				if err != nil {
					return err
				}
				if format == formatJSON {
					return render(e.stdout, format, r, table{})
				}
				return e.showRetro(format, r)
			})
		},
	}
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) showRetro(format string, r *retro.Retrospective) error {
	head := table{header: []string{"field", "value"}}
	head.add("retrospective", r.ID+" "+r.Title)
	head.add("incident", r.IncidentID)
	head.add("state", r.State)
	head.add("severity", r.Severity)
	head.add("services", strings.Join(r.Services, ", "))
	head.add("tags", strings.Join(r.Tags, ", "))
	head.add("authors", strings.Join(r.Authors, ", "))
	head.add("template", r.Template)
	head.add("created", r.CreatedAt.UTC().Format(time.RFC3339))
	head.add("updated", r.UpdatedAt.UTC().Format(time.RFC3339))
	if r.PublishedAt != nil {
		head.add("published", r.PublishedAt.UTC().Format(time.RFC3339))
	}
	if err := render(e.stdout, format, r, head); err != nil {
		return err
	}
	w := e.stdout
	for _, s := range r.Sections {
		body := strings.Trim(s.Body, "\n")
		if s.Key == "action_items" && strings.TrimSpace(body) == "" {
			continue // its content is the action items, below
		}
		key := s.Key
		if s.Optional {
			key += ", optional"
		}
		fmt.Fprintf(w, "\n## %s (%s)\n\n", s.Title, key)
		if strings.TrimSpace(body) == "" {
			fmt.Fprintln(w, "(empty)")
			if s.Prompt != "" {
				fmt.Fprintln(w, "> "+oneLine(s.Prompt))
			}
			continue
		}
		fmt.Fprintln(w, body)
	}
	fmt.Fprintf(w, "\n## Action items\n\n")
	if r.NoActionItems != "" {
		fmt.Fprintln(w, "No action items: "+r.NoActionItems)
		if len(r.ActionItems) == 0 {
			return nil
		}
		fmt.Fprintln(w)
	}
	if len(r.ActionItems) == 0 {
		fmt.Fprintln(w, "(none yet)")
		return nil
	}
	return render(w, format, r, itemTable(r.ActionItems))
}

// readBody reads a section body from a file or stdin ("-"), up to the
// limit of a section.
func (e *env) readBody(name string) (string, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, retro.MaxBody+1))
	if err != nil {
		return "", err
	}
	if len(data) > retro.MaxBody {
		return "", palisade.Errorf(palisade.ETOOLARGE, "%s: a section body is at most %d bytes (64 KiB)", displayName(name), retro.MaxBody)
	}
	return string(data), nil
}

func (e *env) retroEditCmd() *cobra.Command {
	var section, file string
	var tags, services, authors []string
	cmd := &cobra.Command{
		Use:   "edit ID [--section KEY --file FILE|-] [--title T] [--tag T]...",
		Short: "Write a section or change the title, severity, tags, services, authors or the no-action-items note",
		Long: `Only what the flags name changes. --section KEY --file FILE writes the body of
one section (Markdown) from a file, or from standard input with --file -;
'retro show' lists the keys. --tag, --service and --author replace the whole
list: repeat them for several, or give one empty value (--tag "") to clear it.

--no-action-items says why the review needs no action items, which lets it be
published without any; --no-action-items "" removes the note.

The text changes in draft and in review; a published retrospective is
read-only until it is reopened ('retro state ID in_review --reason ...').`,
		Example: `  palisade retro edit RETRO-3 --section summary --file summary.md
  $EDITOR response.md && palisade retro edit RETRO-3 --section response --file response.md
  echo "Nothing in our systems allowed this; the vendor fixed it." | palisade retro edit RETRO-3 --section contributing_factors --file -
  palisade retro edit RETRO-3 --title "CI token leak" --tag credentials --tag supply-chain --author lea --author sam`,
		Args: exactArgs(1, "one retrospective id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p retro.Patch
			fl := cmd.Flags()
			switch {
			case section != "" && file == "":
				return usagef("--section %s needs --file FILE (or --file - to read standard input)", section)
			case section == "" && file != "":
				return usagef("--file needs --section KEY: the section to write ('retro show %s' lists the keys)", args[0])
			case section != "":
				body, err := e.readBody(file)
				if err != nil {
					return err
				}
				p.Sections = map[string]string{section: body}
			}
			for name, dst := range map[string]**string{"title": &p.Title, "severity": &p.Severity, "no-action-items": &p.NoActionItems} {
				if fl.Changed(name) {
					v, _ := fl.GetString(name)
					*dst = &v
				}
			}
			for _, l := range []struct {
				name string
				v    []string
				dst  **[]string
			}{{"tag", tags, &p.Tags}, {"service", services, &p.Services}, {"author", authors, &p.Authors}} {
				if fl.Changed(l.name) {
					v := l.v
					*l.dst = &v
				}
			}
			if p.Sections == nil && p.Title == nil && p.Severity == nil && p.NoActionItems == nil && p.Tags == nil && p.Services == nil && p.Authors == nil {
				return usagef("nothing to change: give --section KEY --file FILE, --title, --severity, --tag, --service, --author or --no-action-items")
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				r, err := b.UpdateRetro(ctx, args[0], p)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "updated %s (%s)\n", r.ID, r.State)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&section, "section", "", "key of the section to write (summary, response, ...)")
	fl.StringVarP(&file, "file", "f", "", "file holding the section's Markdown body, - for standard input")
	fl.String("title", "", "new title")
	fl.String("severity", "", "new severity")
	fl.String("no-action-items", "", "why no action items are needed (\"\" removes the note)")
	fl.StringArrayVar(&tags, "tag", nil, "tag (repeatable; replaces the tags)")
	fl.StringArrayVar(&services, "service", nil, "service (repeatable; replaces the services)")
	fl.StringArrayVar(&authors, "author", nil, "author (repeatable; replaces the authors)")
	return cmd
}

var sectionField = regexp.MustCompile(`^sections\[(\d+)\]\.body$`)

// publishHints adds to each reason a retrospective cannot be published
// the command that deals with it.
func publishHints(r *retro.Retrospective, err error) error {
	var errs palisade.Errors
	if !errors.As(err, &errs) {
		var one *palisade.Error
		if !errors.As(err, &one) {
			return err
		}
		errs = palisade.Errors{one}
	}
	out := make(palisade.Errors, 0, len(errs))
	for _, pe := range errs {
		hinted := *pe
		switch m := sectionField.FindStringSubmatch(pe.Field); {
		case pe.Code != palisade.ECONFLICT:
		case m != nil:
			if i, _ := strconv.Atoi(m[1]); i < len(r.Sections) {
				hinted.Message += fmt.Sprintf(" (palisade retro edit %s --section %s --file FILE)", r.ID, r.Sections[i].Key)
			}
		case pe.Field == "actionItems":
			hinted.Message += fmt.Sprintf(" (palisade retro action add %s --title T --owner O, or palisade retro edit %s --no-action-items WHY)", r.ID, r.ID)
		}
		out = append(out, &hinted)
	}
	return out
}

func (e *env) retroStateCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "state ID draft|in_review|published [--reason R]",
		Short: "Move a retrospective through its review: draft, in_review, published",
		Long: `draft → in_review sends it for review; in_review → draft sends it back to the
authors; in_review → published publishes it. Publishing is refused while a
section not marked optional is empty, or while there is neither an action item
nor a no-action-items note: every reason is printed, one a line, and the exit
code is 2.

published → in_review reopens it to correct it, and needs --reason, which the
audit log records.`,
		Example: `  palisade retro state RETRO-3 in_review
  palisade retro state RETRO-3 published
  palisade retro state RETRO-3 in_review --reason "The root cause was the cache, not the proxy"`,
		Args: exactArgs(2, "a retrospective id and the state to move it to (draft, in_review or published)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, to := args[0], args[1]
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				r, err := b.TransitionRetro(ctx, id, to, reason)
				if err != nil {
					if to == retro.StatePublished && palisade.ErrorCode(err) == palisade.ECONFLICT {
						if cur, gerr := b.Retro(ctx, id); gerr == nil {
							return publishHints(cur, err)
						}
					}
					return err
				}
				fmt.Fprintf(e.stdout, "%s is %s\n", r.ID, r.State)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why a published retrospective is reopened (required to reopen)")
	return cmd
}

// parseDue reads a due date: a date means the end of that day (UTC), as in
// the web UI; an RFC 3339 time is taken as written.
func parseDue(v string) (*time.Time, error) {
	if d, err := time.ParseInLocation(time.DateOnly, v, time.UTC); err == nil {
		t := d.Add(24*time.Hour - time.Second)
		return &t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, usagef("--due %q: use a date such as 2026-12-01 or an RFC 3339 time", v)
	}
	return &t, nil
}

func (e *env) retroActionAddCmd() *cobra.Command {
	var in retro.ItemInput
	var due string
	cmd := &cobra.Command{
		Use:   "add ID --title T --owner O [--due DATE] [--tracker URL]",
		Short: "Add an action item to a retrospective; prints its id",
		Long: `An action item is a change the review decided to make. It has an owner who
answers for it, and usually a due date (a date is due by the end of that day,
UTC) and a link to the ticket that tracks the work (https only). Items are
numbered AI-1, AI-2, ... within their retrospective.`,
		Example: `  palisade retro action add RETRO-3 --title "Mask v2 tokens in build logs" --owner platform \
      --due 2026-06-01 --tracker https://tracker.example.com/browse/OPS-7`,
		Args: exactArgs(1, "one retrospective id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(in.Title) == "" || strings.TrimSpace(in.Owner) == "" {
				return usagef("an action item needs --title and --owner: somebody answers for it")
			}
			if due != "" {
				t, err := parseDue(due)
				if err != nil {
					return err
				}
				in.DueAt = t
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				item, err := b.AddActionItem(ctx, args[0], in)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, item.ID)
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.Title, "title", "", "what will change (required)")
	fl.StringVar(&in.Owner, "owner", "", "who answers for it: a person or a team (required)")
	fl.StringVar(&due, "due", "", "due date (YYYY-MM-DD, the end of that day UTC, or RFC 3339)")
	fl.StringVar(&in.TrackerURL, "tracker", "", "https link to the ticket that tracks it")
	fl.StringVar(&in.Status, "status", "", "open (default), in_progress, done or wont_do")
	return cmd
}

func (e *env) retroActionUpdateCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "update ID ITEM [--status S] [--owner O] [--due DATE|none] [--tracker URL] [--title T]",
		Short: "Change an action item: its status, owner, due date, tracker link or title",
		Long: `Only the flags given change. Statuses are open, in_progress, done and wont_do;
any move between them is allowed (work is reopened when a fix proves
insufficient). --due none removes the due date, --tracker "" the link.`,
		Example: `  palisade retro action update RETRO-3 AI-1 --status in_progress
  palisade retro action update RETRO-3 AI-1 --status done
  palisade retro action update RETRO-3 AI-2 --owner sam --due 2026-07-15`,
		Args: exactArgs(2, "a retrospective id and an action item id (AI-n)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			var p retro.ItemPatch
			fl := cmd.Flags()
			for name, dst := range map[string]**string{"title": &p.Title, "owner": &p.Owner, "status": &p.Status, "tracker": &p.TrackerURL} {
				if fl.Changed(name) {
					v, _ := fl.GetString(name)
					*dst = &v
				}
			}
			if fl.Changed("due") {
				v, _ := fl.GetString("due")
				p.DueAt.Set = true
				if v != "none" && v != "" {
					t, err := parseDue(v)
					if err != nil {
						return err
					}
					p.DueAt.Time = t
				}
			}
			if p.Title == nil && p.Owner == nil && p.Status == nil && p.TrackerURL == nil && !p.DueAt.Set {
				return usagef("nothing to change: give --status, --owner, --due, --tracker or --title")
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				item, err := b.UpdateActionItem(ctx, args[0], args[1], p)
				if err != nil {
					return err
				}
				return render(e.stdout, format, item, itemTable([]retro.ActionItem{*item}))
			})
		},
	}
	fl := cmd.Flags()
	fl.String("status", "", "open, in_progress, done or wont_do")
	fl.String("owner", "", "new owner")
	fl.String("due", "", "new due date (YYYY-MM-DD or RFC 3339), or none to remove it")
	fl.String("tracker", "", "https link to the ticket (\"\" removes it)")
	fl.String("title", "", "new title")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) retroActionsCmd() *cobra.Command {
	var f retro.ItemFilter
	var format string
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "List the action items of every retrospective, soonest due first",
		Long: `Lists action items across retrospectives, soonest due first (those without a
due date last). An item is overdue when it is open or in progress and its due
date has passed.`,
		Example: `  palisade retro actions --overdue
  palisade retro actions --owner platform --open
  palisade retro actions --status done --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				items, next, err := b.ActionItems(ctx, f)
				if err != nil {
					return err
				}
				now := time.Now()
				t := table{header: []string{"retrospective", "item", "status", "owner", "due", "title", "incident"}}
				for _, a := range items {
					t.add(a.Retrospective, a.ID, itemStatus(a.ActionItem, now), a.Owner, dateOf(a.DueAt), a.Title, a.IncidentID)
				}
				return e.renderPage(format, items, next, "action items", t)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Owner, "owner", "", "only this owner's items")
	fl.StringVar(&f.Status, "status", "", "open, in_progress, done or wont_do")
	fl.BoolVar(&f.Open, "open", false, "only items still to do (open or in progress)")
	fl.BoolVar(&f.Overdue, "overdue", false, "only items still to do whose due date has passed")
	fl.IntVar(&f.Limit, "limit", 0, "at most this many (default 100, at most 500)")
	fl.StringVar(&f.Cursor, "cursor", "", "continue a listing")
	addFormatFlag(cmd, &format)
	return cmd
}

func (e *env) retroExportCmd() *cobra.Command {
	var format, out string
	cmd := &cobra.Command{
		Use:   "export ID [--format markdown|html] [-o FILE]",
		Short: "Write a retrospective as Markdown or as a printable HTML page",
		Long: `Markdown has the title, a table of facts, every section under its heading and
the action items as a table. HTML is one self-contained, printable page — one
style block, no script, no outside resource — with a Content-Security-Policy
that keeps a saved or mailed copy locked down. Prompts are never exported.`,
		Example: `  palisade retro export RETRO-3 > RETRO-3.md
  palisade retro export RETRO-3 --format html -o RETRO-3.html`,
		Args: exactArgs(1, "one retrospective id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != retro.FormatMarkdown && format != retro.FormatHTML {
				return usagef("--format %q: use markdown or html", format)
			}
			return e.withBackend(cmd, func(ctx context.Context, b backend) error {
				doc, err := b.ExportRetro(ctx, args[0], format)
				if err != nil {
					return err
				}
				if out == "" || out == "-" {
					_, err = e.stdout.Write(doc)
					return err
				}
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				if _, err := f.Write(doc); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", retro.FormatMarkdown, "markdown or html")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	return cmd
}
