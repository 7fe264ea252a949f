package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-project/palisade"
)

// Whoever may edit palisade.yaml chooses where notifications go. Without a
// guard that makes Palisade a proxy into its own network: a webhook at the
// cloud metadata service, an "SMTP relay" that is really an internal Redis.
// The guard runs in the dialer's Control hook, on the address actually
// being connected to, after DNS: a name that resolves to a public address
// when checked and to 127.0.0.1 when used (DNS rebinding) is still refused,
// because there is no separate check to race.

// refusedError is a connection the guard would not make.
type refusedError struct{ addr netip.Addr }

func (e *refusedError) Error() string {
	return fmt.Sprintf("connection to %s refused: private, loopback, link-local and other non-public addresses need allowPrivate", e.addr)
}

// addrGuard decides which addresses a target may connect to.
type addrGuard struct {
	allowPrivate bool
	// never are refused even with allowPrivate: no TCP service lives
	// there, and 0.0.0.0 reaches the local host on some systems.
	never []netip.Prefix
	// nonPublic are refused unless allowPrivate.
	nonPublic []netip.Prefix
}

func newAddrGuard(allowPrivate bool) *addrGuard {
	p := func(ss ...string) []netip.Prefix {
		out := make([]netip.Prefix, len(ss))
		for i, s := range ss {
			out[i] = netip.MustParsePrefix(s)
		}
		return out
	}
	return &addrGuard{
		allowPrivate: allowPrivate,
		never:        p("0.0.0.0/32", "224.0.0.0/4", "255.255.255.255/32", "::/128", "ff00::/8"),
		// IANA's special-purpose registries, less the blocks that are
		// globally reachable.
		nonPublic: p(
			"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
			"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
			"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
			"::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
			"fc00::/7", "fe80::/10", "fec0::/10",
		),
	}
}

// check returns nil when a connection to ip is allowed.
func (g *addrGuard) check(ip netip.Addr) error {
	ip = ip.WithZone("")
	// Addresses that embed an IPv4 address are judged by it, so that
	// ::ffff:127.0.0.1 or a NAT64 form of 10.0.0.1 is no way around.
	if v4, ok := embeddedV4(ip); ok {
		ip = v4
	}
	for _, p := range g.never {
		if p.Contains(ip) {
			return &refusedError{ip}
		}
	}
	if g.allowPrivate {
		return nil
	}
	for _, p := range g.nonPublic {
		if p.Contains(ip) {
			return &refusedError{ip}
		}
	}
	return nil
}

// embeddedV4 returns the IPv4 address inside IPv4-mapped, IPv4-compatible,
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses.
func embeddedV4(ip netip.Addr) (netip.Addr, bool) {
	if ip.Is4In6() {
		return ip.Unmap(), true
	}
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case netip.MustParsePrefix("64:ff9b::/96").Contains(ip),
		netip.MustParsePrefix("::/96").Contains(ip) && !ip.IsUnspecified() && ip != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case netip.MustParsePrefix("2002::/16").Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// control is a net.Dialer Control hook: it sees "ip:port" after
// resolution, for every address tried.
func (g *addrGuard) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return fmt.Errorf("network %s refused: notifiers use TCP only", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connection to %q refused: not an IP address", address)
	}
	return g.check(ap.Addr())
}

// dialer returns a dialer that applies the guard.
func (g *addrGuard) dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.control}
}

// checkURL parses a target URL and checks what can be checked before
// connecting. Its errors never quote the URL: for Slack it is the secret.
func checkURL(field, raw string, allowHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "a URL is required")
	case err != nil:
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "not a valid URL")
	case u.Scheme == "http" && !allowHTTP:
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "must be https (http only with allowHTTP, for trusted networks and tests)")
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "must be an https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "the URL has no host")
	case u.User != nil:
		return nil, palisade.FieldErrorf(palisade.EINVALID, field, "credentials in the URL are not supported: they would end up in logs")
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// RedactURL returns raw reduced to scheme and host, with "/…" standing for
// any path or query: Slack webhook URLs carry their secret in the path, and
// other receivers put tokens there too. Use it for every URL that is
// logged or shown.
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return redacted
	}
	s := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

// httpSender posts to one receiver through a guarded client.
type httpSender struct {
	name   string
	url    *url.URL
	client *http.Client
	// secrets are scrubbed from response snippets.
	secrets []string
	now     func() time.Time
}

// maxResponse bounds what is read of an answer; receivers answer with a
// short status.
const maxResponse = 64 << 10

func newHTTPSender(t Target, u *url.URL, opts Options, secrets ...string) *httpSender {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	g := newAddrGuard(t.AllowPrivate)
	tr := &http.Transport{
		// No proxy: the guard checks the address dialled, which
		// through a proxy would be the proxy's.
		Proxy:                  nil,
		DialContext:            g.dialer(timeout).DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
	return &httpSender{
		name: t.Name,
		url:  u,
		client: &http.Client{
			Transport:     tr,
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		secrets: secrets,
		now:     opts.now,
	}
}

// response is a receiver's answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// post sends body and returns the answer of any status. Transport errors
// come back as SendErrors whose text names the host only: *url.Error would
// quote the full URL.
func (h *httpSender) post(ctx context.Context, header http.Header, body []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url.String(), bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(fmt.Errorf("%s: build request: %v", h.name, redactErr(err, h.url)))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Palisade-Notify/1")
	resp, err := h.client.Do(req)
	if err != nil {
		var refused *refusedError
		if errors.As(err, &refused) {
			return nil, Permanent(fmt.Errorf("%s: POST %s: %v", h.name, RedactURL(h.url.String()), refused))
		}
		return nil, fmt.Errorf("%s: POST %s: %v", h.name, RedactURL(h.url.String()), redactErr(err, h.url))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil && resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s: read answer: %v", h.name, redactErr(err, h.url))
	}
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// fail turns a non-2xx answer into a classified error.
func (h *httpSender) fail(r *response, detail string) error {
	if detail == "" {
		detail = snippet(r.body, h.secrets...)
	}
	var wait time.Duration
	if v := r.header.Get("Retry-After"); v != "" {
		wait = parseRetryAfter(v, h.now())
	}
	return httpStatusError(h.name, r.status, detail, wait)
}

// redactErr returns err's text with u replaced by its redacted form, for
// the errors of net/http that quote the request URL.
func redactErr(err error, u *url.URL) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if full := u.String(); full != "" {
		s = strings.ReplaceAll(s, full, RedactURL(full))
	}
	if u.Path != "" && len(u.Path) > 1 {
		s = strings.ReplaceAll(s, u.Path, "/…")
	}
	return s
}
