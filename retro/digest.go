package retro

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/notify"
)

// Digest is the digest subsection of the retrospectives section:
//
//	retrospectives:
//	  digest:
//	    every: weekly            # or daily
//	    notify: [slack-security]
//
// Each period (a UTC day, or a week from Monday 00:00 UTC) ends with one
// message to each notifier listing the retrospectives published in it and
// the action items overdue at its end. A period without a publication sends
// nothing.
type Digest struct {
	Every  string   `json:"every"`
	Notify []string `json:"notify"`
}

// Digest periods.
const (
	DigestDaily  = "daily"
	DigestWeekly = "weekly"
)

// maxDigestLines bounds the retrospectives and action items a digest
// lists; the rest are counted.
const maxDigestLines = 20

// DigestFromSection reads the digest subsection; nil when there is none.
func DigestFromSection(n *catalog.Node) (*Digest, error) {
	if n == nil || n.Kind == catalog.NullNode {
		return nil, nil
	}
	f, err := n.Fields("retrospectives", "templates", "default", "digest")
	if err != nil {
		return nil, err
	}
	dn, ok := f["digest"]
	if !ok || dn.Kind == catalog.NullNode {
		return nil, nil
	}
	df, err := dn.Fields("digest", "every", "notify")
	if err != nil {
		return nil, err
	}
	d := &Digest{Every: DigestWeekly}
	if v, ok := df["every"]; ok {
		if d.Every, err = v.String("every"); err != nil {
			return nil, err
		}
		if d.Every != DigestDaily && d.Every != DigestWeekly {
			return nil, v.Errorf("every %q: use daily or weekly", d.Every)
		}
	}
	nn, ok := df["notify"]
	if !ok || nn.Kind != catalog.ListNode || len(nn.List) == 0 {
		return nil, dn.Errorf("digest: notify lists the notifiers that receive it, such as [slack-security]")
	}
	for _, x := range nn.List {
		name, err := x.String("notify")
		if err != nil {
			return nil, err
		}
		d.Notify = append(d.Notify, name)
	}
	return d, nil
}

// Period returns the digest period that ended last at or before now:
// [start, end).
func (d *Digest) Period(now time.Time) (start, end time.Time) {
	now = now.UTC()
	end = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if d.Every == DigestDaily {
		return end.AddDate(0, 0, -1), end
	}
	end = end.AddDate(0, 0, -((int(end.Weekday()) + 6) % 7)) // back to Monday
	return end.AddDate(0, 0, -7), end
}

// DigestMessage builds the digest of the period that ended last before
// now, for the notifiers the section names. ok is false when no digest is
// configured or nothing was published in the period. The message id names
// the period, so queueing it twice (two replicas, a rerun) sends it once.
// publicURL, when set, makes the lines links. Requires viewer; a system
// actor sees every retrospective, and the digest names restricted ones by
// id only.
func (s *Service) DigestMessage(ctx context.Context, now time.Time, publicURL string) (m notify.Message, targets []string, ok bool, err error) {
	n, err := catalog.LoadSection(ctx, s.config, SectionName)
	if err != nil {
		return m, nil, false, err
	}
	d, err := DigestFromSection(n)
	if err != nil || d == nil {
		return m, nil, false, err
	}
	start, end := d.Period(now)
	published, err := s.RecentlyPublished(ctx, start)
	if err != nil {
		return m, nil, false, err
	}
	var in []Summary
	for _, r := range published {
		if r.PublishedAt != nil && r.PublishedAt.Before(end) {
			in = append(in, r)
		}
	}
	if len(in) == 0 {
		return m, nil, false, nil
	}
	overdue, err := s.OverdueActionItems(ctx, end)
	if err != nil {
		return m, nil, false, err
	}
	restricted, err := s.restrictedIncidents(ctx, in)
	if err != nil {
		return m, nil, false, err
	}
	base := strings.TrimRight(publicURL, "/")
	var b strings.Builder
	for i, r := range in {
		if i == maxDigestLines {
			fmt.Fprintf(&b, "… and %d more\n", len(in)-i)
			break
		}
		title := r.Title
		if restricted[r.IncidentID] {
			title = "(restricted)"
		}
		fmt.Fprintf(&b, "• %s %s", r.ID, title)
		if r.Severity != "" {
			fmt.Fprintf(&b, " [%s]", r.Severity)
		}
		if len(r.Services) > 0 && !restricted[r.IncidentID] {
			fmt.Fprintf(&b, " — %s", strings.Join(r.Services, ", "))
		}
		if base != "" {
			fmt.Fprintf(&b, " %s/retrospectives/%s", base, r.ID)
		}
		b.WriteString("\n")
	}
	if len(overdue) > 0 {
		fmt.Fprintf(&b, "\n%d action items are overdue", len(overdue))
		if base != "" {
			fmt.Fprintf(&b, ": %s/retrospectives/action-items?overdue=1", base)
		}
		b.WriteString("\n")
	}
	word := "week"
	if d.Every == DigestDaily {
		word = "day"
	}
	plural := "s"
	if len(in) == 1 {
		plural = ""
	}
	m = notify.Message{
		ID:     "retro-digest/" + d.Every + "/" + start.Format(time.DateOnly),
		Kind:   "digest",
		Title:  fmt.Sprintf("%d retrospective%s published in the %s of %s", len(in), plural, word, start.Format("2 January 2006")),
		Text:   strings.TrimRight(b.String(), "\n"),
		Time:   end,
		Fields: []notify.Field{{Name: "Published", Value: fmt.Sprint(len(in))}, {Name: "Overdue action items", Value: fmt.Sprint(len(overdue))}},
	}
	if base != "" {
		m.URL = base + "/retrospectives"
	}
	return m, d.Notify, true, m.Validate()
}

// restrictedIncidents says which of the retrospectives' incidents are
// restricted, so that a digest sent to a channel does not show their
// titles.
func (s *Service) restrictedIncidents(ctx context.Context, rs []Summary) (map[string]bool, error) {
	out := map[string]bool{}
	for _, r := range rs {
		if r.IncidentID == "" {
			continue
		}
		in, err := s.incidents.Incident(ctx, r.IncidentID)
		if err != nil {
			return nil, err
		}
		out[r.IncidentID] = in.Restricted
	}
	return out, nil
}
