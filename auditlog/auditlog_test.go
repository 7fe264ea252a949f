package auditlog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/palisade-project/palisade"
)

var actor = palisade.Actor{Kind: "token", Name: "ci", Role: palisade.RoleEditor, Address: "192.0.2.7", RequestID: "r1"}

func chain(t *testing.T, n int) []Entry {
	t.Helper()
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	var out []Entry
	head := Head{Hash: GenesisHash}
	for i := range n {
		e, err := NewEntry(head.Seq, head.Hash, at.Add(time.Duration(i)*time.Second), actor, Record{
			Action: "service.update", Kind: "service", Object: "checkout",
			Before: map[string]any{"tier": 2, "name": "checkout"}, After: map[string]any{"name": "checkout", "tier": 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		head = Head{Seq: e.Seq, Hash: e.Hash}
	}
	return out
}

// TestHashIsStable pins the encoding: changing it would make every
// existing audit log fail verification, so it must never change silently.
// The expected hash was computed independently of this code, from the
// encoding as docs/audit.md describes it (Python's hashlib and struct).
func TestHashIsStable(t *testing.T) {
	e := chain(t, 1)[0]
	if string(e.Before) != `{"name":"checkout","tier":2}` {
		t.Errorf("canonical before = %s", e.Before)
	}
	const want = "7af5b30ed940aa1e3764172cedb1d667f1f2ab8ebcf510f1c30f8ec1a26b9291"
	if e.Hash != want {
		t.Logf("hash = %s", e.Hash)
		t.Errorf("the audit hash encoding changed: got %s, want %s", e.Hash, want)
	}
}

func TestCanonicalize(t *testing.T) {
	for in, want := range map[string]string{
		`{"b": 1, "a": {"d": [1, 2.50, 1e3], "c": null}}`: `{"a":{"c":null,"d":[1,2.50,1e3]},"b":1}`,
		`null`:                          ``,
		`  `:                            ``,
		`"<&>"`:                         `"<&>"`,
		`12345678901234567890123456789`: `12345678901234567890123456789`,
	} {
		got, err := Canonicalize([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := Canonicalize([]byte(`{"a":`)); err == nil {
		t.Error("malformed JSON canonicalized")
	}
}

func TestVerifier(t *testing.T) {
	entries := chain(t, 5)
	headOf := func(es []Entry) Head { return Head{Seq: es[len(es)-1].Seq, Hash: es[len(es)-1].Hash} }
	verify := func(es []Entry, head Head, expect *Head) Result {
		v := NewVerifier(expect)
		for i := range es {
			v.Add(&es[i])
		}
		return v.Finish(head)
	}
	if r := verify(entries, headOf(entries), nil); !r.OK || r.Checked != 5 {
		t.Fatalf("intact chain: %+v", r)
	}
	if r := verify(nil, Head{Hash: GenesisHash}, nil); !r.OK {
		t.Fatalf("empty chain: %+v", r)
	}
	clone := func() []Entry { return append([]Entry(nil), entries...) }

	cases := []struct {
		name   string
		mutate func([]Entry) ([]Entry, Head)
		expect *Head
		seq    int64
		reason string
	}{
		{"edited actor", func(es []Entry) ([]Entry, Head) { es[2].Actor = "token:mallory"; return es, headOf(entries) }, nil, 3, "edited"},
		{"edited after", func(es []Entry) ([]Entry, Head) {
			es[1].After = json.RawMessage(`{"tier":4}`)
			return es, headOf(entries)
		}, nil, 2, "edited"},
		{"edited time", func(es []Entry) ([]Entry, Head) {
			es[0].At = es[0].At.Add(time.Microsecond)
			return es, headOf(entries)
		}, nil, 1, "edited"},
		{"removed middle", func(es []Entry) ([]Entry, Head) { return append(es[:2], es[3:]...), headOf(entries) }, nil, 3, "missing"},
		{"removed last", func(es []Entry) ([]Entry, Head) { return es[:4], headOf(entries) }, nil, 5, "missing"},
		{"swapped", func(es []Entry) ([]Entry, Head) {
			es[1], es[2] = es[2], es[1]
			es[1].Seq, es[2].Seq = 2, 3
			return es, headOf(entries)
		}, nil, 2, "previous-hash"},
		{"out of order", func(es []Entry) ([]Entry, Head) { es[1], es[2] = es[2], es[1]; return es, headOf(entries) }, nil, 2, "missing"},
		{"rewritten tail", func(es []Entry) ([]Entry, Head) {
			re, _ := NewEntry(es[3].Seq, es[3].Hash, es[4].At, actor, Record{Action: "x.y", Kind: "x", Object: "forged"})
			es[4] = re
			return es, Head{Seq: re.Seq, Hash: re.Hash}
		}, &Head{Seq: 5, Hash: entries[4].Hash}, 5, "recorded elsewhere"},
		{"truncated below expected head", func(es []Entry) ([]Entry, Head) { return es[:3], headOf(es[:3]) }, &Head{Seq: 5, Hash: entries[4].Hash}, 4, "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			es, head := tc.mutate(clone())
			r := verify(es, head, tc.expect)
			if r.OK || r.Problem == nil || r.Problem.Seq != tc.seq || !strings.Contains(r.Problem.Reason, tc.reason) {
				t.Fatalf("got %+v, want problem at %d (%s)", r.Problem, tc.seq, tc.reason)
			}
		})
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,"x",null,true]`, `{"b":{"a":[]}}`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(in)
		if err != nil || out == nil {
			return
		}
		// Canonical form is a fixed point.
		again, err := Canonicalize(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not idempotent: %s -> %s (%v)", out, again, err)
		}
	})
}
