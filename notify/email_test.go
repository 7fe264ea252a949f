package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on
// loopback that records what it receives.
type smtpServer struct {
	addr string
	port int
	// user and pass, when set, are the only credentials accepted.
	user, pass string
	// rcptErr, when set, refuses every recipient with it.
	rcptErr error

	mu   sync.Mutex
	mail []receivedMail
}

type receivedMail struct {
	from   string
	to     []string
	data   []byte
	tls    bool
	authed string
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	cur  receivedMail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return smtp.ErrAuthFailed
		}
		s.cur.authed = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.cur.authed == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.rcptErr != nil {
		return s.srv.rcptErr
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.mail = append(s.srv.mail, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.cur = receivedMail{authed: s.cur.authed} }
func (s *smtpSession) Logout() error { return nil }

func (s *smtpServer) received() []receivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]receivedMail(nil), s.mail...)
}

// startSMTP serves on 127.0.0.1: with STARTTLS when starttls is set, with
// TLS from the first byte when implicit is set.
func startSMTP(t *testing.T, cert *tls.Certificate, starttls, implicit bool, configure func(*smtpServer)) *smtpServer {
	t.Helper()
	srv := &smtpServer{}
	if configure != nil {
		configure(srv)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "mx.test"
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	// The server refuses AUTH without TLS unless the test says so, like
	// a real relay.
	s.AllowInsecureAuth = !starttls && !implicit
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if starttls {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	if implicit {
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	srv.addr = l.Addr().String()
	srv.port = l.Addr().(*net.TCPAddr).Port
	return srv
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func emailTarget(srv *smtpServer, mutate func(*SMTPConfig)) Target {
	c := SMTPConfig{Host: "127.0.0.1", Port: srv.port, From: "Palisade <palisade@example.com>", To: []string{"secops@example.com", "Ana Núñez <ana@example.com>"}, Helo: "palisade.test"}
	if mutate != nil {
		mutate(&c)
	}
	return Target{Name: "secops-mail", Type: TypeEmail, SMTP: c, AllowPrivate: true}
}

func sendEmail(t *testing.T, target Target, pool *x509.CertPool, m Message) error {
	t.Helper()
	opts := testOptions()
	opts.RootCAs = pool
	n, err := New(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	return n.Send(context.Background(), m)
}

func onlyMail(t *testing.T, srv *smtpServer) (receivedMail, *mail.Message) {
	t.Helper()
	got := srv.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, got[0].data)
	}
	return got[0], msg
}

func TestEmailOverSTARTTLSWithAuth(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := startSMTP(t, cert, true, false, func(s *smtpServer) { s.user, s.pass = "palisade", "s3cret" })
	target := emailTarget(srv, func(c *SMTPConfig) { c.Username, c.Password, c.RequireTLS = "palisade", "s3cret", true })
	m := incidentMessage()
	m.Title = "Überwachung: exploit attempts on payments-api"
	if err := sendEmail(t, target, pool, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got, msg := onlyMail(t, srv)
	if !got.tls || got.authed != "palisade" || got.from != "palisade@example.com" || strings.Join(got.to, ",") != "secops@example.com,ana@example.com" {
		t.Errorf("envelope: tls %v, auth %q, from %q, to %q", got.tls, got.authed, got.from, got.to)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	to, _ := dec.DecodeHeader(msg.Header.Get("To"))
	for name, want := range map[string]string{
		"From":                      `"Palisade" <palisade@example.com>`,
		"Message-ID":                emailMessageID("secops-mail", "INC-42/opened", "palisade@example.com"),
		"Date":                      "Thu, 15 Jan 2026 10:03:00 +0000",
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
		"X-Palisade-Kind":           "incident.opened",
		"X-Palisade-Event":          "INC-42/opened",
	} {
		if g := msg.Header.Get(name); g != want {
			t.Errorf("%s: %q, want %q", name, g, want)
		}
	}
	if subject != "[SEV1] Überwachung: exploit attempts on payments-api" {
		t.Errorf("Subject %q", subject)
	}
	if to != `<secops@example.com>, Ana Núñez <ana@example.com>` {
		t.Errorf("To %q", to)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<INC-42-opened.") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q is not derived from the message id", id)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := "Überwachung: exploit attempts on payments-api\r\n\r\nStatus: Active · Commander: ana\r\nWAF blocks rose 40× in 10 minutes.\r\n\r\n" +
		"Severity: SEV1\r\nTime: 2026-01-15 10:03 UTC\r\nSeverity: SEV1\r\nService: payments-api\r\n\r\n" +
		"Open in Palisade: https://palisade.example.com/incidents/INC-42\r\n\r\n-- \r\nPalisade · incident.opened · INC-42/opened\r\n"
	if string(body) != want {
		t.Errorf("body\n%q\nwant\n%q", body, want)
	}
	for _, line := range bytes.Split(got.data, []byte("\r\n")) {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
}

func TestEmailMessageIDIsStableAcrossResends(t *testing.T) {
	srv := startSMTP(t, nil, false, false, nil)
	target := emailTarget(srv, nil)
	for range 2 {
		if err := sendEmail(t, target, nil, incidentMessage()); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.received()
	ids := map[string]bool{}
	for _, g := range got {
		msg, _ := mail.ReadMessage(bytes.NewReader(g.data))
		ids[msg.Header.Get("Message-ID")] = true
	}
	if len(got) != 2 || len(ids) != 1 {
		t.Fatalf("%d messages with %d distinct Message-IDs; want 2 with 1", len(got), len(ids))
	}
	if emailMessageID("a", "INC-1/opened", "x@example.com") == emailMessageID("b", "INC-1/opened", "x@example.com") ||
		emailMessageID("a", "INC-1/opened", "x@example.com") == emailMessageID("a", "INC-1:opened", "x@example.com") {
		t.Error("Message-IDs collide across targets or across ids that reduce alike")
	}
}

func TestEmailHeaderInjectionIsImpossible(t *testing.T) {
	srv := startSMTP(t, nil, false, false, nil)
	m := incidentMessage()
	m.Title = "hello\r\nBcc: evil@attacker.example\r\n\r\nfake body"
	m.Severity = "SEV1\nX-Evil: 1"
	m.ID = "INC-1/opened\u0085Bcc: x@y"
	m.Fields = []Field{{"Name\r\nBcc: evil2@attacker.example", "v"}}
	if err := sendEmail(t, emailTarget(srv, nil), nil, m); err == nil {
		t.Fatal("a message id with a control character was sent")
	}
	m.ID = "INC-1/opened"
	if err := sendEmail(t, emailTarget(srv, nil), nil, m); err != nil {
		t.Fatal(err)
	}
	got, msg := onlyMail(t, srv)
	if len(got.to) != 2 || msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Evil") != "" {
		t.Fatalf("injected header or recipient: to %q\n%s", got.to, got.data)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "[SEV1 X-Evil: 1] hello Bcc: evil@attacker.example fake body" {
		t.Errorf("Subject %q", subject)
	}
}

func TestEmailRequireTLSRefusesAPlainRelay(t *testing.T) {
	srv := startSMTP(t, nil, false, false, nil)
	err := sendEmail(t, emailTarget(srv, func(c *SMTPConfig) { c.RequireTLS = true }), nil, incidentMessage())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a temporary STARTTLS error", err)
	}
	if len(srv.received()) != 0 {
		t.Fatal("mail sent in clear text despite requireTLS")
	}
	// Without requireTLS the same relay is used as it is.
	if err := sendEmail(t, emailTarget(srv, nil), nil, incidentMessage()); err != nil {
		t.Fatal(err)
	}
	if got, _ := onlyMail(t, srv); got.tls {
		t.Error("reported TLS on a plain relay")
	}
}

func TestEmailImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := startSMTP(t, cert, false, true, nil)
	if err := sendEmail(t, emailTarget(srv, func(c *SMTPConfig) { c.ImplicitTLS = true }), pool, incidentMessage()); err != nil {
		t.Fatal(err)
	}
	if got, _ := onlyMail(t, srv); !got.tls {
		t.Error("not sent over TLS")
	}
	// An untrusted certificate fails the send.
	if err := sendEmail(t, emailTarget(srv, func(c *SMTPConfig) { c.ImplicitTLS = true }), nil, incidentMessage()); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
}

func TestEmailReplyCodes(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, tc := range []struct {
		name      string
		configure func(*smtpServer)
		password  string
		permanent bool
		code      int
	}{
		{"wrong password", func(s *smtpServer) { s.user, s.pass = "palisade", "right" }, "wrong", true, 535},
		{"mailbox unavailable", func(s *smtpServer) {
			s.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}, "", true, 550},
		{"greylisted", func(s *smtpServer) {
			s.rcptErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "try again later"}
		}, "", false, 451},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, cert, true, false, tc.configure)
			target := emailTarget(srv, func(c *SMTPConfig) {
				if tc.password != "" {
					c.Username, c.Password = "palisade", tc.password
				}
			})
			err := sendEmail(t, target, pool, incidentMessage())
			var se *SendError
			if err == nil || IsPermanent(err) != tc.permanent || !errors.As(err, &se) || se.Status != tc.code {
				t.Fatalf("Send = %v (permanent %v), want code %d permanent %v", err, IsPermanent(err), tc.code, tc.permanent)
			}
			if strings.Contains(err.Error(), tc.password) && tc.password != "" {
				t.Errorf("error leaks the password: %v", err)
			}
			if len(srv.received()) != 0 {
				t.Error("a message was delivered")
			}
		})
	}
}

func TestEmailRelayOnLoopbackNeedsAllowPrivate(t *testing.T) {
	srv := startSMTP(t, nil, false, false, nil)
	target := emailTarget(srv, nil)
	target.AllowPrivate = false
	err := sendEmail(t, target, nil, incidentMessage())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Send = %v, want a permanent refusal", err)
	}
}

