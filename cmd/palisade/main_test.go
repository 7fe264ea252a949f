package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade/store/storetest"
)

const adminToken = "pal_test-admin-token-0123456789abcdefghijklmnop"

// app is a palisade process run in the test: the whole binary booted on a
// random port with a fresh database, as a user would run it.
type app struct {
	t      *testing.T
	url    string
	dsn    string
	cancel context.CancelFunc
	done   chan int
	stdout *syncBuffer
	stderr *syncBuffer
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func testGetenv(extra map[string]string) func(string) string {
	return func(k string) string { return extra[k] }
}

func startApp(t *testing.T, dsn string, vars map[string]string, args ...string) *app {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &app{t: t, dsn: dsn, cancel: cancel, done: make(chan int, 1), stdout: newSyncBuffer(), stderr: newSyncBuffer()}
	ready := make(chan string, 1)
	e := &env{getenv: testGetenv(vars), stdin: strings.NewReader(""), stdout: a.stdout, stderr: a.stderr, onReady: func(addr string) { ready <- addr }}
	go func() {
		root := e.rootCmd()
		root.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn"}, args...))
		root.SetOut(a.stdout)
		root.SetErr(a.stderr)
		_, err := root.ExecuteContextC(ctx)
		a.done <- exitCode(err, a.stderr)
	}()
	select {
	case addr := <-ready:
		a.url = "http://" + addr
	case code := <-a.done:
		t.Fatalf("serve exited with %d before listening: %s", code, a.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start within 30 s")
	}
	t.Cleanup(func() { a.stop() })
	return a
}

// stop sends the equivalent of SIGTERM and returns the exit code.
func (a *app) stop() int {
	a.cancel()
	select {
	case code := <-a.done:
		a.done <- code
		return code
	case <-time.After(30 * time.Second):
		a.t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	return -1
}

func (a *app) request(method, path, token, contentType string, body io.Reader) (*http.Response, []byte) {
	a.t.Helper()
	req, err := http.NewRequest(method, a.url+path, body)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// cli runs one CLI command in-process and returns its exit code and output.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, testGetenv(env), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestServeEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		a := startApp(t, dsn, map[string]string{"PALISADE_ADMIN_TOKEN": adminToken}, "--config", "../../examples/palisade.yaml")

		// The catalog from the example config is there.
		resp, body := a.request("GET", "/api/v1/services?limit=5", adminToken, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET services: %d %s", resp.StatusCode, body)
		}
		var page struct {
			Items []struct {
				Name      string   `json:"name"`
				Team      string   `json:"team"`
				Tier      int      `json:"tier"`
				DependsOn []string `json:"dependsOn"`
			} `json:"items"`
			Next string `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 5 || page.Next == "" || page.Items[0].Name != "api-gateway" || page.Items[0].Team != "platform-team" || len(page.Items[0].DependsOn) != 3 {
			t.Fatalf("services page = %s", body)
		}

		// No token, bad token.
		if resp, _ := a.request("GET", "/api/v1/services", "", "", nil); resp.StatusCode != 401 {
			t.Errorf("no token: %d", resp.StatusCode)
		}
		if resp, _ := a.request("GET", "/api/v1/services", "pal_wrong", "", nil); resp.StatusCode != 401 {
			t.Errorf("bad token: %d", resp.StatusCode)
		}

		// The CLI against the server: create a viewer token, use it.
		srv := map[string]string{"PALISADE_SERVER": a.url, "PALISADE_TOKEN": adminToken}
		code, out, errOut := cli(t, srv, "", "token", "create", "dash", "--role", "viewer", "--format", "json")
		if code != 0 {
			t.Fatalf("token create: %d %s", code, errOut)
		}
		var created struct{ Secret string }
		json.Unmarshal([]byte(out), &created)
		if resp, _ := a.request("POST", "/api/v1/apply", created.Secret, "application/yaml", strings.NewReader("teams: []\n")); resp.StatusCode != 403 {
			t.Errorf("viewer apply: %d, want 403", resp.StatusCode)
		}

		// Apply through the CLI with an invalid file: exit 2, nothing changed.
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("services:\n  - name: x\n    team: nobody\n"), 0o600)
		code, _, errOut = cli(t, srv, "", "apply", "-f", bad)
		if code != 2 || !strings.Contains(errOut, `unknown team "nobody"`) {
			t.Errorf("apply bad file: exit %d, stderr %q", code, errOut)
		}

		code, out, errOut = cli(t, srv, "", "audit", "verify")
		if code != 0 || !strings.Contains(out, "intact") {
			t.Errorf("audit verify: %d %s %s", code, out, errOut)
		}
		code, out, _ = cli(t, srv, "", "audit", "log", "--kind", "token", "--format", "json")
		if code != 0 || !strings.Contains(out, `"token.create"`) {
			t.Errorf("audit log: %d %s", code, out)
		}

		for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/v1/openapi.json": 200, "/api/v1/nope": 404} {
			resp, body := a.request("GET", path, "", "", nil)
			if resp.StatusCode != want {
				t.Errorf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, body)
			}
			if path == "/metrics" && (!strings.Contains(string(body), `palisade_http_requests_total{code="200",method="GET",route="GET /api/v1/services"}`) ||
				!strings.Contains(string(body), "palisade_build_info") || !strings.Contains(string(body), "go_sql_open_connections")) {
				t.Errorf("metrics lack request counts, build info or pool stats:\n%.2000s", body)
			}
		}
		if code := a.stop(); code != 0 {
			t.Errorf("serve exit code after SIGTERM = %d: %s", code, a.stderr.String())
		}
	})
}

func TestFirstStartPrintsAdminTokenOnce(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	a := startApp(t, dsn, nil)
	if !strings.Contains(a.stdout.String(), "Created the first admin token") {
		t.Fatalf("first start did not print the token: %s", a.stdout.String())
	}
	if strings.Contains(a.stderr.String(), "pal_") {
		t.Fatalf("the token reached the log: %s", a.stderr.String())
	}
	a.stop()
	b := startApp(t, dsn, nil)
	if strings.Contains(b.stdout.String(), "Created the first admin token") {
		t.Fatalf("second start printed a token again: %s", b.stdout.String())
	}
}

func TestCLIExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	local := map[string]string{"PALISADE_DB": db}
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		err   string
	}{
		{"unknown command", []string{"frobnicate"}, "", 2, "unknown command"},
		{"unknown flag", []string{"apply", "--nope"}, "", 2, "unknown flag"},
		{"nothing to apply", []string{"apply"}, "", 2, "nothing to apply"},
		{"missing file", []string{"apply", "-f", filepath.Join(dir, "none.yaml")}, "", 2, "no such file"},
		{"bad yaml", []string{"apply", "-f", "-"}, "teams: [\n", 2, "<stdin>:"},
		{"apply", []string{"apply", "-f", "../../examples/palisade.yaml"}, "", 0, ""},
		{"apply stdin", []string{"apply", "-f", "-", "--format", "json"}, "teams:\n  - name: extra\n", 0, ""},
		{"bad format", []string{"token", "list", "--format", "xml"}, "", 2, "--format"},
		{"bad role", []string{"token", "create", "x", "--role", "god"}, "", 2, "unknown role"},
		{"missing role", []string{"token", "create", "x"}, "", 2, "required flag"},
		{"token", []string{"token", "create", "ci", "--role", "editor", "--expires", "90d"}, "", 0, ""},
		{"revoke unknown", []string{"token", "revoke", "nobody"}, "", 2, "no active token"},
		{"verify", []string{"audit", "verify"}, "", 0, ""},
		{"bad expect", []string{"audit", "verify", "--expect", "x"}, "", 2, "SEQ:HASH"},
		{"version", []string{"version"}, "", 0, ""},
		{"server without token", []string{"token", "list", "--server", "http://127.0.0.1:1"}, "", 2, "needs a token"},
		{"unreachable server", []string{"token", "list", "--server", "http://127.0.0.1:1", "--token", "x"}, "", 2, "cannot reach"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := cli(t, local, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.err) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tc.code, errOut, tc.err, out)
			}
			if tc.code == 2 && strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("error is not one clear line: %q", errOut)
			}
		})
	}
	// Tamper with the audit log: verify exits 1 naming the entry.
	code, _, _ := cli(t, local, "", "audit", "verify")
	if code != 0 {
		t.Fatal("verify before tamper failed")
	}
	sqlDB := openRaw(t, db)
	if _, err := sqlDB.Exec(`UPDATE audit_log SET object = 'forged' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := cli(t, local, "", "audit", "verify")
	if code != 1 || !strings.Contains(errOut, "audit entry 3") {
		t.Fatalf("verify after tamper: exit %d, stderr %q", code, errOut)
	}
}
