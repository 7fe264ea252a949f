package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSecret is the Standard Webhooks specification's example secret.
const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// verifyStandardWebhook is a receiver's check, written from the
// specification (standardwebhooks.com, "Verifying webhook authenticity"),
// independently of the signer: the signed content is id.timestamp.body,
// the key the base64 after "whsec_", the header a space-separated list of
// "v1,<base64 HMAC-SHA256>", the timestamp within a tolerance of now.
func verifyStandardWebhook(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp outside the tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		version, sig, _ := strings.Cut(s, ",")
		if version == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

func TestWebhookSignatureMatchesTheSpecificationVector(t *testing.T) {
	keys, err := webhookKeys(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"test": 2432232314}`)
	got := signWebhook(keys, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	h := http.Header{"Webhook-Id": {"msg_p5jXN8AQM9LWM0D4loKWxJek"}, "Webhook-Timestamp": {"1614265330"}, "Webhook-Signature": {got}}
	if err := verifyStandardWebhook(testSecret, h, body, time.Unix(1614265330, 0)); err != nil {
		t.Fatalf("the verifier rejects the specification's vector: %v", err)
	}
	if err := verifyStandardWebhook(testSecret, h, []byte(`{"test": 2432232315}`), time.Unix(1614265330, 0)); err == nil {
		t.Fatal("the verifier accepts a tampered body")
	}
	if err := verifyStandardWebhook(testSecret, h, body, time.Unix(1614265330+301, 0)); err == nil {
		t.Fatal("the verifier accepts a stale timestamp")
	}
}

// webhookReceiver verifies signatures and processes each webhook-id once,
// as the documentation asks receivers to.
type webhookReceiver struct {
	*recorder
	mu        sync.Mutex
	processed map[string]Message
	rejected  int
}

func newWebhookReceiver(t *testing.T, secret string, status int) *webhookReceiver {
	wr := &webhookReceiver{processed: map[string]Message{}}
	wr.recorder = newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		wr.mu.Lock()
		defer wr.mu.Unlock()
		if err := verifyStandardWebhook(secret, r.Header, body, testTime); err != nil {
			wr.rejected++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if status != 0 {
			w.Header().Set("Retry-After", testTime.Add(90*time.Second).Format(http.TimeFormat))
			w.WriteHeader(status)
			return
		}
		id := r.Header.Get("webhook-id")
		if _, dup := wr.processed[id]; !dup {
			var m Message
			if err := json.Unmarshal(body, &m); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			wr.processed[id] = m
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return wr
}

func webhookTarget(url string) Target {
	return Target{Name: "siem", Type: TypeWebhook, URL: url + "/hooks/palisade", Secret: testSecret, AllowHTTP: true, AllowPrivate: true}
}

func TestWebhookSendsASignedMessage(t *testing.T) {
	wr := newWebhookReceiver(t, testSecret, 0)
	n, err := New(webhookTarget(wr.URL), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	m := incidentMessage()
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := wr.last(t)
	if req.header.Get("webhook-id") != "INC-42/opened" || req.header.Get("webhook-timestamp") != strconv.FormatInt(testTime.Unix(), 10) ||
		req.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", req.header)
	}
	got, ok := wr.processed["INC-42/opened"]
	if !ok {
		t.Fatalf("receiver rejected the webhook (%d rejections)", wr.rejected)
	}
	if err := sameMessage(got, m); err != nil {
		t.Errorf("body: %v", err)
	}
}

func TestWebhookSignsWithEveryKeyDuringRotation(t *testing.T) {
	next := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-key-of-32-bytes-length!!"))
	for _, verifyWith := range []string{testSecret, next} {
		wr := newWebhookReceiver(t, verifyWith, 0)
		target := webhookTarget(wr.URL)
		target.Secret = testSecret + " " + next
		n, err := New(target, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Send(context.Background(), incidentMessage()); err != nil {
			t.Fatalf("receiver with one of two keys: %v", err)
		}
		if sigs := strings.Fields(wr.last(t).header.Get("webhook-signature")); len(sigs) != 2 {
			t.Errorf("signatures %q, want two", sigs)
		}
	}
}

func TestWebhookErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
		wait      time.Duration
	}{
		{http.StatusGone, true, 0},
		{http.StatusUnprocessableEntity, true, 0},
		{http.StatusServiceUnavailable, false, 90 * time.Second},
		{http.StatusTooManyRequests, false, 90 * time.Second},
	} {
		wr := newWebhookReceiver(t, testSecret, tc.status)
		n, _ := New(webhookTarget(wr.URL), testOptions())
		err := n.Send(context.Background(), incidentMessage())
		if err == nil || IsPermanent(err) != tc.permanent {
			t.Errorf("HTTP %d: %v, permanent %v, want %v", tc.status, err, IsPermanent(err), tc.permanent)
		}
		if wait, _ := RetryAfterOf(err); wait != tc.wait {
			t.Errorf("HTTP %d: Retry-After %s, want %s", tc.status, wait, tc.wait)
		}
	}
	// A receiver that cannot verify the signature is a configuration
	// problem that retrying does not fix.
	wr := newWebhookReceiver(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("some-other-key-of-32-bytes-long!")), 0)
	n, _ := New(webhookTarget(wr.URL), testOptions())
	if err := n.Send(context.Background(), incidentMessage()); !IsPermanent(err) || wr.rejected != 1 {
		t.Errorf("wrong key: %v (rejections %d)", err, wr.rejected)
	}
}

// The documented crash window: the process dies after the receiver got the
// message and before Done. The entry is sent again once its lease runs out,
// with the same webhook-id, and the receiver processes it once.
func TestResendAfterACrashCarriesTheSameWebhookID(t *testing.T) {
	wr := newWebhookReceiver(t, testSecret, 0)
	n, err := New(webhookTarget(wr.URL), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	s, c := newMemStore(), newClock()
	es, _ := NewEntries(incidentMessage(), []string{"siem"}, c.Now())
	s.Enqueue(context.Background(), es...)

	first := newTestDispatcher(s, c, n)
	s.failDone.Store(true)
	if _, _, _, err := first.RunOnce(context.Background()); err == nil {
		t.Fatal("the simulated crash was not reported")
	}
	s.failDone.Store(false)

	second := newTestDispatcher(s, c, n)
	if sent, _, _ := runOnce(t, second); sent != 0 {
		t.Fatal("resent while the first worker's lease holds")
	}
	c.Advance(first.Lease)
	if sent, _, _ := runOnce(t, second); sent != 1 {
		t.Fatal("not resent after the lease ran out")
	}
	reqs := wr.got()
	if len(reqs) != 2 || reqs[0].header.Get("webhook-id") != reqs[1].header.Get("webhook-id") || string(reqs[0].body) != string(reqs[1].body) {
		t.Fatalf("want two identical deliveries with one webhook-id, got %d", len(reqs))
	}
	if len(wr.processed) != 1 {
		t.Errorf("receiver processed %d messages, want 1", len(wr.processed))
	}
}

func TestWebhookIDIsHeaderSafeAndStable(t *testing.T) {
	for in, want := range map[string]string{
		"INC-12/opened":                   "INC-12/opened",
		"INC-1/joined/am/{}:{x=\"y z\"}":  "INC-1/joined/am/{}:{x=\"y%20z\"}",
		"100%/é":                          "100%25/%C3%A9",
		"digest/2026-01-15T10:00:00Z#abc": "digest/2026-01-15T10:00:00Z#abc",
	} {
		if got := webhookID(in); got != want {
			t.Errorf("webhookID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhookSecretErrorsDoNotQuoteTheSecret(t *testing.T) {
	for _, secret := range []string{"", "whsec_not-base64!!", "whsec_" + base64.StdEncoding.EncodeToString([]byte("short")), "plaintextpassword"} {
		_, err := New(Target{Name: "w", Type: TypeWebhook, URL: "https://example.com/h", Secret: secret}, Options{})
		if err == nil {
			t.Errorf("secret %q accepted", secret)
			continue
		}
		if secret != "" && strings.Contains(err.Error(), strings.TrimPrefix(secret, "whsec_")) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
