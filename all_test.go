package palisade_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// forbidden are modules Palisade must not depend on, even indirectly: cgo
// SQLite drivers (the build must stay pure Go), assertion libraries (tests
// use the standard library), and others we chose against in DESIGN.md.
var forbidden = map[string]string{
	"github.com/mattn/go-sqlite3":          "cgo SQLite; use modernc.org/sqlite",
	"github.com/stretchr/testify":          "tests use the standard library",
	"github.com/gorilla/mux":               "routes use net/http ServeMux",
	"github.com/gin-gonic/gin":             "routes use net/http ServeMux",
	"gopkg.in/yaml.v2":                     "YAML uses github.com/goccy/go-yaml",
	"github.com/sirupsen/logrus":           "logs use log/slog",
	"go.uber.org/zap":                      "logs use log/slog",
	"github.com/lib/pq":                    "PostgreSQL uses pgx",
	"github.com/golang-migrate/migrate/v4": "migrations use goose",
}

func TestNoForbiddenDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", "-f", "{{with .Module}}{{.Path}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, m := range strings.Fields(string(out)) {
		if why, bad := forbidden[m]; bad {
			t.Errorf("forbidden dependency %s: %s", m, why)
		}
	}
}

func TestGoModTidy(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	out, err := exec.Command("go", "mod", "tidy", "-diff").CombinedOutput()
	if err != nil {
		t.Fatalf("go.mod or go.sum is not tidy; run 'go mod tidy':\n%s", out)
	}
}

func TestNoMachinePathsInRepo(t *testing.T) {
	out, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	for _, f := range strings.Fields(string(out)) {
		if strings.HasSuffix(f, ".png") || strings.HasPrefix(f, "testdata/") || strings.Contains(f, "/testdata/") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, p := range machinePaths {
			if strings.Contains(string(b), p) {
				t.Errorf("%s mentions the machine path %s", f, p)
			}
		}
	}
}

// machinePaths are directories of the development machine that must not
// appear in the project. They are joined at run time so that this file
// does not hold them either.
var machinePaths = []string{"/" + "work/", "/" + "tmp/bash_jobs", "/" + "root/"}
