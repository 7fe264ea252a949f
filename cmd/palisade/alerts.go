package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/palisade-project/palisade/incident"
	"github.com/palisade-project/palisade/incident/intake"
	"github.com/palisade-project/palisade/notify"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// The internal alert sources: what the capabilities raise themselves,
// routed like any other alert (see docs/incidents.md).
const (
	sourceSLO         = "slo"
	sourceDeadline    = "remediation"
	sourceActionItems = "action-items"
)

// sloAlerts sends SLO burn-rate alerts to the incident intake. A page
// alert carries severity "page", so that the default route opens an
// incident; a ticket alert carries "ticket" and is recorded.
type sloAlerts struct{ inc *incident.Service }

func (s sloAlerts) Notify(ctx context.Context, a slo.Alert) error {
	action := intake.ActionResolve
	if a.Firing {
		action = intake.ActionTrigger
	}
	window := slo.Duration(a.Long).String() + "/" + slo.Duration(a.Short).String()
	summary := fmt.Sprintf("SLO %s burns its error budget %.1f× too fast over %s (%s above %.2f×)", a.SLO, a.Burn, window, a.Severity, a.Factor)
	ann := map[string]string{"objective": fmt.Sprintf("%g%%", a.Objective*100)}
	if a.BudgetRemaining != nil {
		ann["budgetRemaining"] = fmt.Sprintf("%.1f%%", *a.BudgetRemaining*100)
	}
	_, err := s.inc.RaiseInternal(ctx, sourceSLO, []intake.Alert{{
		DedupKey: "slo/" + a.SLO + "/" + a.Key(), Action: action, Summary: summary, Severity: a.Severity, Service: a.Service,
		StartsAt: a.At,
		Labels: map[string]string{"alertname": "SecuritySLOBurnRate", "slo": a.SLO, "service": a.Service, "severity": a.Severity,
			"window": window, "kind": incident.KindSecurity},
		Annotations: ann,
	}})
	return err
}

// deadlineAlerts raises one alert per service that has open findings past
// their remediation deadline and resolves it when none is left. Severity
// is "warning" so that the default route records it without paging;
// labels.worst lets a routing rule page on missed critical deadlines.
func deadlineAlerts(ctx context.Context, v *vuln.Service, inc *incident.Service) error {
	type overdue struct {
		count, kev int
		worst      string
		oldest     time.Time
		advisories []string
	}
	rank := func(sev string) int { return slices.Index([]string{"critical", "high", "medium", "low"}, sev) }
	by := map[string]*overdue{}
	f := vuln.FindingFilter{State: "open", Overdue: true, Limit: 1000}
	for {
		page, next, err := v.ListFindings(ctx, f)
		if err != nil {
			return err
		}
		for _, fd := range page {
			o := by[fd.Service]
			if o == nil {
				o = &overdue{worst: fd.Severity, oldest: fd.DueAt}
				by[fd.Service] = o
			}
			o.count++
			if fd.KEV {
				o.kev++
			}
			if r := rank(fd.Severity); r >= 0 && (rank(o.worst) < 0 || r < rank(o.worst)) {
				o.worst = fd.Severity
			}
			if fd.DueAt.Before(o.oldest) {
				o.oldest = fd.DueAt
			}
			if len(o.advisories) < 10 && !slices.Contains(o.advisories, fd.Advisory) {
				o.advisories = append(o.advisories, fd.Advisory)
			}
		}
		if next == "" {
			break
		}
		f.After = next
	}
	var alerts []intake.Alert
	for service, o := range by {
		alerts = append(alerts, intake.Alert{
			DedupKey: "deadline/" + service, Severity: "warning", Service: service,
			Summary: fmt.Sprintf("%s: %d findings past their remediation deadline (worst %s, %d KEV-listed, oldest due %s)",
				service, o.count, o.worst, o.kev, o.oldest.Format(time.DateOnly)),
			Labels: map[string]string{"alertname": "RemediationDeadlineMissed", "service": service, "severity": "warning",
				"worst": o.worst, "kev": fmt.Sprint(o.kev > 0), "kind": incident.KindSecurity},
			Annotations: map[string]string{"advisories": strings.Join(o.advisories, " "), "overdue": fmt.Sprint(o.count)},
		})
	}
	slices.SortFunc(alerts, func(a, b intake.Alert) int { return strings.Compare(a.DedupKey, b.DedupKey) })
	_, err := inc.ReconcileInternal(ctx, sourceDeadline, alerts)
	return err
}

// actionItemAlerts raises one alert per overdue action item of a
// retrospective and resolves it when the item is done or no longer due.
// Severity is "warning": recorded and shown, paged only by a rule.
func actionItemAlerts(ctx context.Context, r *retro.Service, inc *incident.Service, now time.Time) error {
	items, err := r.OverdueActionItems(ctx, now)
	if err != nil {
		return err
	}
	alerts := make([]intake.Alert, 0, len(items))
	for _, it := range items {
		due := ""
		if it.DueAt != nil {
			due = it.DueAt.Format(time.DateOnly)
		}
		labels := map[string]string{"alertname": "ActionItemOverdue", "severity": "warning", "owner": it.Owner,
			"retrospective": it.Retrospective, "incident": it.IncidentID}
		ann := map[string]string{"tracker": it.TrackerURL}
		for _, m := range []map[string]string{labels, ann} {
			for k, v := range m {
				if v == "" {
					delete(m, k)
				}
			}
		}
		alerts = append(alerts, intake.Alert{
			DedupKey: "action-item/" + it.Retrospective + "/" + it.ID, Severity: "warning", Labels: labels, Annotations: ann,
			Summary: fmt.Sprintf("Action item %s of %s is overdue (owner %s, due %s): %s", it.ID, it.Retrospective, it.Owner, due, it.Title),
		})
	}
	_, err = inc.ReconcileInternal(ctx, sourceActionItems, alerts)
	return err
}

// digestJob queues the retrospective digest of the period that ended last;
// the message id names the period, so the hourly job queues it once.
func digestJob(r *retro.Service, q notify.Enqueuer, publicURL string, wake func()) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		now := time.Now().UTC()
		m, targets, ok, err := r.DigestMessage(ctx, now, publicURL)
		if err != nil || !ok {
			return err
		}
		entries, err := notify.NewEntries(m, targets, now)
		if err != nil {
			return err
		}
		n, err := q.Enqueue(ctx, entries...)
		if n > 0 && wake != nil {
			wake()
		}
		return err
	}
}
