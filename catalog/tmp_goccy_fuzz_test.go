package catalog

import (
	"testing"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
)

func FuzzGoccyTmp(f *testing.F) {
	addSeeds(f, "testdata")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 { return }
		tks := lexer.Tokenize(string(data))
		if tks.InvalidToken() != nil { return }
		tks = dropEmptyDocuments(tks)
		r := &yamlReader{file: "f"}
		if r.checkParseCost(tks, len(data)) != nil { return }
		f, err := parser.Parse(tks, 0)
		if err == nil { lostContent(tks, f) }
	})
}
