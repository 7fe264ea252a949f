// Package testenv decides what tests do when something they need from
// outside the project (a PostgreSQL server, Chromium, the shared corpora)
// is missing: skip with a message on a developer's machine, fail in CI,
// where PALISADE_REQUIRE_INTEGRATION=1 says everything must be there.
package testenv

import (
	"os"
	"testing"
)

// Required reports whether missing integration dependencies fail tests.
func Required() bool { return os.Getenv("PALISADE_REQUIRE_INTEGRATION") == "1" }

// Missing skips t (or fails it under PALISADE_REQUIRE_INTEGRATION=1)
// because what is not available, and explains how to provide it.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (PALISADE_REQUIRE_INTEGRATION=1) but missing: %s", what, how)
	}
	t.Skipf("skipping: %s is not available (%s)", what, how)
}

// Corpus returns the path of a folder of the shared corpora, relative to
// a package directory one level below the project root, or calls Missing.
func Corpus(t testing.TB, name string) string {
	t.Helper()
	for _, p := range []string{"../../shared/corpora/" + name, "../../../shared/corpora/" + name} {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
	}
	Missing(t, "corpus "+name, "expected ../shared/corpora next to the project checkout")
	return ""
}
