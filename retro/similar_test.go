package retro

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	for in, want := range map[string][]string{
		"The attacker exploited CVE-2024-3094 in xz":     {"attacker", "exploited", "cve-2024-3094", "xz"},
		"GHSA-jfh8-c2jp-5v3q and CWE-79, GO-2022-0969":   {"ghsa-jfh8-c2jp-5v3q", "cwe-79", "go-2022-0969"},
		"Leaked credentials; the credential was rotated": {"leaked", "credential", "credential", "rotated"},
		"T1078.004 valid accounts from 203.0.113.7":      {"t1078.004", "valid", "account", "203.0.113.7"},
		"Policies, status, access, DNS":                  {"policy", "status", "access", "dns"},
		"at 10:45 on 2025-03-04 port 443":                {"port"},
		"Überprüfung des Zertifikats":                    {"überprüfung", "des", "zertifikat"},
		"":                                               nil,
	} {
		if got := Tokenize(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Tokenize(%q) = %q, want %q", in, got, want)
		}
	}
}

// corpus is a small library of past incidents and retrospectives.
func corpus() []Doc {
	return []Doc{
		{ID: "R-1", Kind: DocRetrospective, Title: "CI token leaked in build logs", Severity: "SEV2", Services: []string{"ci", "registry"},
			Tags: []string{"credentials", "security"}, Text: "A deploy token was printed in a public build log and used to push a package to the registry. Token rotated."},
		{ID: "R-2", Kind: DocRetrospective, Title: "xz backdoor in base image", Severity: "SEV1", Services: []string{"base-images"},
			Tags: []string{"supply-chain", "security"}, Text: "CVE-2024-3094 in liblzma shipped in our base image; rebuilt every image."},
		{ID: "R-3", Kind: DocRetrospective, Title: "Checkout latency after database failover", Severity: "SEV2", Services: []string{"checkout"},
			Tags: []string{"reliability"}, Text: "Database failover took 20 minutes; checkout latency rose; connection pool exhausted."},
		{ID: "I-4", Kind: DocIncident, Title: "Registry token used from unknown address", Severity: "SEV3", Services: []string{"registry"},
			Tags: []string{"security"}, Text: "Canary token used from 203.0.113.7 against the registry."},
		{ID: "R-5", Kind: DocRetrospective, Title: "Expired TLS certificate on the edge", Severity: "SEV3", Services: []string{"edge"},
			Tags: []string{"tls"}, Text: "The certificate expired; renewal job had been failing silently."},
	}
}

func TestSimilar(t *testing.T) {
	target := IncidentSummary{ID: "INC-99", Title: "Package registry token leaked", Severity: "SEV2", Kind: "security",
		Services: []string{"registry"}, Timeline: []TimelineEntry{{Text: "Token found in a public build log; rotated the token."}}}.Doc()
	got := Similar(target, corpus(), 3)
	var ids []string
	for _, m := range got {
		ids = append(ids, m.Doc.ID)
	}
	if want := []string{"R-1", "I-4", "R-2"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ranking = %v, want %v\n%+v", ids, want, got)
	}
	best := got[0]
	if best.Score <= got[1].Score || best.Score > 1 || got[2].Score < MinScore {
		t.Fatalf("scores %v %v %v", got[0].Score, got[1].Score, got[2].Score)
	}
	reasons := strings.Join(best.Reasons, "; ")
	for _, want := range []string{"common terms: token", "same services: registry", "same tags: security", "same severity SEV2"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("reasons %q lack %q", reasons, want)
		}
	}
	// The database incident shares only the severity: not a suggestion.
	for _, m := range Similar(target, corpus(), 0) {
		if m.Doc.ID == "R-3" {
			t.Fatalf("R-3 matched on severity alone: %+v", m)
		}
	}
}

// A CVE id is one term: two reviews of the same CVE match on it.
func TestSimilarByCVE(t *testing.T) {
	target := Doc{ID: "new", Kind: DocIncident, Title: "Scanner flags CVE-2024-3094 on build hosts"}
	got := Similar(target, corpus(), 1)
	if len(got) != 1 || got[0].Doc.ID != "R-2" || !strings.Contains(got[0].Reasons[0], "cve-2024-3094") {
		t.Fatalf("%+v", got)
	}
}

func TestSimilarDeterministic(t *testing.T) {
	target := Doc{ID: "x", Kind: DocIncident, Title: "token leaked", Severity: "SEV2", Services: []string{"registry", "ci"}, Tags: []string{"security"}}
	docs := corpus()
	// Ties are broken by kind and id, whatever the corpus order.
	docs = append(docs, Doc{ID: "R-0", Kind: DocRetrospective, Title: "CI token leaked in build logs", Severity: "SEV2", Services: []string{"ci", "registry"},
		Tags: []string{"credentials", "security"}, Text: docs[0].Text})
	want := Similar(target, docs, 0)
	if want[0].Doc.ID != "R-0" || want[1].Doc.ID != "R-1" || want[0].Score != want[1].Score {
		t.Fatalf("tie: %+v", want[:2])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
		if got := Similar(target, docs, 0); !reflect.DeepEqual(got, want) {
			t.Fatalf("order-dependent result:\n%+v\n%+v", got, want)
		}
	}
}

func TestSimilarEdges(t *testing.T) {
	docs := corpus()
	if got := Similar(Doc{ID: "R-1", Kind: DocRetrospective, Title: docs[0].Title, Services: docs[0].Services}, docs, 0); slices.ContainsFunc(got, func(m Match) bool { return m.Doc.ID == "R-1" }) {
		t.Fatal("the target matched itself")
	}
	if got := Similar(Doc{Title: "anything"}, nil, 5); got != nil {
		t.Fatalf("empty corpus: %v", got)
	}
	if got := Similar(Doc{}, docs, 5); got != nil {
		t.Fatalf("empty target: %v", got)
	}
	if got := Similar(Doc{Title: "token", Services: []string{"registry"}}, docs, 1); len(got) != 1 {
		t.Fatalf("k=1: %d matches", len(got))
	}
	// Adjacent SEVn levels count half.
	if severityCloseness("SEV2", "sev-3") != 0.5 || severityCloseness("SEV1", "SEV3") != 0 || severityCloseness("high", "High") != 1 {
		t.Fatal("severityCloseness")
	}
}

func TestRetrospectiveDoc(t *testing.T) {
	d := published(t).Doc()
	if d.ID != "RETRO-7" || d.Kind != DocRetrospective || d.Severity != "SEV2" || !strings.Contains(d.Text, "canary") {
		t.Fatalf("%+v", d)
	}
}
