package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/gate"
)

// gateOutcomes are the outcomes of a decision and of a reason, worst first.
var gateOutcomes = []string{gate.Fail, gate.Warn, gate.Pass}

// outcomeClass returns o when it is an outcome this version knows, and
// fail otherwise, as the gate ranks an unknown outcome: a bad value must
// never look like a pass.
func outcomeClass(o string) string {
	switch o {
	case gate.Pass, gate.Warn:
		return o
	}
	return gate.Fail
}

// validGateID reports whether s has the shape gate decision ids have ("G"
// and 16 hex digits), so that anything else is refused without a query.
func validGateID(s string) bool {
	if len(s) != 17 || s[0] != 'G' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// gateQuery is the decision list's filter.
type gateQuery struct {
	Service string
	// After is the cursor: the id of the last decision of the page before.
	After string
}

func (q gateQuery) link(after string) string {
	p := url.Values{}
	if q.Service != "" {
		p.Set("service", q.Service)
	}
	if after != "" {
		p.Set("after", after)
	}
	if len(p) == 0 {
		return "/gate"
	}
	return "/gate?" + p.Encode()
}

// gateRow is a decision as a table shows it.
type gateRow struct {
	ID, Service, Change, Actor string
	At                         time.Time
	Outcome                    string
	Introduced, Removed        int
}

func newGateRow(r gate.Record) gateRow {
	return gateRow{ID: r.ID, Service: r.Service, Change: r.Change, Actor: r.Actor, At: r.At, Outcome: r.Outcome,
		Introduced: r.Introduced, Removed: r.Removed}
}

type gateListView struct {
	Query    gateQuery
	Services []string
	Rows     []gateRow
	FirstURL string
	NextURL  string
}

// gateDecisions serves the recorded gate decisions, newest first, a page
// at a time.
func (u *UI) gateDecisions(w http.ResponseWriter, r *http.Request) error {
	if err := u.needSLO(); err != nil {
		return err
	}
	q := r.URL.Query()
	var gq gateQuery
	var err error
	if gq.Service, err = queryValue(q, "service"); err != nil {
		return err
	}
	if gq.After, err = queryValue(q, "after"); err != nil {
		return err
	}
	if gq.After != "" && !validGateID(gq.After) {
		return palisade.FieldErrorf(palisade.EINVALID, "after", "after must be a gate decision id, as the “Next page” link gives it")
	}
	recs, next, err := u.cfg.Gate.List(r.Context(), gq.Service, gq.After, pageSize)
	if err != nil {
		return err
	}
	v := gateListView{Query: gq}
	for _, rec := range recs {
		v.Rows = append(v.Rows, newGateRow(rec))
	}
	if gq.After != "" {
		v.FirstURL = gq.link("")
	}
	if next != "" {
		v.NextURL = gq.link(next)
	}
	if _, v.Services, err = u.scopeNames(r.Context()); err != nil {
		return err
	}
	return u.render(w, r, http.StatusOK, "gate", "Gate decisions", "gate", v)
}

// reasonGroup is the reasons of a decision with one outcome.
type reasonGroup struct {
	Outcome string
	Reasons []gate.Reason
}

// gateFindingRow is a finding a change adds or removes.
type gateFindingRow struct {
	*gate.Finding
	CVSSText, EPSSText string
	OSVURL             string
}

func gateFindingRows(fs []*gate.Finding) []gateFindingRow {
	out := make([]gateFindingRow, 0, len(fs))
	for _, f := range fs {
		if f == nil {
			continue
		}
		row := gateFindingRow{Finding: f, OSVURL: "https://osv.dev/vulnerability/" + url.PathEscape(f.ID)}
		if f.HasCVSS {
			row.CVSSText = cvssText(&f.CVSS)
		}
		if f.HasEPSS {
			row.EPSSText = epssText(&f.EPSS)
		}
		out = append(out, row)
	}
	return out
}

// gateSLORow is an SLO as the gate saw it.
type gateSLORow struct {
	Name, Status   string
	SLI, Objective string
	Budget         budgetView
}

type gateDecisionView struct {
	Rec *gate.Record
	// Env is what the rules saw; the zero Env when the record has no
	// decision to read it from.
	Env        gate.Env
	Groups     []reasonGroup
	Counts     []outcomeCount
	Introduced []gateFindingRow
	Suppressed []gateFindingRow
	Removed    []gateFindingRow
	SLOs       []gateSLORow
	Markdown   string
	ListURL    string
}

// decisionEnv reads what the rules saw back from Decision.Variables. It
// goes through JSON, as the gate's own renderer does: a decision fresh
// from Decide holds typed values there, one read from the store plain maps
// and slices, and both must show the same.
func decisionEnv(d *gate.Decision) gate.Env {
	var e gate.Env
	if d == nil {
		return e
	}
	if b, err := json.Marshal(d.Variables); err == nil {
		// A malformed record shows what could be read of it.
		_ = json.Unmarshal(b, &e)
	}
	return e
}

// gateDecision serves one recorded decision: every reason, the findings
// the change adds and removes, the SLO budgets the gate saw and the
// Markdown report for a pull request.
func (u *UI) gateDecision(w http.ResponseWriter, r *http.Request) error {
	if err := u.needSLO(); err != nil {
		return err
	}
	id := r.PathValue("id")
	if !validGateID(id) {
		return palisade.Errorf(palisade.ENOTFOUND, "there is no gate decision %q", id)
	}
	rec, err := u.cfg.Gate.Get(r.Context(), id)
	if err != nil {
		return err
	}
	v := gateDecisionView{Rec: rec, Env: decisionEnv(rec.Decision), ListURL: gateQuery{Service: rec.Service}.link("")}
	if d := rec.Decision; d != nil {
		byOutcome := map[string][]gate.Reason{}
		for _, rs := range d.Reasons {
			o := outcomeClass(rs.Outcome)
			byOutcome[o] = append(byOutcome[o], rs)
		}
		for _, o := range gateOutcomes {
			v.Counts = append(v.Counts, outcomeCount{Outcome: o, Count: len(byOutcome[o])})
			if len(byOutcome[o]) > 0 {
				v.Groups = append(v.Groups, reasonGroup{Outcome: o, Reasons: byOutcome[o]})
			}
		}
		v.Markdown = d.Markdown()
	}
	v.Introduced, v.Suppressed, v.Removed = gateFindingRows(v.Env.Introduced), gateFindingRows(v.Env.Suppressed), gateFindingRows(v.Env.Removed)
	for _, s := range v.Env.SLOs {
		if s == nil {
			continue
		}
		row := gateSLORow{Name: s.Name, Status: s.Status, SLI: "—", Objective: pct(s.Objective, 3), Budget: budgetView{None: true}}
		// Without data the gate holds 0, not a real figure: show none.
		if s.HasData {
			row.SLI = sliText(s.SLI)
			left := s.BudgetRemaining
			row.Budget = newBudget(&left)
		}
		v.SLOs = append(v.SLOs, row)
	}
	title := "Gate decision for " + rec.Service
	return u.render(w, r, http.StatusOK, "gatedecision", title, "gate", v)
}
