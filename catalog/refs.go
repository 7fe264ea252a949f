package catalog

import (
	"fmt"
	"strings"
)

// Text reads a scalar that may hold ${NAME} references to the server's
// environment and resolves them with lookup (os.LookupEnv in the server).
// A secret field must consist of references only, so that palisade.yaml
// holds no secret. With a nil lookup the references are checked and left
// as written: a file can be validated where the secrets are not
// available. Errors quote variable names, never values.
func (n *Node) Text(what string, secret bool, lookup func(string) (string, bool)) (string, error) {
	s, err := n.String(what)
	if err != nil {
		return "", err
	}
	refs, literal, err := parseRefs(s)
	if err != nil {
		return "", n.Errorf("%s: %s", what, err)
	}
	if secret && (len(refs) == 0 || strings.TrimSpace(literal) != "") {
		return "", n.Errorf("%s is a secret: write it as ${ENV_NAME} and set that variable in the server's environment, so palisade.yaml holds no secret", what)
	}
	if lookup == nil || len(refs) == 0 {
		return s, nil
	}
	out, err := ExpandRefs(s, lookup)
	if err != nil {
		return "", n.Errorf("%s: %s", what, err)
	}
	return out, nil
}

// HasRef reports whether s still holds a ${...} reference.
func HasRef(s string) bool { return strings.Contains(s, "${") }

// parseRefs returns the names referenced in s and s without them. A "${"
// that does not start a well-formed reference is an error, so a typo does
// not silently become part of a URL.
func parseRefs(s string) (names []string, literal string, err error) {
	var lit strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			lit.WriteString(s)
			return names, lit.String(), nil
		}
		lit.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, "", fmt.Errorf("unterminated ${ reference")
		}
		name := s[i+2 : i+j]
		if !envName(name) {
			return nil, "", fmt.Errorf("%q is not an environment variable name (letters, digits and '_', not starting with a digit)", cut(name, 64))
		}
		names = append(names, name)
		s = s[i+j+1:]
	}
}

// ExpandRefs replaces each ${NAME} in s with its value. An unset or empty
// variable is an error: an empty key or password would only fail later,
// at the first use.
func ExpandRefs(s string, lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("unterminated ${ reference")
		}
		name := s[i+2 : i+j]
		if !envName(name) {
			return "", fmt.Errorf("%q is not an environment variable name", cut(name, 64))
		}
		v, ok := lookup(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", name)
		}
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

func envName(s string) bool {
	if s == "" || len(s) > 128 || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
