package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/store"
	"github.com/palisade-project/palisade/store/storetest"
)

// BenchmarkSearch measures searches of a library of 10,000 generated
// retrospectives (about 7 KB of text each) with text and filters, as the
// library page runs them: one page of 20 and the look-ahead row, with
// snippets. It reports the 95th and 50th percentile latency of one search
// (p95-ms, p50-ms). Target on both engines: p95 under 50 ms on 2 cores.
func BenchmarkSearch(b *testing.B) {
	const n = 10_000
	queries := benchQueries()
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			db, err := store.Open(context.Background(), storetest.DSN(b, engine), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			start := time.Now()
			fillLibrary(b, db, n)
			b.Logf("%s: stored %d retrospectives in %s", engine, n, time.Since(start).Round(time.Millisecond))
			if engine == "postgres" {
				// Autovacuum would have analysed a table this size; a
				// planner without statistics scans every document.
				if _, err := db.SQL().Exec("ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			// Warm the caches once, as a running server has them.
			for _, q := range queries {
				if _, err := db.SearchRetros(ctx(), q); err != nil {
					b.Fatalf("%+v: %v", q, err)
				}
			}
			var took []time.Duration
			i, empty := 0, 0
			b.ResetTimer()
			for b.Loop() {
				q := queries[i%len(queries)]
				t0 := time.Now()
				hits, err := db.SearchRetros(ctx(), q)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if len(hits) == 0 {
					empty++
				}
				i++
			}
			b.StopTimer()
			if empty == i {
				b.Fatal("every search came back empty: the generated text does not fit the queries")
			}
			reportPercentiles(b, took)
		})
	}
}

// BenchmarkSimilar measures the suggestions of similar past incidents
// (retro.Service.Similar) for a new incident, over the same library as
// BenchmarkSearch: the full-text preselection of published
// retrospectives sharing the incident's words or services, reading them,
// and scoring them with 200 recent incidents. It reports the 95th and 50th
// percentile latency of one call (p95-ms, p50-ms).
func BenchmarkSimilar(b *testing.B) {
	const n = 10_000
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			db, err := store.Open(context.Background(), storetest.DSN(b, engine), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			fillLibrary(b, db, n)
			if engine == "postgres" {
				if _, err := db.SQL().Exec("ANALYZE"); err != nil {
					b.Fatal(err)
				}
			}
			inc := newBenchIncidents(n)
			svc := retro.NewService(db, inc, nil, nil, nil)
			for _, id := range inc.targets {
				if _, err := svc.Similar(ctx(), id, 5); err != nil {
					b.Fatal(err)
				}
			}
			var took []time.Duration
			i := 0
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				sim, err := svc.Similar(ctx(), inc.targets[i%len(inc.targets)], 5)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if len(sim) == 0 {
					b.Fatal("no similar incident suggested")
				}
				i++
			}
			b.StopTimer()
			reportPercentiles(b, took)
		})
	}
}

// reportPercentiles reports the 95th and 50th percentile of took.
func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[int(p*float64(len(took)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.50), "p50-ms")
}

// benchIncidents is the incident side of BenchmarkSimilar: new incidents
// of each kind the generator writes (targets), whose timelines hold notes
// in the generator's words, and as many past incidents as the library has
// retrospectives (INC-1 ...), all visible.
type benchIncidents struct {
	byID    map[string]retro.IncidentSummary
	targets []string
	recent  []retro.IncidentSummary
}

func newBenchIncidents(past int) *benchIncidents {
	g := newRetroGen(2)
	bi := &benchIncidents{byID: map[string]retro.IncidentSummary{}}
	for i, inc := range genIncidents {
		svc := g.service()
		in := retro.IncidentSummary{ID: fmt.Sprintf("INC-%d", past+1+i), Title: inc.title + " (" + svc + ")", Severity: g.pick(genSev),
			Kind: "security", Services: []string{svc}}
		for j := range 8 {
			in.Timeline = append(in.Timeline, retro.TimelineEntry{At: retroT0.Add(time.Duration(j) * time.Minute), Kind: "note", Actor: "oncall",
				Text: g.text(inc, svc, g.pick(genCVEs), g.pick(genTeams), 1)})
		}
		bi.byID[in.ID] = in
		bi.targets = append(bi.targets, in.ID)
	}
	for i := range 200 {
		inc := genIncidents[g.r.IntN(len(genIncidents))]
		svc := g.service()
		bi.recent = append(bi.recent, retro.IncidentSummary{ID: fmt.Sprintf("INC-%d", past-i), Title: inc.title + " (" + svc + ")",
			Severity: g.pick(genSev), Kind: "security", Services: []string{svc}})
	}
	return bi
}

