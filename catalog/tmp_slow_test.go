package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSlowTmp(t *testing.T) {
	dir := os.Getenv("CORPUS")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		lines := strings.Split(string(b), "\n")
		if len(lines) < 2 { continue }
		s := strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
		data, err := strconv.Unquote(s)
		if err != nil { continue }
		start := time.Now()
		if strings.Contains(dir, "Backstage") { ParseBackstage("f.yaml", []byte(data)) } else if strings.Contains(dir, "JSON") { ParseJSON("f.json", []byte(data)) } else { ParseYAML("f.yaml", []byte(data)) }
		if d := time.Since(start); d > 50*time.Millisecond {
			fmt.Printf("%v %s len=%d %.200q\n", d, filepath.Base(f), len(data), data)
		}
	}
}
