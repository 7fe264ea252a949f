// Command gencatalog writes a generated catalog as palisade.yaml, for load
// tests: go run ./tools/gencatalog -services 5000 -teams 500 > big.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"

	"github.com/palisade-project/palisade/internal/catalogtest"
)

func main() {
	teams := flag.Int("teams", 500, "number of teams")
	services := flag.Int("services", 5000, "number of services")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *teams < 1 || *services < 1 {
		fmt.Fprintln(os.Stderr, "gencatalog: -teams and -services must be positive")
		os.Exit(2)
	}
	out, err := yaml.Marshal(catalogtest.Generate(*teams, *services, *seed))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencatalog:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
