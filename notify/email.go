package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
)

// Email limits: a subject longer than this is cut (mail clients show less
// anyway), and a target with more recipients should be a mailing list.
const (
	emailSubjectLen = 200
	maxRecipients   = 50
)

// email sends text/plain mail through an SMTP relay with net/smtp. Every
// message of one event to one target has the same Message-ID, so a copy
// sent again after a crash is recognisable (and dropped by mail systems
// that dedupe on it).
type email struct {
	name    string
	cfg     SMTPConfig
	addr    string
	from    *mail.Address
	to      []*mail.Address
	helo    string
	guard   *addrGuard
	tls     *tls.Config
	timeout time.Duration
	now     func() time.Time
}

func newEmail(t Target, opts Options) (*email, error) {
	c := t.SMTP
	bad := func(field, format string, args ...any) error {
		return palisade.FieldErrorf(palisade.EINVALID, "smtp."+field, "notifier %s: "+format, append([]any{t.Name}, args...)...)
	}
	if c.Host == "" || strings.ContainsAny(c.Host, " \t\r\n/@:") && net.ParseIP(c.Host) == nil {
		return nil, bad("host", "an SMTP host name is required")
	}
	port := c.Port
	if port == 0 {
		port = 587
		if c.ImplicitTLS {
			port = 465
		}
	}
	if port < 1 || port > 65535 {
		return nil, bad("port", "port %d is out of range", port)
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, bad("from", "%q is not an email address", c.From)
	}
	if len(c.To) == 0 || len(c.To) > maxRecipients {
		return nil, bad("to", "give 1 to %d recipients", maxRecipients)
	}
	var to []*mail.Address
	for _, s := range c.To {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, bad("to", "%q is not an email address", s)
		}
		to = append(to, a)
	}
	if (c.Username == "") != (c.Password == "") {
		return nil, bad("password", "username and password go together")
	}
	helo := c.Helo
	if helo == "" {
		helo, _ = os.Hostname()
	}
	if helo == "" || strings.ContainsAny(helo, " \t\r\n") {
		helo = "localhost"
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c.Port = port
	return &email{
		name: t.Name, cfg: c, addr: net.JoinHostPort(c.Host, strconv.Itoa(port)),
		from: from, to: to, helo: helo,
		guard:   newAddrGuard(t.AllowPrivate),
		tls:     &tls.Config{ServerName: c.Host, RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		timeout: timeout, now: opts.now,
	}, nil
}

func (e *email) Name() string { return e.name }

func (e *email) Send(ctx context.Context, m Message) (err error) {
	if err := m.Validate(); err != nil {
		return Permanent(fmt.Errorf("%s: %w", e.name, err))
	}
	msg := composeEmail(m, e.from, e.to, emailMessageID(e.name, m.ID, e.from.Address), e.now())
	defer func() {
		if err != nil {
			err = e.classify(err)
		}
	}()

	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	conn, err := e.guard.dialer(e.timeout).DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return err
	}
	// net/smtp knows no contexts: the deadline bounds every read and
	// write, and cancelling closes the connection under it.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if e.cfg.ImplicitTLS {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(e.helo); err != nil {
		return err
	}
	if !e.cfg.ImplicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tls); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
		} else if e.cfg.RequireTLS {
			// Temporary: a relay that stops offering STARTTLS may be
			// misconfigured for a moment, or someone on the path is
			// stripping it; either way, wait rather than send in clear.
			return errors.New("the relay does not offer STARTTLS and requireTLS is set")
		}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return Permanent(errors.New("the relay offers no AUTH but a username is configured"))
		}
		// PlainAuth itself refuses to send the password over a
		// connection that is neither TLS nor to localhost.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.cfg.Host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	// Any refused recipient stops the whole message before DATA, so a
	// retry never sends a second copy to the ones that were accepted.
	for _, a := range e.to {
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	// The relay accepted the message with its reply to DATA; a failing
	// QUIT changes nothing.
	c.Quit()
	return nil
}

