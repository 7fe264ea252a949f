package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/palisade-project/palisade"
)

// webhook posts the Message as JSON, signed the Standard Webhooks way
// (standardwebhooks.com): webhook-id, webhook-timestamp and
// webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>". Any of
// the spec's libraries verifies it. webhook-id is the Message.ID, the same
// on every retry, which is what lets a receiver drop a repeat.
type webhook struct {
	h    *httpSender
	keys [][]byte
}

// Standard Webhooks recommends 24 to 64 random bytes; a shorter key is a
// weak one.
const (
	minSecretLen = 24
	maxSecretLen = 64
)

func newWebhook(t Target, opts Options) (*webhook, error) {
	u, err := checkURL("url", t.URL, t.AllowHTTP)
	if err != nil {
		return nil, fmt.Errorf("notifier %s: %w", t.Name, err)
	}
	keys, err := webhookKeys(t.Secret)
	if err != nil {
		return nil, fmt.Errorf("notifier %s: %w", t.Name, err)
	}
	return &webhook{h: newHTTPSender(t, u, opts, strings.Fields(t.Secret)...), keys: keys}, nil
}

// webhookKeys decodes "whsec_<base64>" secrets separated by spaces: during a
// rotation the receiver accepts either, and each gets a signature. Errors
// never quote the secret.
func webhookKeys(secret string) ([][]byte, error) {
	var keys [][]byte
	for i, s := range strings.Fields(secret) {
		k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			return nil, palisade.FieldErrorf(palisade.EINVALID, "secret", "secret %d is not whsec_ followed by base64", i+1)
		}
		if len(k) < minSecretLen || len(k) > maxSecretLen {
			return nil, palisade.FieldErrorf(palisade.EINVALID, "secret", "secret %d has %d bytes; use %d to %d random bytes", i+1, len(k), minSecretLen, maxSecretLen)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, palisade.FieldErrorf(palisade.EINVALID, "secret", "a signing secret (whsec_...) is required")
	}
	return keys, nil
}

func (w *webhook) Name() string { return w.h.name }

func (w *webhook) Send(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return Permanent(fmt.Errorf("%s: %w", w.h.name, err))
	}
	// The body is the same bytes on every attempt; only the timestamp and
	// signature change.
	body, err := json.Marshal(m)
	if err != nil {
		return Permanent(fmt.Errorf("%s: encode: %w", w.h.name, err))
	}
	id := webhookID(m.ID)
	ts := w.h.now().Unix()
	r, err := w.h.post(ctx, http.Header{
		"Content-Type":      {"application/json"},
		"Webhook-Id":        {id},
		"Webhook-Timestamp": {strconv.FormatInt(ts, 10)},
		"Webhook-Signature": {signWebhook(w.keys, id, ts, body)},
	}, body)
	if err != nil {
		return err
	}
	if r.status/100 == 2 {
		return nil
	}
	return w.h.fail(r, "")
}

// signWebhook returns the webhook-signature value: one "v1,<sig>" per key,
// space-separated.
func signWebhook(keys [][]byte, id string, ts int64, body []byte) string {
	sigs := make([]string, len(keys))
	for i, k := range keys {
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(strconv.FormatInt(ts, 10)))
		mac.Write([]byte{'.'})
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " ")
}

// webhookID is id made safe for a header while staying stable: bytes
// outside printable ASCII, and '%', are percent-encoded. Ids Palisade makes
// ("INC-12/opened") pass unchanged.
func webhookID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c > 0x20 && c < 0x7f && c != '%' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
