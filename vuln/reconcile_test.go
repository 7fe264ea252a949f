package vuln

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func adv(id, sev string) *Advisory { return &Advisory{ID: id, Severity: sev, Aliases: []string{}} }

func comp(purl string) Component {
	return Component{Purl: purl, Ecosystem: "PyPI", Name: "x", Version: "1"}
}

func tier1(string) int { return 1 }

func goneFixed(*Finding) string { return ResolutionFixed }

func TestReconcileLifecycle(t *testing.T) {
	p := DefaultPolicy()
	a, b := adv("GHSA-a", "critical"), adv("GHSA-b", "low")
	m1 := Match{Service: "checkout", Component: comp("pkg:pypi/x@1"), Advisory: a, Fixed: []string{"2"}}
	m2 := Match{Service: "checkout", Component: comp("pkg:pypi/x@1"), Advisory: b}

	// First scan: two new findings, due by the policy.
	ch := Reconcile([]Match{m1, m2, m1}, nil, goneFixed, t0, p, tier1)
	if len(ch) != 2 || ch[0].Op != OpCreate || ch[1].Op != OpCreate {
		t.Fatalf("first scan: %+v", ch)
	}
	byAdv := map[string]*Finding{}
	var existing []Finding
	for _, c := range ch {
		byAdv[c.Finding.Advisory] = c.Finding
		existing = append(existing, *c.Finding)
	}
	if got := byAdv["GHSA-a"].DueAt; !got.Equal(t0.Add(7 * 24 * time.Hour)) {
		t.Errorf("critical due %v", got)
	}
	if byAdv["GHSA-a"].State != StateInTriage || byAdv["GHSA-a"].DetectedAt != t0 {
		t.Errorf("new finding %+v", byAdv["GHSA-a"])
	}

	// Same scan again: nothing changes.
	if ch := Reconcile([]Match{m1, m2}, existing, goneFixed, t0.Add(time.Hour), p, tier1); len(ch) != 0 {
		t.Fatalf("rescan changed %+v", ch)
	}

	// Someone decides b is not affected; then the component is upgraded
	// and only a... no: the component disappears: both resolve as fixed,
	// except the manual decision, which stands.
	for i := range existing {
		if existing[i].Advisory == "GHSA-b" {
			existing[i].State, existing[i].Justification = StateNotAffected, "code_not_reachable"
		}
	}
	ch = Reconcile(nil, existing, goneFixed, t0.Add(2*time.Hour), p, tier1)
	if len(ch) != 2 {
		t.Fatalf("upgrade: %+v", ch)
	}
	for _, c := range ch {
		if c.Op != OpResolve || c.Finding.Resolution != ResolutionFixed || c.Finding.ResolvedAt == nil {
			t.Errorf("upgrade change %+v", c.Finding)
		}
	}
	existing = existing[:0]
	for _, c := range ch {
		existing = append(existing, *c.Finding)
	}

	// The vulnerable version comes back: the auto-resolved finding
	// reopens with its id and original detection time.
	ch = Reconcile([]Match{m1}, existing, goneFixed, t0.Add(3*time.Hour), p, tier1)
	if len(ch) != 1 || ch[0].Op != OpReopen || ch[0].Finding.State != StateInTriage || ch[0].Finding.ResolvedAt != nil || !ch[0].Finding.DetectedAt.Equal(t0) {
		t.Fatalf("reopen: %+v", ch)
	}
}

func TestReconcileAdvisoryChanges(t *testing.T) {
	p := DefaultPolicy()
	a := adv("GHSA-a", "low")
	m := Match{Service: "s", Component: comp("pkg:pypi/x@1"), Advisory: a}
	f := *Reconcile([]Match{m}, nil, goneFixed, t0, p, tier1)[0].Finding

	// Severity raised and KEV listed with an earlier due date: updated,
	// deadline tightened from the original detection.
	kevDue := t0.Add(3 * 24 * time.Hour)
	a2 := &Advisory{ID: "GHSA-a", Severity: "high", KEV: true, KEVDue: &kevDue, Aliases: []string{"CVE-2026-1"}}
	ch := Reconcile([]Match{{Service: "s", Component: m.Component, Advisory: a2}}, []Finding{f}, goneFixed, t0.Add(24*time.Hour), p, tier1)
	if len(ch) != 1 || ch[0].Op != OpUpdate || ch[0].Finding.Severity != "high" || !ch[0].Finding.KEV || !ch[0].Finding.DueAt.Equal(kevDue) {
		t.Fatalf("update: %+v", ch)
	}
	// Withdrawn: resolved with that reason.
	withdrawn := func(*Finding) string { return ResolutionWithdrawn }
	ch = Reconcile(nil, []Finding{f}, withdrawn, t0.Add(48*time.Hour), p, tier1)
	if len(ch) != 1 || ch[0].Finding.Resolution != ResolutionWithdrawn {
		t.Fatalf("withdrawn: %+v", ch)
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	p.Tiers = map[int]map[string]int{1: {"critical": 3}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sev  string
		tier int
		want int
	}{{"critical", 1, 3}, {"critical", 2, 7}, {"high", 1, 30}, {"low", 4, 180}, {"bogus", 1, 30}} {
		if got := p.DaysFor(tc.sev, tc.tier); got != tc.want {
			t.Errorf("DaysFor(%s, %d) = %d, want %d", tc.sev, tc.tier, got, tc.want)
		}
	}
	kev := t0.Add(24 * time.Hour)
	if got := p.DueAt(t0, "low", 3, &kev); !got.Equal(kev) {
		t.Errorf("KEV due date not applied: %v", got)
	}
	bad := DefaultPolicy()
	bad.Days["critical"] = 0
	if bad.Validate() == nil {
		t.Error("0 days accepted")
	}
}

func TestTriageAndAcceptanceRules(t *testing.T) {
	for _, tc := range []struct {
		tr    Triage
		field string
	}{
		{Triage{State: StateNotAffected, Justification: "code_not_reachable", Reason: "r"}, ""},
		{Triage{State: StateNotAffected, Reason: "r"}, "justification"},
		{Triage{State: "maybe", Reason: "r"}, "state"},
		{Triage{State: StateExploitable, Justification: "code_not_reachable", Reason: "r"}, "justification"},
		{Triage{State: StateExploitable}, "reason"},
	} {
		err := tc.tr.Validate()
		if (err == nil) != (tc.field == "") {
			t.Errorf("%+v: %v", tc.tr, err)
		}
	}
	p := DefaultPolicy()
	p.RequireDistinctApprover = true
	now := t0
	ok := AcceptRequest{Reason: "vendor patch next sprint", RequestedBy: "alice", ExpiresAt: now.Add(30 * 24 * time.Hour)}
	if err := ok.Validate(now, "token:bob", p); err != nil {
		t.Fatal(err)
	}
	self := ok
	self.RequestedBy = "token:bob"
	if err := self.Validate(now, "token:bob", p); err == nil {
		t.Error("self-approval accepted under RequireDistinctApprover")
	}
	long := ok
	long.ExpiresAt = now.Add(400 * 24 * time.Hour)
	if long.Validate(now, "token:bob", p) == nil {
		t.Error("acceptance longer than a year accepted")
	}
	f := &Finding{State: StateExploitable, DueAt: now.Add(-time.Hour), Acceptance: &Acceptance{ExpiresAt: now.Add(time.Hour)}}
	if f.Open(now) || f.Overdue(now) {
		t.Error("accepted finding counted open")
	}
	if !f.Open(now.Add(2*time.Hour)) || !f.Overdue(now.Add(2*time.Hour)) {
		t.Error("expired acceptance still hides the finding")
	}
}