// classify names the target and relay and sorts SMTP replies: 5xx is the
// relay's final word (bad recipient, authentication failed), 4xx and
// network trouble are temporary.
func (e *email) classify(err error) error {
	var se *SendError
	if errors.As(err, &se) {
		return &SendError{Status: se.Status, Permanent: se.Permanent, RetryAfter: se.RetryAfter, Err: fmt.Errorf("%s: smtp %s: %w", e.name, e.addr, se.Err)}
	}
	wrapped := fmt.Errorf("%s: smtp %s: %w", e.name, e.addr, err)
	var refused *refusedError
	if errors.As(err, &refused) {
		return Permanent(wrapped)
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &SendError{Status: tp.Code, Permanent: tp.Code >= 500, Err: wrapped}
	}
	return wrapped
}

// composeEmail renders m as an RFC 5322 message: UTF-8 text/plain in
// quoted-printable (safe through relays without 8BITMIME), every header
// value on one line.
func composeEmail(m Message, from *mail.Address, to []*mail.Address, messageID string, date time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(foldHeader(name, value)) }
	header("From", from.String())
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	header("To", strings.Join(tos, ", "))
	subject := oneLine(m.Title)
	if sev := oneLine(m.Severity); sev != "" {
		subject = "[" + sev + "] " + subject
	}
	header("Subject", mime.QEncoding.Encode("utf-8", truncate(subject, emailSubjectLen)))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// Auto-Submitted (RFC 3834) keeps vacation responders from replying
	// to an alert.
	header("Auto-Submitted", "auto-generated")
	header("X-Palisade-Kind", oneLine(m.Kind))
	header("X-Palisade-Event", mime.QEncoding.Encode("utf-8", truncate(oneLine(m.ID), emailSubjectLen)))
	b.WriteString("\r\n")

	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(emailBody(m)))
	qp.Close()
	return b.Bytes()
}

// emailBody is the plain-text body.
func emailBody(m Message) string {
	var b strings.Builder
	b.WriteString(clean(m.Title) + "\n")
	if t := strings.TrimSpace(clean(m.Text)); t != "" {
		b.WriteString("\n" + t + "\n")
	}
	if m.Severity != "" || len(m.Fields) > 0 || !m.Time.IsZero() {
		b.WriteString("\n")
	}
	if m.Severity != "" {
		b.WriteString("Severity: " + clean(m.Severity) + "\n")
	}
	if !m.Time.IsZero() {
		b.WriteString("Time: " + m.Time.UTC().Format("2006-01-02 15:04 UTC") + "\n")
	}
	for _, f := range m.Fields {
		b.WriteString(oneLine(f.Name) + ": " + clean(f.Value) + "\n")
	}
	if m.URL != "" {
		b.WriteString("\nOpen in Palisade: " + m.URL + "\n")
	}
	b.WriteString("\n-- \nPalisade · " + m.Kind + " · " + clean(m.ID) + "\n")
	// One line-break convention in; quoted-printable writes CRLF.
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(b.String())
}

// emailMessageID derives the Message-ID from the target and the event: the
// same on every resend, different for two targets (a mailbox that gets both
// must not drop one as a duplicate). The readable part is the event id
// reduced to characters a Message-ID allows; the hash keeps ids that reduce
// alike apart.
func emailMessageID(target, id, from string) string {
	sum := sha256.Sum256([]byte(target + "\x00" + id))
	left := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("-_+=", r):
			return r
		}
		return '-'
	}, id)
	left = strings.Trim(left, "-")
	if len(left) > 64 {
		left = left[:64]
	}
	if left != "" {
		left += "."
	}
	domain := "palisade.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && dotAtom(from[i+1:]) {
		domain = from[i+1:]
	}
	return "<" + left + hex.EncodeToString(sum[:12]) + "@" + domain + ">"
}

// dotAtom reports whether s is a plain domain usable on the right of a
// Message-ID.
func dotAtom(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// foldHeader writes "Name: value\r\n", folded at spaces so that lines stay
// near 78 characters (RFC 5322 2.2.3); folding only inserts CRLF before an
// existing space, so unfolding restores value exactly. value must already
// be one line.
func foldHeader(name, value string) string {
	var b strings.Builder
	line := name + ":"
	for i, word := range strings.Split(value, " ") {
		if i > 0 && word != "" && len(line)+1+len(word) > 78 && strings.TrimSpace(line) != name+":" {
			b.WriteString(line + "\r\n")
			line = ""
		}
		line += " " + word
	}
	b.WriteString(line + "\r\n")
	return b.String()
}
