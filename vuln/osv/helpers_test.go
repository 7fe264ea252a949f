package osv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-project/palisade/internal/testenv"
)

// sharedCorpus returns the path of a folder of the shared corpora next to
// the project checkout, or skips (fails under PALISADE_REQUIRE_INTEGRATION=1)
// when it is absent. testenv.Corpus looks one or two levels up; this
// package is three levels below the folder that holds shared/.
func sharedCorpus(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "corpora", name)
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return p
	}
	testenv.Missing(t, "corpus "+name, "expected ../shared/corpora/"+name+" next to the project checkout")
	return ""
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
