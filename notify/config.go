package notify

import (
	"errors"
	"net/mail"
	"slices"
	"strings"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/catalog"
)

// palisade.yaml is meant to live in git and be applied by editors, so it
// must never hold a secret. Secrets are written as ${NAME} and read from the
// server's environment; the fields that are secrets accept nothing else.

// TargetsFromSection decodes the notifiers section of palisade.yaml:
//
//	notifiers:
//	  - name: slack-security
//	    type: slack
//	    url: ${SLACK_SECURITY_WEBHOOK_URL}
//	  - name: pagerduty-security
//	    type: pagerduty
//	    routingKey: ${PAGERDUTY_SECURITY_KEY}
//	  - name: siem
//	    type: webhook
//	    url: https://siem.example.com/hooks/palisade
//	    secret: ${SIEM_WEBHOOK_SECRET}
//	  - name: secops-mail
//	    type: email
//	    allowPrivate: true            # the relay is on the internal network
//	    smtp:
//	      host: smtp.internal.example.com
//	      port: 587
//	      username: palisade
//	      password: ${SMTP_PASSWORD}
//	      from: Palisade <palisade@example.com>
//	      to: [secops@example.com]
//	      requireTLS: true
//
// ${NAME} references may appear in any text value; in the secret fields
// (a Slack url, routingKey, secret, smtp.password) they are required.
// lookup resolves them (os.LookupEnv in production); with a nil lookup they
// are checked but left as written, so a file can be validated where the
// secrets are not available, and New refuses the unresolved targets.
// Every problem is reported, each at file:line:col.
func TargetsFromSection(n *catalog.Node, lookup func(string) (string, bool)) ([]Target, error) {
	d := &decoder{lookup: lookup}
	var out []Target
	if n == nil || n.Kind == catalog.NullNode {
		return nil, nil
	}
	if n.Kind != catalog.ListNode {
		return nil, n.Errorf("notifiers: expected a list of notifiers")
	}
	seen := map[string]bool{}
	for _, item := range n.List {
		t, ok := d.target(item)
		if !ok {
			continue
		}
		if seen[t.Name] {
			d.errs = append(d.errs, item.Errorf("notifier %q is declared twice", t.Name))
			continue
		}
		seen[t.Name] = true
		out = append(out, t)
	}
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

type decoder struct {
	lookup func(string) (string, bool)
	errs   palisade.Errors
}

func (d *decoder) fail(err error) {
	var pe *palisade.Error
	if !errors.As(err, &pe) {
		pe = palisade.Errorf(palisade.EINVALID, "%s", err.Error())
	}
	d.errs = append(d.errs, pe)
}

// fieldsByType lists the keys each type accepts besides name, type,
// allowPrivate and allowHTTP; a key another type uses is an error, so a
// secret put in the wrong place is not silently ignored.
func fieldsByType(typ string) []string {
	switch typ {
	case TypeSlack:
		return []string{"url"}
	case TypePagerDuty:
		return []string{"routingKey", "url"}
	case TypeWebhook:
		return []string{"url", "secret"}
	case TypeEmail:
		return []string{"smtp"}
	}
	return nil
}

func (d *decoder) target(n *catalog.Node) (Target, bool) {
	var t Target
	all := []string{"name", "type", "url", "routingKey", "secret", "smtp", "allowPrivate", "allowHTTP"}
	f, err := n.Fields("notifier", all...)
	if err != nil {
		d.fail(err)
		return t, false
	}
	okAll := true
	text := func(key string, secret bool) string {
		v, ok := f[key]
		if !ok {
			return ""
		}
		s, err := d.text(v, key, secret)
		if err != nil {
			d.fail(err)
			okAll = false
		}
		return s
	}
	flag := func(key string) bool {
		v, ok := f[key]
		if !ok {
			return false
		}
		b, err := v.Bool(key)
		if err != nil {
			d.fail(err)
			okAll = false
		}
		return b
	}

	nameNode, ok := f["name"]
	if !ok {
		d.fail(n.Errorf("notifier: name is required"))
		return t, false
	}
	if t.Name, err = nameNode.String("name"); err != nil || !catalog.ValidName(t.Name) {
		d.fail(nameNode.Errorf("name: %q is not a valid name (lowercase letters, digits, '.', '_', '-'; at most %d)", t.Name, catalog.MaxNameLen))
		return t, false
	}
	typeNode, ok := f["type"]
	if !ok {
		d.fail(n.Errorf("notifier %s: type is required (slack, pagerduty, webhook or email)", t.Name))
		return t, false
	}
	t.Type, _ = typeNode.String("type")
	allowed := fieldsByType(t.Type)
	if allowed == nil {
		d.fail(typeNode.Errorf("notifier %s: unknown type %q: use slack, pagerduty, webhook or email", t.Name, t.Type))
		return t, false
	}
	for _, e := range n.Map {
		switch e.Key {
		case "name", "type", "allowPrivate", "allowHTTP":
			continue
		}
		if !slices.Contains(allowed, e.Key) {
			d.fail(palisade.FieldErrorf(palisade.EINVALID, e.KeyLoc.String(), "notifier %s: %s targets take no %s (they take %s)", t.Name, t.Type, e.Key, strings.Join(allowed, ", ")))
			okAll = false
		}
	}

	t.AllowPrivate = flag("allowPrivate")
	t.AllowHTTP = flag("allowHTTP")
	// A Slack webhook URL is itself the credential.
	t.URL = text("url", t.Type == TypeSlack)
	t.RoutingKey = text("routingKey", true)
	t.Secret = text("secret", true)
	if sn, ok := f["smtp"]; ok {
		c, ok := d.smtp(sn, t.Name)
		t.SMTP = c
		okAll = okAll && ok
	}
	if !okAll {
		return t, false
	}

	required := map[string][]string{TypeSlack: {"url"}, TypePagerDuty: {"routingKey"}, TypeWebhook: {"url", "secret"}, TypeEmail: {"smtp"}}[t.Type]
	for _, k := range required {
		if _, ok := f[k]; !ok {
			d.fail(n.Errorf("notifier %s: %s targets need %s", t.Name, t.Type, k))
			okAll = false
		}
	}
	if !okAll {
		return t, false
	}
	if u, ok := f["url"]; ok && !catalog.HasRef(t.URL) {
		if _, err := checkURL("url", t.URL, t.AllowHTTP); err != nil {
			d.fail(u.Errorf("notifier %s: url: %s", t.Name, palisade.ErrorMessage(err)))
			return t, false
		}
	}
	// Everything else New checks (secret format, addresses, ...) is
	// reported at the notifier, once the secrets are known.
	if d.lookup != nil {
		if _, err := New(t, Options{}); err != nil {
			d.fail(n.Errorf("%s", err.Error()))
			return t, false
		}
	}
	return t, true
}

func (d *decoder) smtp(n *catalog.Node, name string) (SMTPConfig, bool) {
	var c SMTPConfig
	f, err := n.Fields("smtp", "host", "port", "username", "password", "from", "to", "requireTLS", "implicitTLS", "helo")
	if err != nil {
		d.fail(err)
		return c, false
	}
	ok := true
	text := func(key string, secret bool) string {
		v, present := f[key]
		if !present {
			return ""
		}
		s, err := d.text(v, "smtp."+key, secret)
		if err != nil {
			d.fail(err)
			ok = false
		}
		return s
	}
	c.Host = text("host", false)
	c.Username = text("username", false)
	c.Password = text("password", true)
	c.From = text("from", false)
	c.Helo = text("helo", false)
	if v, present := f["port"]; present {
		if c.Port, err = v.Int("smtp.port"); err != nil {
			d.fail(err)
			ok = false
		} else if c.Port < 1 || c.Port > 65535 {
			d.fail(v.Errorf("smtp.port: %d is out of range 1..65535", c.Port))
			ok = false
		}
	}
	for _, key := range []string{"requireTLS", "implicitTLS"} {
		v, present := f[key]
		if !present {
			continue
		}
		b, err := v.Bool("smtp." + key)
		if err != nil {
			d.fail(err)
			ok = false
		}
		if key == "requireTLS" {
			c.RequireTLS = b
		} else {
			c.ImplicitTLS = b
		}
	}
	if v, present := f["to"]; present {
		items := v.List
		if v.Kind == catalog.ScalarNode {
			items = []*catalog.Node{v}
		} else if v.Kind != catalog.ListNode {
			d.fail(v.Errorf("smtp.to: expected a list of addresses"))
			return c, false
		}
		for _, it := range items {
			s, err := d.text(it, "smtp.to", false)
			if err != nil {
				d.fail(err)
				ok = false
				continue
			}
			if !catalog.HasRef(s) {
				if _, err := mail.ParseAddress(s); err != nil {
					d.fail(it.Errorf("smtp.to: %q is not an email address", s))
					ok = false
				}
			}
			c.To = append(c.To, s)
		}
	}
	if v, present := f["from"]; present && !catalog.HasRef(c.From) {
		if _, err := mail.ParseAddress(c.From); err != nil {
			d.fail(v.Errorf("smtp.from: %q is not an email address", c.From))
			ok = false
		}
	}
	for _, key := range []string{"host", "from", "to"} {
		if _, present := f[key]; !present {
			d.fail(n.Errorf("notifier %s: smtp.%s is required", name, key))
			ok = false
		}
	}
	return c, ok
}

// text reads a scalar and resolves its ${NAME} references (see
// catalog.Node.Text).
func (d *decoder) text(n *catalog.Node, what string, secret bool) (string, error) {
	return n.Text(what, secret, d.lookup)
}