func (bi *benchIncidents) Incident(_ context.Context, id string) (retro.IncidentSummary, error) {
	if in, ok := bi.byID[id]; ok {
		return in, nil
	}
	return retro.IncidentSummary{}, palisade.Errorf(palisade.ENOTFOUND, "incident %q not found", id)
}

func (bi *benchIncidents) Visible(_ context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (bi *benchIncidents) Recent(_ context.Context, limit int) ([]retro.IncidentSummary, error) {
	return bi.recent[:min(limit, len(bi.recent))], nil
}

// benchQueries are searches people make in the library: a few words, a
// phrase, an identifier, a prefix, an exclusion, with the filters of the
// page.
func benchQueries() []retro.Search {
	parse := func(q string) *retro.Expr {
		e, _, err := retro.ParseSearch(q)
		if err != nil {
			panic(err)
		}
		return e
	}
	since := retroT0.AddDate(0, -6, 0)
	return []retro.Search{
		{Text: parse("leaked token"), Limit: 21, Snippets: true},
		{Text: parse(`"build log"`), Severity: "SEV2", Limit: 21, Snippets: true},
		{Text: parse("CVE-2021-44228"), State: retro.StatePublished, Limit: 21, Snippets: true},
		{Text: parse("phish* OR mfa"), Tag: "phishing", Limit: 21, Snippets: true},
		{Text: parse("certificate expired"), From: since, Limit: 21, Snippets: true},
		{Text: parse("firewall -ddos"), Service: "payments-api", Limit: 21, Snippets: true},
		{Text: parse("token rotation"), Severity: "SEV1", State: retro.StatePublished, Limit: 21, Snippets: true},
		{Text: parse("alert"), Limit: 21, Snippets: true}, // in most documents: ranks thousands
		{Text: parse("failed"), Service: "checkout-web", Limit: 21, Snippets: true},
		{Text: parse("s3 bucket public"), Tag: "cloud", From: since, Limit: 21, Snippets: true},
		{Text: parse("ssrf metadata"), Limit: 21, Offset: 20, Snippets: true},
		{Text: parse(`"on-call engineer" paged`), Severity: "SEV3", Limit: 21, Snippets: true},
	}
}

// fillLibrary stores n generated retrospectives in one transaction.
func fillLibrary(b testing.TB, db *store.DB, n int) {
	b.Helper()
	g := newRetroGen(1)
	err := db.WriteRetros(ctx(), func(tx retro.Tx) error {
		for i := range n {
			if err := tx.Create(g.retro(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// retroGen writes plausible retrospectives of security incidents from a
// fixed vocabulary, reproducibly.
type retroGen struct{ r *rand.Rand }

func newRetroGen(seed uint64) *retroGen { return &retroGen{rand.New(rand.NewPCG(seed, seed^0x5eed))} }

// The vocabulary: each kind of incident has its own words, as real
// reviews do, and shares the words every review uses (alert, on-call,
// runbook, ...). A word of one kind is in a few percent of the library; a
// common word is in most of it.
var (
	genSystems = []string{"payments", "checkout", "auth", "registry", "search", "billing", "identity", "ledger", "notifications", "gateway",
		"reports", "inventory", "shipping", "catalog", "profile", "ci", "vault", "dns", "cdn", "mail"}
	genKinds = []string{"api", "web", "worker", "db", "proxy"}
	genSev   = []string{"SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4"}
	genTeams = []string{"platform", "payments-team", "identity-team", "sre", "security", "data", "web-team"}
	genCVEs  = []string{"CVE-2021-44228", "CVE-2024-3094", "CVE-2023-4863", "CVE-2022-22965", "CVE-2023-44487", "CVE-2021-41773", "CVE-2023-34362",
		"CVE-2024-6387", "CVE-2022-0778", "CVE-2023-46604", "CVE-2024-21626", "CVE-2022-42889"}
	genIncidents = []genIncident{
		{"Leaked deploy token used from outside", "credentials", []string{
			"A deploy token for %[1]s leaked through a build log and was used from an unknown address to push an image.",
			"The secret scanner did not recognise the new token format, so the leak went unnoticed for %[2]d minutes.",
			"Token rotation for %[1]s was manual; revoking every copy took %[2]d minutes.",
			"Build logs of the pipeline were readable by every contractor account.",
			"The registry audit log showed pushes from an address outside our ranges."}},
		{"Expired TLS certificate on the public endpoint", "tls", []string{
			"The certificate of %[1]s expired because the renewal job had failed silently for weeks.",
			"Clients pinned to the intermediate rejected the new chain for %[2]d minutes.",
			"Certificate expiry was monitored for the load balancer but not for %[1]s.",
			"The renewal cron ran on a host that had been decommissioned."}},
		{"Public S3 bucket with customer exports", "cloud", []string{
			"A storage bucket holding customer exports of %[1]s was made public by a misapplied policy.",
			"The bucket policy change came from a Terraform module shared by %[2]d stacks.",
			"Access logs showed %[2]d downloads from unknown addresses before the bucket was closed.",
			"The cloud posture scanner flagged the public bucket but the finding went to an unowned queue."}},
		{"Exploitation attempt of a known CVE", "vulnerability", []string{
			"Scanners probed %[1]s for %[3]s, a remote code execution flaw in a shared library.",
			"The patch for %[3]s was available for %[2]d days before the attempt.",
			"The WAF rule for %[3]s blocked most requests, but %[2]d reached the origin.",
			"Our inventory did not list the vulnerable component because the image was built outside CI."}},
		{"Phishing campaign against support staff", "phishing", []string{
			"Support agents received a phishing mail and two entered their credentials on a look-alike page.",
			"MFA push fatigue let the attacker in on the third attempt against %[1]s.",
			"The look-alike domain was registered %[2]d days earlier and passed the mail filter.",
			"Session revocation for the support tool had to be done account by account."}},
		{"DDoS on the login endpoint", "ddos", []string{
			"A distributed denial of service flood hit the login endpoint of %[1]s and exhausted the connection pool.",
			"Rate limiting was configured per instance, so the limit scaled with the attack.",
			"Traffic peaked at %[2]d times the usual rate before the CDN rule took effect.",
			"The upstream scrubbing service needed a ticket, which took %[2]d minutes."}},
		{"Firewall rule opened the admin port", "misconfiguration", []string{
			"A firewall change opened the admin port of %[1]s to the internet for %[2]d hours.",
			"The change was reviewed, but the reviewer could not see the effective firewall policy.",
			"Exposure monitoring found the open port on its next scan.",
			"No login attempts on the admin interface were found in the logs."}},
		{"Privilege escalation through a misconfigured role", "access-control", []string{
			"A service account of %[1]s could assume an administrator role through a wildcard trust policy.",
			"Access reviews had not run since the last reorganisation.",
			"The role was created %[2]d days earlier for a migration and never removed.",
			"CloudTrail showed the role was assumed twice, both times by the migration job."}},
		{"SSRF reached the metadata service", "injection", []string{
			"A server-side request forgery in the image fetcher of %[1]s reached the cloud metadata service and read temporary credentials.",
			"IMDSv1 was still enabled on the instances of %[1]s.",
			"The temporary credentials were used %[2]d minutes later from outside.",
			"Egress filtering would have blocked the request to the metadata address."}},
		{"Secret committed to a public repository", "credentials", []string{
			"An API key for %[1]s was committed to a public repository and found by a secret scanner within minutes.",
			"The pre-commit hook was installed on %[2]d percent of laptops only.",
			"Rotating the key required a deploy of %[1]s, which was frozen for a release."}},
		{"Malicious dependency in the build", "supply-chain", []string{
			"A compromised package version entered the build of %[1]s through an unpinned dependency.",
			"The lockfile was regenerated by a bot without review.",
			"The package exfiltrated environment variables from %[2]d CI runs.",
			"Provenance checks were planned but not enforced for internal images."}},
		{"SQL injection in the reporting filter", "injection", []string{
			"A reporting filter of %[1]s passed user input into a query, and an attacker dumped a table of order ids.",
			"The ORM was bypassed for a performance fix %[2]d months earlier.",
			"The DAST scan excluded the reporting pages because they needed a login."}},
	}
	genCommon = []string{
		"The on-call engineer was paged by the %[1]s alert and acknowledged within %[2]d minutes.",
		"Detection took %[2]d minutes because the alert threshold was tuned for traffic, not for errors.",
		"The runbook for %[1]s did not mention the rollback step, which cost time.",
		"Logs from %[1]s were retained for seven days only, which limited the investigation.",
		"The %[4]s team applied the fix after %[2]d hours.",
		"Requests to %[1]s failed for %[2]d minutes while the fix was deployed.",
		"The incident channel was opened quickly and roles were clear; the scribe kept the timeline.",
		"Backups of %[1]s were verified and no data was altered.",
		"The vendor status page showed no problem while %[1]s was degraded.",
		"Customer support was told within %[2]d minutes and used the prepared statement.",
		"Two responders worked on the same fix without knowing it.",
		"The dashboard for %[1]s had no panel for authentication failures.",
	}
)

type genIncident struct {
	title, tag string
	specific   []string
}

func (g *retroGen) pick(l []string) string { return l[g.r.IntN(len(l))] }

func (g *retroGen) service() string { return g.pick(genSystems) + "-" + g.pick(genKinds) }

// text writes n sentences about one incident: mostly its own, some
// common to all reviews, all about the same service, CVE and team.
func (g *retroGen) text(inc genIncident, svc, cve, team string, n int) string {
	var parts []string
	for range n {
		s := g.pick(inc.specific)
		if g.r.IntN(2) == 0 {
			s = g.pick(genCommon)
		}
		parts = append(parts, fmt.Sprintf(s, svc, 1+g.r.IntN(120), cve, team))
	}
	return strings.Join(parts, " ")
}

func (g *retroGen) retro(i int) *retro.Retrospective {
	inc := genIncidents[g.r.IntN(len(genIncidents))]
	svcs := []string{g.service()}
	if g.r.IntN(3) == 0 {
		svcs = append(svcs, g.service())
	}
	cve, team := g.pick(genCVEs), g.pick(genTeams)
	created := retroT0.Add(-time.Duration(g.r.IntN(730*24)) * time.Hour)
	sum := retro.IncidentSummary{ID: fmt.Sprintf("INC-%d", i+1), Title: inc.title + " (" + svcs[0] + ")", Severity: g.pick(genSev), Kind: "security", Services: svcs}
	r := retro.New(nil, sum, created)
	r.Tags = append(r.Tags, inc.tag)
	if g.r.IntN(4) == 0 {
		r.Tags = append(r.Tags, genIncidents[g.r.IntN(len(genIncidents))].tag)
	}
	r.Authors = []string{team}
	text := func(n int) string { return g.text(inc, svcs[0], cve, team, n) }
	bullets := func(n int) string {
		var b []string
		for range n {
			b = append(b, "- "+text(2))
		}
		return strings.Join(b, "\n")
	}
	bodies := map[string]string{
		retro.KeySummary:       text(4),
		retro.KeyImpact:        text(4),
		retro.KeyDetection:     text(4),
		"response":             text(5) + "\n\n" + text(4),
		"contributing_factors": bullets(5),
		"what_went_well":       bullets(3),
		"what_went_poorly":     bullets(3),
	}
	var rows strings.Builder
	rows.WriteString("| Time (UTC) | Kind | Actor | Entry |\n| --- | --- | --- | --- |\n")
	for j := range 6 + g.r.IntN(10) {
		fmt.Fprintf(&rows, "| %s | note | %s | %s |\n", created.Add(time.Duration(j*7)*time.Minute).Format(time.DateTime), team, text(1))
	}
	bodies[retro.KeyTimeline] = rows.String()
	for k, v := range bodies {
		r.Section(k).Body = v
	}
	for j := range 1 + g.r.IntN(4) {
		due := created.Add(time.Duration(7+g.r.IntN(60)) * 24 * time.Hour)
		r.ActionItems = append(r.ActionItems, retro.ActionItem{ID: fmt.Sprintf("AI-%d", j+1), Title: "Follow up: " + text(1),
			Owner: team, Status: retro.Statuses[g.r.IntN(len(retro.Statuses))], DueAt: &due, CreatedAt: created})
	}
	if g.r.IntN(10) < 7 {
		pub := created.Add(72 * time.Hour)
		r.State, r.PublishedAt = retro.StatePublished, &pub
	}
	r.Normalize()
	return r
}
