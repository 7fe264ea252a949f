package openslo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestScratch(t *testing.T) {
	in := "a: 1\nb: 0.98\nc: 2022-01-01 12:00:00\nd: \"x\"\ne: [1, 2]\nf: 99.9\ng: 1e3\nh: 0x10\n---\n- x: &a {k: v}\n  y: *a\n---\n"
	dec := yaml.NewDecoder(bytes.NewReader([]byte(in)))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%#v\n", v)
	}
	// billion laughs
	var b strings.Builder
	b.WriteString("a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	var v any
	err := yaml.Unmarshal([]byte(b.String()), &v)
	fmt.Println("laughs", err, time.Since(start))
	// json
	err = yaml.Unmarshal([]byte("{\n\t\"a\": [1,\n\t2]}"), &v)
	fmt.Printf("json %v %#v\n", err, v)
	out, _ := yaml.MarshalWithOptions(map[string]any{"expr": "a\nb\n", "z": "x: y", "labels": map[string]string{"b": "1", "a": "2"}, "n": 0.9990000000000001}, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(false))
	fmt.Println(string(out))
}
