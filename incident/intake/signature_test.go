package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	palisade "github.com/palisade-project/palisade"
)

type signatureVectors struct {
	GitHub struct {
		Secret, Body, Header, Value string
	} `json:"github_x_hub_signature_256"`
	Stripe struct {
		Secret, Body, Value string
		SignedPayload       string `json:"signed_payload"`
	} `json:"stripe_signature"`
	PagerDuty struct {
		Secret, Body, Value string
	} `json:"pagerduty_v3_webhook"`
}

type standardVectors struct {
	Sign struct {
		Secret    string `json:"secret"`
		ID        string `json:"webhook_id"`
		Timestamp string `json:"webhook_timestamp"`
		Body      string `json:"body"`
		Signature string `json:"webhook_signature"`
	} `json:"reference_library_sign"`
	Invalid     string `json:"reference_library_invalid_signature"`
	SpecHeaders struct {
		ID        string `json:"webhook_id"`
		Timestamp string `json:"webhook_timestamp"`
		Signature string `json:"webhook_signature"`
	} `json:"spec_example_headers"`
}

func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	if err := json.Unmarshal(readTestdata(t, name), v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func githubSign(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(hmacSHA256([]byte(secret), body))
}

func TestVerifyGitHub(t *testing.T) {
	var v signatureVectors
	loadJSON(t, "signature-test-vectors.json", &v)
	if v.GitHub.Header != HeaderGitHubSignature {
		t.Fatalf("vector header %q, want %q", v.GitHub.Header, HeaderGitHubSignature)
	}
	body := []byte(v.GitHub.Body)
	right := Secret{ID: "current", Value: []byte(v.GitHub.Secret)}
	wrong := Secret{ID: "other", Value: []byte("It's a Secret to Nobody")}

	if got := githubSign(v.GitHub.Secret, body); got != v.GitHub.Value {
		t.Fatalf("the published vector does not reproduce: %s", got)
	}
	for _, tc := range []struct {
		name    string
		header  string
		body    []byte
		secrets []Secret
		field   string // "" means the delivery is accepted
		msg     string
	}{
		{"published vector", v.GitHub.Value, body, []Secret{right}, "", ""},
		{"upper-case hex", "sha256=" + strings.ToUpper(strings.TrimPrefix(v.GitHub.Value, "sha256=")), body, []Secret{right}, "", ""},
		{"rotation: second secret matches", v.GitHub.Value, body, []Secret{wrong, right}, "", ""},
		{"empty secret skipped", githubSign("", body), body, []Secret{{ID: "blank"}, right}, HeaderGitHubSignature, "does not match"},
		{"tampered body", v.GitHub.Value, []byte("Hello, World?"), []Secret{right}, HeaderGitHubSignature, "does not match the body"},
		{"wrong secret", v.GitHub.Value, body, []Secret{wrong}, HeaderGitHubSignature, "does not match"},
		{"missing header", "", body, []Secret{right}, HeaderGitHubSignature, "missing"},
		{"sha1 header", "sha1=" + strings.Repeat("0", 40), body, []Secret{right}, HeaderGitHubSignature, "malformed"},
		{"bare hex", strings.TrimPrefix(v.GitHub.Value, "sha256="), body, []Secret{right}, HeaderGitHubSignature, "malformed"},
		{"not hex", "sha256=" + strings.Repeat("z", 64), body, []Secret{right}, HeaderGitHubSignature, "malformed"},
		{"short", v.GitHub.Value[:40], body, []Secret{right}, HeaderGitHubSignature, "malformed"},
		{"no secrets", v.GitHub.Value, body, nil, HeaderGitHubSignature, "cannot be verified"},
		{"only empty secrets", githubSign("", body), body, []Secret{{ID: "blank"}}, HeaderGitHubSignature, "cannot be verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyGitHub(tc.header, tc.body, tc.secrets)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			checkErr(t, err, palisade.EUNAUTHORIZED, tc.field, tc.msg)
			if expected := githubSign(v.GitHub.Secret, tc.body); strings.Contains(err.Error(), expected[7:]) {
				t.Errorf("the error leaks the expected signature: %v", err)
			}
		})
	}
}

// The other HMAC vectors in the shared file are for schemes this package
// does not verify (Stripe, PagerDuty v3 webhooks); checking them keeps the
// copied data trustworthy for whoever implements those.
func TestSignatureVectorFileConsistent(t *testing.T) {
	var v signatureVectors
	loadJSON(t, "signature-test-vectors.json", &v)
	stripe := hex.EncodeToString(hmacSHA256([]byte(v.Stripe.Secret), []byte(v.Stripe.SignedPayload)))
	if !strings.HasSuffix(v.Stripe.Value, "v1="+stripe) || !strings.HasSuffix(v.Stripe.SignedPayload, "."+v.Stripe.Body) {
		t.Errorf("stripe vector: computed %s, file says %s", stripe, v.Stripe.Value)
	}
	pd := hex.EncodeToString(hmacSHA256([]byte(v.PagerDuty.Secret), []byte(v.PagerDuty.Body)))
	if v.PagerDuty.Value != "v1="+pd {
		t.Errorf("pagerduty vector: computed v1=%s, file says %s", pd, v.PagerDuty.Value)
	}
}

