package notify

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// These addresses are only classified, never dialled: tests connect to
// loopback only.
func TestAddrGuardClassifiesAddresses(t *testing.T) {
	for _, tc := range []struct {
		addr             string
		public, withPriv bool // allowed without / with allowPrivate
	}{
		{"93.184.215.14", true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true},
		{"8.8.8.8", true, true},
		{"127.0.0.1", false, true},
		{"127.9.9.9", false, true},
		{"::1", false, true},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"172.31.255.255", false, true},
		{"172.32.0.1", true, true},
		{"192.168.1.1", false, true},
		{"100.64.0.1", false, true},
		{"169.254.169.254", false, true}, // cloud metadata
		{"fe80::1", false, true},
		{"fe80::1%eth0", false, true},
		{"fd00:ec2::254", false, true},
		{"fc00::1", false, true},
		{"198.18.0.1", false, true},
		{"240.0.0.1", false, true},
		{"::ffff:127.0.0.1", false, true}, // IPv4-mapped
		{"::ffff:10.0.0.1", false, true},
		{"64:ff9b::a00:1", false, true},  // NAT64 of 10.0.0.1
		{"64:ff9b::808:808", true, true}, // NAT64 of 8.8.8.8
		{"2002:7f00:1::", false, true},   // 6to4 of 127.0.0.1
		{"::127.0.0.1", false, true},     // IPv4-compatible
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"255.255.255.255", false, false},
	} {
		ip := netip.MustParseAddr(tc.addr)
		if got := newAddrGuard(false).check(ip) == nil; got != tc.public {
			t.Errorf("%s allowed without allowPrivate: %v, want %v", tc.addr, got, tc.public)
		}
		if got := newAddrGuard(true).check(ip) == nil; got != tc.withPriv {
			t.Errorf("%s allowed with allowPrivate: %v, want %v", tc.addr, got, tc.withPriv)
		}
	}
}

// The guard sits in the dialer, after DNS: "localhost" resolves to
// loopback and is refused, as any public-looking name that resolves to a
// private address would be at connection time.
func TestSSRFGuardRefusesANameThatResolvesToLoopback(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request, body []byte) { fmt.Fprint(w, "ok") })
	u, _ := url.Parse(rec.URL)
	hook := "http://localhost:" + u.Port() + "/services/T/B/SECRET"

	for _, typ := range []string{TypeSlack, TypeWebhook, TypePagerDuty} {
		t.Run(typ, func(t *testing.T) {
			target := Target{Name: "t", Type: typ, URL: hook, AllowHTTP: true, RoutingKey: "0123456789abcdef0123456789abcdef", Secret: testSecret}
			n, err := New(target, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			before := len(rec.got())
			err = n.Send(context.Background(), incidentMessage())
			if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("Send to localhost without allowPrivate = %v, want a permanent refusal", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the URL path: %v", err)
			}
			if len(rec.got()) != before {
				t.Fatal("the request reached the server")
			}

			target.AllowPrivate = true
			n, _ = New(target, testOptions())
			if err := n.Send(context.Background(), incidentMessage()); err != nil {
				t.Fatalf("Send with allowPrivate: %v", err)
			}
		})
	}
}

func TestURLsMustBeHTTPS(t *testing.T) {
	for _, tc := range []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://hooks.slack.com/services/T/B/X", false, true},
		{"http://hooks.slack.com/services/T/B/X", false, false},
		{"http://127.0.0.1:9/hook", true, true},
		{"ftp://example.com/x", true, false},
		{"https://user:pass@example.com/x", false, false},
		{"https:///nohost", false, false},
		{"not a url at all ::", false, false},
	} {
		_, err := New(Target{Name: "s", Type: TypeSlack, URL: tc.url, AllowHTTP: tc.allowHTTP}, Options{})
		if (err == nil) != tc.ok {
			t.Errorf("New(slack %q, allowHTTP %v) = %v, want ok %v", tc.url, tc.allowHTTP, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "/services/T/B/X") {
			t.Errorf("error quotes the URL: %v", err)
		}
	}
}

func TestHTTPSReceiverWithPrivateCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	target := Target{Name: "s", Type: TypeSlack, URL: srv.URL + "/services/T/B/X", AllowPrivate: true}

	n, _ := New(target, testOptions())
	if err := n.Send(context.Background(), incidentMessage()); err == nil {
		t.Fatal("a certificate from an unknown CA was accepted")
	}
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	opts := testOptions()
	opts.RootCAs = pool
	n, _ = New(target, opts)
	if err := n.Send(context.Background(), incidentMessage()); err != nil {
		t.Fatalf("Send over https: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T000/B000/XXXX": "https://hooks.slack.com/…",
		"https://events.pagerduty.com/v2/enqueue":         "https://events.pagerduty.com/…",
		"https://siem.example.com":                        "https://siem.example.com",
		"https://siem.example.com/?token=abc":             "https://siem.example.com/…",
		"https://user:pw@example.com/":                    "https://example.com",
		"":                                                "",
		"::::":                                            "[redacted]",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTargetsNeverPrintTheirSecrets(t *testing.T) {
	tg := Target{Name: "x", Type: TypeSlack, URL: "https://hooks.slack.com/services/T0/B0/SECRETURL", RoutingKey: "SECRETKEY", Secret: "whsec_SECRETSIGN",
		SMTP: SMTPConfig{Password: "SECRETPASS"}}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("target", "t", tg)
	for _, s := range []string{fmt.Sprint(tg), fmt.Sprintf("%+v", tg), fmt.Sprintf("%#v", tg), fmt.Sprintf("%v", []Target{tg}), logged.String()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("printed target leaks a secret: %s", s)
		}
	}
}