func TestEmailConfigErrors(t *testing.T) {
	for name, c := range map[string]SMTPConfig{
		"no host":       {From: "a@example.com", To: []string{"b@example.com"}},
		"bad from":      {Host: "smtp.example.com", From: "not an address", To: []string{"b@example.com"}},
		"no recipients": {Host: "smtp.example.com", From: "a@example.com"},
		"bad recipient": {Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com\r\nBcc: c@example.com"}},
		"user only":     {Host: "smtp.example.com", From: "a@example.com", To: []string{"b@example.com"}, Username: "u"},
		"bad port":      {Host: "smtp.example.com", Port: 70000, From: "a@example.com", To: []string{"b@example.com"}},
	} {
		if _, err := New(Target{Name: "m", Type: TypeEmail, SMTP: c}, Options{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzComposeEmail(f *testing.F) {
	f.Add("title", "text", "SEV1", "name", "value", "INC-1/opened")
	f.Add("a\r\nBcc: x@y", "\r\n.\r\n", "\n", "\r", "\x00", "é")
	f.Fuzz(func(t *testing.T, title, text, sev, name, value, id string) {
		m := Message{ID: id, Kind: "incident.opened", Title: title, Text: text, Severity: sev, Fields: []Field{{name, value}}}
		from, _ := mail.ParseAddress("Palisade <p@example.com>")
		to, _ := mail.ParseAddress("s@example.com")
		data := composeEmail(m, from, []*mail.Address{to}, emailMessageID("t", id, from.Address), testTime)
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("unparsable message: %v\n%q", err, data)
		}
		allowed := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
			"Content-Type": true, "Content-Transfer-Encoding": true, "Auto-Submitted": true, "X-Palisade-Kind": true, "X-Palisade-Event": true}
		for k := range msg.Header {
			if !allowed[k] {
				t.Fatalf("unexpected header %q in\n%q", k, data)
			}
		}
		if len(msg.Header["To"]) != 1 || len(msg.Header["Subject"]) != 1 {
			t.Fatalf("duplicated headers in\n%q", data)
		}
	})
}
