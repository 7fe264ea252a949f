package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-project/palisade/store/storetest"
)

const retroConfig = `
teams:
  - name: platform
services:
  - name: ci
    team: platform
    tier: 1
`

// TestRetrospectivesFromTheCLI follows a retrospective from the incident
// to the library through a server, then reads it on the database directly.
func TestRetrospectivesFromTheCLI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "palisade.yaml")
		if err := os.WriteFile(cfg, []byte(retroConfig), 0o600); err != nil {
			t.Fatal(err)
		}
		a := startApp(t, dsn, map[string]string{"PALISADE_ADMIN_TOKEN": adminToken}, "--config", cfg)
		srv := map[string]string{"PALISADE_SERVER": a.url, "PALISADE_TOKEN": adminToken}
		try := func(stdin string, args ...string) (int, string, string) {
			t.Helper()
			return cli(t, srv, stdin, args...)
		}
		ok := func(stdin string, args ...string) string {
			t.Helper()
			code, out, errOut := try(stdin, args...)
			if code != 0 {
				t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
			}
			return out
		}

		var inc struct{ ID string }
		json.Unmarshal([]byte(ok("", "incident", "open", "--title", "Deploy token leaked in build log", "--service", "ci", "--severity", "SEV2", "--format", "json")), &inc)
		id := strings.TrimSpace(ok("", "retro", "open", inc.ID))
		if !strings.HasPrefix(id, "RETRO-") {
			t.Fatalf("open printed %q", id)
		}
		// One retrospective per incident, unless forced.
		if code, _, errOut := try("", "retrospective", "open", inc.ID); code != 2 || !strings.Contains(errOut, id) {
			t.Fatalf("second open: %d %s", code, errOut)
		}

		summary := "A deploy token leaked through a **build log** that was world-readable.\n\n| when | what |\n| --- | --- |\n| 09:00 | leaked |\n"
		ok(summary, "retro", "edit", id, "--section", "summary", "--file", "-", "--tag", "Credentials", "--tag", "supply-chain")
		if code, _, errOut := try("", "retro", "edit", id, "--section", "summary"); code != 2 || !strings.Contains(errOut, "--file") {
			t.Fatalf("--section without --file: %d %s", code, errOut)
		}
		if code, _, errOut := try("x", "retro", "edit", id, "--section", "no_such", "--file", "-"); code != 2 || !strings.Contains(errOut, "no_such") {
			t.Fatalf("unknown section: %d %s", code, errOut)
		}
		if item := strings.TrimSpace(ok("", "retro", "action", "add", id, "--title", "Mask v2 tokens in build logs", "--owner", "platform", "--due", "2026-06-01",
			"--tracker", "https://tracker.example.com/browse/OPS-7")); item != "AI-1" {
			t.Fatalf("action add printed %q", item)
		}
		if code, _, errOut := try("", "retro", "action", "add", id, "--title", "No owner"); code != 2 || !strings.Contains(errOut, "--owner") {
			t.Fatalf("action without owner: %d %s", code, errOut)
		}

		out := ok("", "retro", "show", id)
		for _, want := range []string{id + " Deploy token leaked in build log", "## Summary (summary)", summary[:40], "| 09:00 | leaked |",
			"## Response (response)", "(empty)", "credentials, supply-chain", "Mask v2 tokens in build logs", "AI-1", "2026-06-01"} {
			if !strings.Contains(out, want) {
				t.Fatalf("show lacks %q:\n%s", want, out)
			}
		}
		var doc struct {
			State    string
			Sections []struct{ Key, Body string }
		}
		json.Unmarshal([]byte(ok("", "retro", "show", id, "--format", "json")), &doc)
		if doc.State != "draft" || len(doc.Sections) == 0 {
			t.Fatalf("show json: %+v", doc)
		}

		// A draft is reviewed before it is published; publishing with empty
		// sections is refused with every reason and the command to fix it.
		if code, _, errOut := try("", "retro", "state", id, "published"); code != 2 || !strings.Contains(errOut, "in_review first") {
			t.Fatalf("publish a draft: %d %s", code, errOut)
		}
		if out := ok("", "retro", "state", id, "in_review"); !strings.Contains(out, "in_review") {
			t.Fatalf("to review: %s", out)
		}
		code, _, errOut := try("", "retro", "state", id, "published")
		var empty []string
		for _, s := range doc.Sections {
			if s.Body == "" && s.Key != "action_items" && s.Key != "where_we_got_lucky" {
				empty = append(empty, s.Key)
			}
		}
		if code != 2 || len(empty) < 2 || strings.Count(errOut, "palisade:") != len(empty) {
			t.Fatalf("publish with %d empty sections %v: exit %d\n%s", len(empty), empty, code, errOut)
		}
		for _, k := range empty {
			if !strings.Contains(errOut, "--section "+k+" --file") {
				t.Fatalf("refusal does not say how to write %s:\n%s", k, errOut)
			}
			ok("Written for "+k+".\n", "retro", "edit", id, "--section", k, "--file", "-")
		}
		ok("", "retro", "state", id, "published")
		if code, _, errOut := try("x", "retro", "edit", id, "--title", "New"); code != 2 || !strings.Contains(errOut, "read-only") {
			t.Fatalf("edit a published retrospective: %d %s", code, errOut)
		}

		out = ok("", "retro", "list", "--query", `"build log" -canary`, "--state", "published", "--service", "ci")
		if !strings.Contains(out, id) || !strings.Contains(out, "Deploy token leaked") || !strings.Contains(out, "SNIPPET") {
			t.Fatalf("search:\n%s", out)
		}
		var page struct {
			Items []struct {
				ID      string
				Snippet []struct {
					Text  string
					Match bool
				}
			}
		}
		json.Unmarshal([]byte(ok("", "retro", "list", "--query", "leak*", "--format", "json")), &page)
		if len(page.Items) != 1 || page.Items[0].ID != id || len(page.Items[0].Snippet) == 0 {
			t.Fatalf("search json: %+v", page)
		}
		if out := ok("", "retro", "list", "--query", "canary"); strings.Contains(out, id) {
			t.Fatalf("search for an absent word found it:\n%s", out)
		}
		if code, _, errOut := try("", "retro", "list", "--query", "service:ci", "--service", "web"); code != 2 || !strings.Contains(errOut, "service") {
			t.Fatalf("conflicting filters: %d %s", code, errOut)
		}

		md := ok("", "retro", "export", id)
		if !strings.Contains(md, "world-readable") || !strings.Contains(md, "Mask v2 tokens in build logs") {
			t.Fatalf("export:\n%s", md)
		}
		html := filepath.Join(dir, id+".html")
		ok("", "retro", "export", id, "--format", "html", "-o", html)
		if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "Content-Security-Policy") || !strings.Contains(string(b), "world-readable") {
			t.Fatalf("html export: %v\n%.400s", err, b)
		}

		// Action items change after publication; the list shows them across
		// retrospectives.
		if out := ok("", "retro", "actions", "--owner", "platform"); !strings.Contains(out, "AI-1") || !strings.Contains(out, id) || !strings.Contains(out, inc.ID) {
			t.Fatalf("actions:\n%s", out)
		}
		if out := ok("", "retro", "action", "update", id, "AI-1", "--status", "done", "--due", "none"); !strings.Contains(out, "done") {
			t.Fatalf("action update:\n%s", out)
		}
		if out := ok("", "retro", "actions", "--open"); strings.Contains(out, "AI-1") {
			t.Fatalf("a done item is listed as open:\n%s", out)
		}

		// Reopening needs a reason.
		if code, _, errOut := try("", "retro", "state", id, "in_review"); code != 2 || !strings.Contains(errOut, "reason") {
			t.Fatalf("reopen without a reason: %d %s", code, errOut)
		}
		ok("", "retro", "state", id, "in_review", "--reason", "the timeline missed the first alert")
		ok("", "retro", "state", id, "published")

		// The same commands work on the database directly.
		a.stop()
		local := map[string]string{"PALISADE_DB": dsn}
		code, out, errOut = cli(t, local, "", "retro", "list", "--query", "token", "--format", "markdown")
		if code != 0 || !strings.Contains(out, "| "+id+" | published |") || !strings.Contains(out, "**") {
			t.Fatalf("local list: %d %s %s", code, out, errOut)
		}
		code, out, errOut = cli(t, local, "", "retro", "actions", "--status", "done", "--format", "json")
		if code != 0 || !strings.Contains(out, `"AI-1"`) {
			t.Fatalf("local actions: %d %s %s", code, out, errOut)
		}
		code, out, errOut = cli(t, local, "## Lucky\nThe token had no write scope.\n", "retro", "edit", id, "--section", "where_we_got_lucky", "--file", "-")
		if code != 2 || !strings.Contains(errOut, "read-only") {
			t.Fatalf("local edit of a published retrospective: %d %s %s", code, out, errOut)
		}
		if code, out, errOut = cli(t, local, "", "retro", "show", id, "--format", "markdown"); code != 0 || !strings.Contains(out, "| state | published |") {
			t.Fatalf("local show: %d %s %s", code, out, errOut)
		}
	})
}
