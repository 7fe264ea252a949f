// Package auditlog is the tamper-evident record of every change: who did
// what, to which object, from where, with the object before and after. Each
// entry is chained to the one before by SHA-256, so editing, removing or
// reordering an entry breaks the chain at that point and Verify names it.
//
// The chain proves integrity against anyone who cannot recompute it; someone
// with write access to the database could rewrite the whole tail. To detect
// that too, record the head (Head) somewhere else from time to time and pass
// it to Verify.
package auditlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Record is a change as a capability describes it; the store turns it into
// an Entry by adding the actor, the time and the chain.
type Record struct {
	// Action is "<kind>.<verb>", such as "service.create" or "token.revoke".
	Action string
	// Kind and Object name the changed object ("service", "checkout").
	Kind   string
	Object string
	// Before and After are the object's state, marshalled to JSON; nil for
	// a create's Before and a delete's After. They must never hold secrets.
	Before any
	After  any
}

// Entry is one stored audit log entry.
type Entry struct {
	Seq       int64           `json:"seq"`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor"` // "kind:name"
	Role      palisade.Role   `json:"role"`
	Address   string          `json:"address"`
	RequestID string          `json:"requestId,omitempty"`
	Action    string          `json:"action"`
	Kind      string          `json:"kind"`
	Object    string          `json:"object"`
	Before    json.RawMessage `json:"before,omitempty"`
	After     json.RawMessage `json:"after,omitempty"`
	PrevHash  string          `json:"prevHash"`
	Hash      string          `json:"hash"`
}

// GenesisHash is the PrevHash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// NewEntry builds the entry that follows prev (seq, hash) for rec, made by
// actor at time at. It computes the canonical JSON of Before and After and
// the entry's hash.
func NewEntry(prevSeq int64, prevHash string, at time.Time, actor palisade.Actor, rec Record) (Entry, error) {
	e := Entry{
		Seq:       prevSeq + 1,
		At:        at.UTC().Truncate(time.Microsecond),
		Actor:     actor.String(),
		Role:      actor.Role,
		Address:   actor.Address,
		RequestID: actor.RequestID,
		Action:    rec.Action,
		Kind:      rec.Kind,
		Object:    rec.Object,
		PrevHash:  prevHash,
	}
	var err error
	if e.Before, err = canonicalJSON(rec.Before); err != nil {
		return Entry{}, fmt.Errorf("audit %s %s: before: %w", rec.Action, rec.Object, err)
	}
	if e.After, err = canonicalJSON(rec.After); err != nil {
		return Entry{}, fmt.Errorf("audit %s %s: after: %w", rec.Action, rec.Object, err)
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

// canonicalJSON marshals v and re-encodes it with sorted object keys and
// numbers kept as written, so that the same value always has the same bytes
// whichever engine stored it.
func canonicalJSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	return Canonicalize(raw)
}

// Canonicalize re-encodes JSON with object keys sorted, no insignificant
// space and numbers as written. "null" and empty input give nil.
func Canonicalize(raw []byte) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil { // maps marshal with sorted keys
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ComputeHash returns hex(SHA-256(prevHash || canonical encoding of e)). The
// encoding is each field in a fixed order, each as an 8-byte big-endian
// length followed by its bytes, so no two different entries encode alike.
func (e *Entry) ComputeHash() string {
	h := sha256.New()
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		prev = []byte(e.PrevHash) // a malformed stored hash still hashes deterministically
	}
	h.Write(prev)
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var seq [8]byte // not n: field overwrites n with the length
	binary.BigEndian.PutUint64(seq[:], uint64(e.Seq))
	field(seq[:])
	field([]byte(e.At.UTC().Format("2006-01-02T15:04:05.000000Z")))
	field([]byte(e.Actor))
	field([]byte(e.Role))
	field([]byte(e.Address))
	field([]byte(e.RequestID))
	field([]byte(e.Action))
	field([]byte(e.Kind))
	field([]byte(e.Object))
	field(e.Before)
	field(e.After)
	return hex.EncodeToString(h.Sum(nil))
}

// Head is the last entry's position in the chain.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Problem describes the first place where a chain is broken.
type Problem struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

func (p *Problem) Error() string { return fmt.Sprintf("audit entry %d: %s", p.Seq, p.Reason) }

// Verifier checks entries one at a time in the order they are stored.
type Verifier struct {
	prev    Head
	expect  *Head
	checked int64
	problem *Problem
}

// NewVerifier starts a verification at the genesis. expect, when not nil, is
// a head recorded elsewhere earlier: the chain must pass through it.
func NewVerifier(expect *Head) *Verifier {
	return &Verifier{prev: Head{Hash: GenesisHash}, expect: expect}
}

// Add checks the next entry. After the first problem it ignores the rest and
// returns that problem.
func (v *Verifier) Add(e *Entry) *Problem {
	if v.problem != nil {
		return v.problem
	}
	want := v.prev.Seq + 1
	switch {
	case e.Seq < want:
		v.problem = &Problem{Seq: e.Seq, Reason: fmt.Sprintf("out of order: found after entry %d", v.prev.Seq)}
	case e.Seq > want:
		v.problem = &Problem{Seq: want, Reason: fmt.Sprintf("missing: the chain jumps from entry %d to %d", v.prev.Seq, e.Seq)}
	case !strings.EqualFold(e.PrevHash, v.prev.Hash):
		v.problem = &Problem{Seq: e.Seq, Reason: "previous-hash link does not match the entry before it (entry removed, reordered or edited)"}
	case e.ComputeHash() != strings.ToLower(e.Hash):
		v.problem = &Problem{Seq: e.Seq, Reason: "content does not match its hash (entry edited)"}
	case v.expect != nil && e.Seq == v.expect.Seq && !strings.EqualFold(e.Hash, v.expect.Hash):
		v.problem = &Problem{Seq: e.Seq, Reason: "hash differs from the head recorded elsewhere (chain rewritten from here or before)"}
	default:
		v.prev = Head{Seq: e.Seq, Hash: strings.ToLower(e.Hash)}
		v.checked++
	}
	return v.problem
}

// Finish checks the end of the chain against head, the store's record of
// the last entry, and returns the result of the whole verification.
func (v *Verifier) Finish(head Head) Result {
	if v.problem == nil && (head.Seq != v.prev.Seq || !strings.EqualFold(head.Hash, v.prev.Hash)) {
		if head.Seq > v.prev.Seq {
			v.problem = &Problem{Seq: v.prev.Seq + 1, Reason: fmt.Sprintf("missing: the log ends at entry %d but its head records entry %d", v.prev.Seq, head.Seq)}
		} else {
			v.problem = &Problem{Seq: head.Seq, Reason: fmt.Sprintf("the head records entry %d with hash %.12s but the chain reaches entry %d", head.Seq, head.Hash, v.prev.Seq)}
		}
	}
	if v.problem == nil && v.expect != nil && v.expect.Seq > v.prev.Seq {
		v.problem = &Problem{Seq: v.prev.Seq + 1, Reason: fmt.Sprintf("missing: the head recorded elsewhere is entry %d but the log ends at entry %d", v.expect.Seq, v.prev.Seq)}
	}
	return Result{OK: v.problem == nil, Checked: v.checked, Head: v.prev, Problem: v.problem}
}

// Result is the outcome of a verification.
type Result struct {
	OK      bool     `json:"ok"`
	Checked int64    `json:"checked"`
	Head    Head     `json:"head"`
	Problem *Problem `json:"problem,omitempty"`
}
