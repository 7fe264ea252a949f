package notify

import (
	"strings"
	"unicode/utf16"
)

// Receivers' limits are in "characters" without saying which; Slack's and
// PagerDuty's APIs are JavaScript underneath, where a string's length is
// UTF-16 code units. Counting those is never more permissive than counting
// runes, so a text that fits by this measure fits by any of them.

// textLen is the length of s in UTF-16 code units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cut returns the longest prefix of s of at most limit UTF-16 code units
// that ends at a rune boundary, so no rune or surrogate pair is split.
func cut(s string, limit int) string {
	n := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if n+w > limit {
			return s[:i]
		}
		n += w
	}
	return s
}

// ellipsis marks truncated text; it is one code unit.
const ellipsis = "…"

// truncate returns s when it fits in limit code units, else its longest
// fitting prefix followed by an ellipsis.
func truncate(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if textLen(s) <= limit {
		return s
	}
	return cut(s, limit-1) + ellipsis
}

// clean makes outside text safe to encode: invalid UTF-8 becomes U+FFFD,
// so that lengths measured here are the lengths the receiver sees.
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// escapeMrkdwn escapes the three characters Slack's mrkdwn gives meaning
// to. Without it, an alert title could contain <!channel> and page a whole
// workspace, or a disguised <https://evil|link>.
func escapeMrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncateMrkdwn is truncate for escaped text: it never leaves half an
// entity ("&am") at the cut.
func truncateMrkdwn(escaped string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if textLen(escaped) <= limit {
		return escaped
	}
	p := cut(escaped, limit-1)
	if i := strings.LastIndexByte(p, '&'); i >= 0 && !strings.Contains(p[i:], ";") {
		p = p[:i]
	}
	return p + ellipsis
}

// oneLine folds s onto one line without control characters: what header
// values (email, Slack header blocks) need. Removing CR and LF here is what
// makes header injection impossible, whatever the message says.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\r' || r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, clean(s))
	return strings.Join(strings.Fields(s), " ")
}
