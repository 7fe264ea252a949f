package web

import "net/http"

// capability is one of Palisade's five capabilities as the navigation and
// the overview show it. Until a capability is built its page says so and
// what it will do, rather than showing invented data.
type capability struct {
	Key   string // navigation key and CSS hook
	Path  string
	Label string // navigation label
	Title string // page heading
	// Built reports whether the capability has real pages; its routes are
	// then declared in Routes, and the fields for the pending page are
	// unused.
	Built bool
	// Wired, when set, reports whether a server's Config has what a built
	// capability's pages need. Without it the capability shows its pending
	// page, with Unwired as the sentence, and its own routes are not
	// served: a server not set up for it says so instead of failing.
	Wired   func(*Config) bool
	Unwired string
	// SubNav are navigation entries under the capability's own, for its
	// other pages.
	SubNav []navItem
	// Pending is the sentence that says the capability is not built yet.
	Pending string
	// Summary is one line for the overview.
	Summary string
	// Will lists what the capability will do, in the words of DESIGN.md.
	Will []string
	// Meanwhile points at what the catalog already offers towards it.
	Meanwhile      string
	MeanwhileLink  string
	MeanwhileLabel string
}

// capabilities are in the order of the loop DESIGN.md describes: signals,
// indicators and objectives, experiments, vendors, incidents.
var capabilities = []capability{
	{
		Key: "vulnerabilities", Path: "/vulnerabilities", Label: "Vulnerabilities", Title: "The CVE process", Built: true,
		Summary: "Every service's components matched against OSV advisories, each finding tracked to a decision.",
		SubNav:  []navItem{{Key: "vuln-metrics", Label: "CVE metrics", Path: "/vulnerabilities/metrics", Sub: true}},
	},
	{
		Key: "slos", Path: "/slos", Label: "Security SLOs", Title: "Security SLOs", Built: true,
		Summary: "Security indicators with objectives, error budgets, burn-rate alerts and a change gate for CI.",
		SubNav:  []navItem{{Key: "gate", Label: "Gate decisions", Path: "/gate", Sub: true}},
	},
	{
		Key: "experiments", Path: "/experiments", Label: "Chaos experiments", Title: "Security chaos experiments",
		Pending: "Security chaos experiments are not built yet: no experiment has been defined or run.",
		Summary: "Planned security faults with a hypothesis about detection, run on a schedule and always rolled back.",
		Will: []string{
			"Define planned security faults (an opened port, a planted canary credential, a permission drift, an attack payload) with a hypothesis about what must detect them, and how fast.",
			"Run them on a schedule, following frequency and severity standards, within a declared blast radius.",
			"Roll every fault back, even when the runner dies mid-run.",
			"Journal each run and measure it: was the fault detected, blocked, traceable, and how long did detection take.",
		},
		Meanwhile: "The services an experiment will target, with their tiers and owners, are in the catalog.", MeanwhileLink: "/services", MeanwhileLabel: "See the services",
	},
	{
		Key: "watch", Path: "/watch", Label: "Vendor watch", Title: "Third-party watch",
		Pending: "Vendor watch is not built yet: no status page or endpoint is being checked.",
		Summary: "The vendors the system depends on, their health, and the blast radius if one is down or breached.",
		Will: []string{
			"Follow each vendor's status page and probe its endpoints over HTTP, TLS and DNS, normalising what they report into one status.",
			"Show the blast radius of an outage or breach: which services break, directly and through their dependents, which teams own them and which classes of data are exposed.",
			"Feed third-party health into the security SLOs and open incidents when a vendor fails.",
		},
		Meanwhile: "The catalog already lists each third party with the services that use it directly.", MeanwhileLink: "/third-parties", MeanwhileLabel: "See the third parties",
	},
	{
		Key: "incidents", Path: "/incidents", Label: "Incidents", Title: "Incidents and retrospectives", Built: true,
		Wired:   func(c *Config) bool { return c.Incident != nil },
		Unwired: "Incident response is not set up on this server: no alert is received and no incident is recorded.",
		Summary: "Alerts open incidents with a timeline and roles; blameless retrospectives turn them into action items.",
		SubNav: []navItem{
			{Key: "incident-metrics", Label: "Incident metrics", Path: "/incidents/metrics", Sub: true},
			{Key: "retrospectives", Label: "Retrospectives", Path: "/retrospectives", Sub: true, wired: retroWired},
		},
		Will: []string{
			"Receive alerts from Palisade itself and from Alertmanager- and PagerDuty-style senders, de-duplicate them and open incidents.",
			"Keep each incident's timeline, roles, severity (SEV1 to SEV4) and status, from triage to closed.",
			"Write blameless retrospectives (draft, in review, published) with owned, dated action items, in a searchable library.",
			"Report MTTD, MTTA and MTTR.",
		},
		Meanwhile: "The teams that will own incidents, and their members, are in the catalog.", MeanwhileLink: "/teams", MeanwhileLabel: "See the teams",
	},
}

// capabilitiesFor returns the capabilities as a server with cfg has them:
// a built one that cfg does not wire is shown as pending.
func capabilitiesFor(cfg *Config) []capability {
	out := make([]capability, len(capabilities))
	for i, c := range capabilities {
		if c.Built && c.Wired != nil && !c.Wired(cfg) {
			c.Built, c.Pending, c.SubNav = false, c.Unwired, nil
		}
		var sub []navItem
		for _, n := range c.SubNav {
			if n.wired == nil || n.wired(cfg) {
				sub = append(sub, n)
			}
		}
		c.SubNav = sub
		out[i] = c
	}
	return out
}

// PendingLabel says in two or three words why the capability has no pages
// here: not built at all, or built but not set up on this server.
func (c capability) PendingLabel() string {
	if c.Wired != nil {
		return "not set up"
	}
	return "not built yet"
}

// pending serves the page of a capability that is not built yet.
func (u *UI) pending(c capability) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return u.render(w, r, http.StatusOK, "pending", c.Title, c.Key, c)
	}
}