// standardSign signs like a Standard Webhooks sender, independently of the
// code under test.
func standardSign(secret, id, ts string, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func standardHeaders(id, ts, sig string) http.Header {
	h := http.Header{}
	for k, v := range map[string]string{HeaderWebhookID: id, HeaderWebhookTimestamp: ts, HeaderWebhookSignature: sig} {
		if v != "" {
			h.Set(k, v)
		}
	}
	return h
}

func TestVerifyStandardReferenceVector(t *testing.T) {
	var v standardVectors
	loadJSON(t, "standard-webhooks-vectors.json", &v)
	s := v.Sign
	if got := standardSign(s.Secret, s.ID, s.Timestamp, []byte(s.Body)); got != s.Signature {
		t.Fatalf("test signer disagrees with the reference library: %s vs %s", got, s.Signature)
	}
	sec, _ := strconv.ParseInt(s.Timestamp, 10, 64)
	now := time.Unix(sec, 0).Add(30 * time.Second)
	h := standardHeaders(s.ID, s.Timestamp, s.Signature)
	if err := VerifyStandard(h, []byte(s.Body), []Secret{{ID: "ref", Value: []byte(s.Secret)}}, now); err != nil {
		t.Fatalf("reference vector refused: %v", err)
	}
	// The reference libraries also take the secret without its prefix.
	bare := strings.TrimPrefix(s.Secret, "whsec_")
	if err := VerifyStandard(h, []byte(s.Body), []Secret{{ID: "bare", Value: []byte(bare)}}, now); err != nil {
		t.Errorf("secret without whsec_ refused: %v", err)
	}
}

func TestVerifyStandard(t *testing.T) {
	var v standardVectors
	loadJSON(t, "standard-webhooks-vectors.json", &v)
	const (
		oldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		newSecret = "whsec_QWxlcnRJbnRha2VSb3RhdGVkU2VjcmV0MjAyNg=="
		id        = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	)
	body := []byte(`{"type":"alert.triggered","timestamp":"2026-01-15T10:00:00Z","data":{"id":"a1"}}`)
	sent := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	ts := strconv.FormatInt(sent.Unix(), 10)
	good := standardSign(oldSecret, id, ts, body)
	current := []Secret{{ID: "2025", Value: []byte(oldSecret)}}
	rotated := []Secret{{ID: "2026", Value: []byte(newSecret)}, {ID: "2025", Value: []byte(oldSecret)}}

	for _, tc := range []struct {
		name    string
		h       http.Header
		body    []byte
		secrets []Secret
		now     time.Time
		field   string // "" means accepted
		msg     string
	}{
		{"valid", standardHeaders(id, ts, good), body, current, sent, "", ""},
		{"4m59s late", standardHeaders(id, ts, good), body, current, sent.Add(4*time.Minute + 59*time.Second), "", ""},
		{"exactly 5m late", standardHeaders(id, ts, good), body, current, sent.Add(5 * time.Minute), "", ""},
		{"exactly 5m early", standardHeaders(id, ts, good), body, current, sent.Add(-5 * time.Minute), "", ""},
		{"rotation: second secret matches", standardHeaders(id, ts, good), body, rotated, sent, "", ""},
		{"sender signs with both keys", standardHeaders(id, ts, standardSign(newSecret, id, ts, body)+" "+good), body, []Secret{{ID: "2026", Value: []byte(newSecret)}}, sent, "", ""},
		{"reference multi-signature header", standardHeaders(id, ts, strings.Join([]string{v.Invalid, "v2," + v.Invalid[3:], good, v.Invalid}, " ")), body, current, sent, "", ""},
		{"spec header shape with a v1a entry", standardHeaders(id, ts, good+" "+strings.Fields(v.SpecHeaders.Signature)[1]), body, current, sent, "", ""},
		{"several header lines", http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {v.Invalid, good}}, body, current, sent, "", ""},
		{"lower-case header keys", http.Header{"webhook-id": {id}, "webhook-timestamp": {ts}, "webhook-signature": {good}}, body, current, sent, "", ""},

		{"tampered body", standardHeaders(id, ts, good), []byte(strings.Replace(string(body), `"a1"`, `"a2"`, 1)), current, sent, HeaderWebhookSignature, "no signature matches"},
		{"tampered id", standardHeaders(id+"x", ts, good), body, current, sent, HeaderWebhookSignature, "no signature matches"},
		{"tampered timestamp", standardHeaders(id, strconv.FormatInt(sent.Unix()+1, 10), good), body, current, sent, HeaderWebhookSignature, "no signature matches"},
		{"wrong secret", standardHeaders(id, ts, good), body, []Secret{{ID: "2026", Value: []byte(newSecret)}}, sent, HeaderWebhookSignature, "no signature matches"},
		{"reference invalid signature", standardHeaders(id, ts, v.Invalid), body, current, sent, HeaderWebhookSignature, "no signature matches"},
		{"missing webhook-id", standardHeaders("", ts, good), body, current, sent, HeaderWebhookID, "missing"},
		{"missing webhook-timestamp", standardHeaders(id, "", good), body, current, sent, HeaderWebhookTimestamp, "missing"},
		{"missing webhook-signature", standardHeaders(id, ts, ""), body, current, sent, HeaderWebhookSignature, "missing"},
		{"old timestamp", standardHeaders(id, ts, good), body, current, sent.Add(5*time.Minute + time.Second), HeaderWebhookTimestamp, "too old: sent 5m1s ago"},
		{"replay an hour later", standardHeaders(id, ts, good), body, current, sent.Add(time.Hour), HeaderWebhookTimestamp, "too old"},
		{"future timestamp", standardHeaders(id, ts, good), body, current, sent.Add(-5*time.Minute - time.Second), HeaderWebhookTimestamp, "too new: 5m1s in the future"},
		{"timestamp in milliseconds", standardHeaders(id, strconv.FormatInt(sent.UnixMilli(), 10), good), body, current, sent, HeaderWebhookTimestamp, "too new"},
		{"timestamp not a number", standardHeaders(id, "yesterday", good), body, current, sent, HeaderWebhookTimestamp, "malformed"},
		{"timestamp with sign", standardHeaders(id, "+"+ts, good), body, current, sent, HeaderWebhookTimestamp, "malformed"},
		{"timestamp overflow", standardHeaders(id, "99999999999999999999", good), body, current, sent, HeaderWebhookTimestamp, "malformed"},
		{"only v1a", standardHeaders(id, ts, strings.Fields(v.SpecHeaders.Signature)[1]), body, current, sent, HeaderWebhookSignature, "no v1 signature"},
		{"no version", standardHeaders(id, ts, strings.TrimPrefix(good, "v1,")), body, current, sent, HeaderWebhookSignature, "no v1 signature"},
		{"bad base64", standardHeaders(id, ts, "v1,!!!"), body, current, sent, HeaderWebhookSignature, "no signature matches"},
		{"no secrets", standardHeaders(id, ts, good), body, nil, sent, HeaderWebhookSignature, "cannot be verified"},
		{"secret not base64", standardHeaders(id, ts, good), body, []Secret{{ID: "typo", Value: []byte("whsec_not base64!")}}, sent, HeaderWebhookSignature, "cannot be verified"},
		{"secret too short", standardHeaders(id, ts, standardSign("whsec_c2hvcnQ=", id, ts, body)), body, []Secret{{ID: "weak", Value: []byte("whsec_c2hvcnQ=")}}, sent, HeaderWebhookSignature, "cannot be verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyStandard(tc.h, tc.body, tc.secrets, tc.now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			checkErr(t, err, palisade.EUNAUTHORIZED, tc.field, tc.msg)
			for _, s := range []string{oldSecret, newSecret} {
				expected := strings.TrimPrefix(standardSign(s, id, ts, tc.body), "v1,")
				if strings.Contains(err.Error(), expected) || strings.Contains(err.Error(), strings.TrimPrefix(s, "whsec_")) {
					t.Errorf("the error leaks a signature or secret: %v", err)
				}
			}
		})
	}
}

func TestParseStandardSecret(t *testing.T) {
	key, err := ParseStandardSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil || len(key) != 24 {
		t.Errorf("got %d bytes, %v", len(key), err)
	}
	if _, err := ParseStandardSecret("whsec_QWxlcnRJbnRha2VSb3RhdGVkU2VjcmV0MjAyNg"); err != nil {
		t.Errorf("unpadded base64 refused: %v", err)
	}
	for _, s := range []string{"", "whsec_", "whsec_%%%%", "whsec_c2hvcnQ=", "whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		_, err := ParseStandardSecret(s)
		if palisade.ErrorCode(err) != palisade.EINVALID {
			t.Errorf("%q: got %v, want EINVALID", s, err)
		}
		if rest := strings.TrimPrefix(strings.TrimPrefix(s, "whsec_"), "whpk_"); len(rest) > 4 && err != nil && strings.Contains(err.Error(), rest) {
			t.Errorf("%q: the error repeats the secret: %v", s, err)
		}
	}
}
