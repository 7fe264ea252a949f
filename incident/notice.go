package incident

import (
	"strings"
	"time"

	"github.com/palisade-project/palisade/notify"
)

// SetPublicURL sets the address people reach Palisade at, for links in
// notifications ("https://palisade.example.com"); empty leaves links out.
func (s *Service) SetPublicURL(u string) { s.publicURL = strings.TrimRight(u, "/") }

// Message returns the notification for an incident event (opened,
// updated, resolved). Restricted incidents say only their id, severity
// and status: the title and text stay in Palisade, behind its access
// rules.
func (s *Service) Message(inc *Incident, id, event, text string, now time.Time) notify.Message {
	m := notify.Message{ID: id, Kind: "incident." + event, Severity: inc.Severity, DedupKey: inc.ID, Time: now}
	if inc.Restricted {
		m.Title = "[" + inc.Severity + "] " + inc.ID + ": restricted security incident " + event
		m.Text = "Details are restricted to the incident's participants; open it in Palisade."
		m.Fields = []notify.Field{{Name: "Status", Value: inc.Status}}
	} else {
		m.Title = "[" + inc.Severity + "] " + inc.ID + ": " + inc.Title
		m.Text = truncate(text, notify.MaxTextLen)
		m.Fields = []notify.Field{{Name: "Status", Value: inc.Status}, {Name: "Kind", Value: inc.Kind}}
		if len(inc.Services) > 0 {
			m.Fields = append(m.Fields, notify.Field{Name: "Services", Value: truncate(strings.Join(inc.Services, ", "), notify.MaxFieldLen)})
		}
		if inc.Team != "" {
			m.Fields = append(m.Fields, notify.Field{Name: "Team", Value: inc.Team})
		}
		if c := inc.Roles["commander"]; c != "" {
			m.Fields = append(m.Fields, notify.Field{Name: "Commander", Value: c})
		}
	}
	m.Title = truncate(m.Title, notify.MaxTitleLen)
	if s.publicURL != "" {
		m.URL = s.publicURL + "/incidents/" + inc.ID
	}
	return m
}

// notify queues the event's message for targets in tx.
func (s *Service) notify(tx Tx, inc *Incident, id, event, text string, targets []string, now time.Time) error {
	if len(targets) == 0 {
		return nil
	}
	entries, err := notify.NewEntries(s.Message(inc, id, event, text, now), targets, now)
	if err != nil {
		return err
	}
	return tx.Enqueue(entries...)
}
