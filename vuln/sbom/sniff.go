package sbom

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/palisade-project/palisade/internal/jsonpos"
)

// cycloneDXNamespacePrefix starts the XML namespace of every CycloneDX
// version ("http://cyclonedx.org/schema/bom/1.6").
const cycloneDXNamespacePrefix = "http://cyclonedx.org/schema/bom/"

// sniff recognizes the format of data from its content, never from the
// file name: scanner output is often saved as "out.json" or "report".
func sniff(name string, data []byte) (string, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return "", invalid(name, nil, "the file is empty; %s", acceptedText())
	}
	switch trimmed[0] {
	case '{':
		return sniffJSON(name, data)
	case '<':
		return sniffXML(name, data)
	case '[':
		return "", invalid(name, nil, "a JSON array is not an accepted format (Trivy wrote one before its JSON SchemaVersion 2; use a current Trivy); %s", acceptedText())
	}
	return "", invalid(name, nil, "neither JSON nor XML; %s", acceptedText())
}

func acceptedText() string {
	return "accepted formats: CycloneDX JSON or XML (spec 1.2 to 1.6), SPDX 2.2/2.3 JSON, osv-scanner JSON, Trivy JSON, Grype JSON"
}

// topLevel records, for each top-level key of a JSON object, the value
// itself when it is small (for bomFormat, spdxVersion) and only its kind
// otherwise, so sniffing a 60 MiB SBOM copies next to nothing.
type topLevel map[string]sniffValue

type sniffValue struct {
	kind  byte   // first byte of the value: '{', '[', '"', 'n', ...
	small []byte // the value when at most 256 bytes long
}

func (v *sniffValue) UnmarshalJSON(b []byte) error {
	if len(b) > 0 {
		v.kind = b[0]
	}
	if len(b) <= 256 {
		v.small = append([]byte(nil), b...)
	}
	return nil
}

func (t topLevel) has(key string) bool {
	_, ok := t[key]
	return ok
}

func (t topLevel) str(key string) string {
	var s string
	if v, ok := t[key]; ok && v.kind == '"' {
		_ = json.Unmarshal(v.small, &s)
	}
	return s
}

func sniffJSON(name string, data []byte) (string, error) {
	var top topLevel
	if err := json.Unmarshal(data, &top); err != nil {
		return "", jsonError(name, data, err, "malformed JSON")
	}
	switch {
	case top.str("bomFormat") == "CycloneDX":
		return FormatCycloneDXJSON, nil
	case top.has("spdxVersion"):
		return FormatSPDXJSON, nil
	case top.has("matches") && top.has("descriptor"):
		return FormatGrype, nil
	case top.has("SchemaVersion") && top.has("Results"):
		return FormatTrivy, nil
	case top.has("results"):
		return FormatOSVScanner, nil
	case top.has("bomFormat"):
		return "", invalid(name, nil, "bomFormat is %q, not \"CycloneDX\"; %s", top.str("bomFormat"), acceptedText())
	}
	return "", invalid(name, nil, "JSON of an unknown kind (no bomFormat, spdxVersion, results, SchemaVersion+Results or matches+descriptor); %s", acceptedText())
}

func sniffXML(name string, data []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", invalid(name, nil, "XML without a root element; %s", acceptedText())
			}
			line, col := dec.InputPos()
			return "", invalidAt(name, line, col, err, "malformed XML: %s", xmlMessage(err))
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "bom" && strings.HasPrefix(se.Name.Space, cycloneDXNamespacePrefix) {
				return FormatCycloneDXXML, nil
			}
			return "", invalid(name, nil, "XML root element <%s> in namespace %q is not a CycloneDX <bom>; %s", se.Name.Local, se.Name.Space, acceptedText())
		}
	}
}

// xmlMessage drops the "XML syntax error on line N:" prefix, since the
// position is already in the error's field, and explains encoding/xml's
// refusal of non-UTF-8 documents in the user's terms.
func xmlMessage(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return se.Msg
	}
	msg := err.Error()
	if strings.Contains(msg, "CharsetReader is nil") {
		if _, enc, ok := strings.Cut(msg, "encoding "); ok {
			enc, _, _ = strings.Cut(enc, " declared")
			return "the document declares encoding " + enc + "; only UTF-8 is accepted (convert it, e.g. iconv -t UTF-8, and fix the declaration)"
		}
	}
	return msg
}

// jsonError turns a decoding error into an EINVALID error at the position
// the decoder reports. what introduces errors that have no position, such as
// a custom decoder's complaint.
func jsonError(name string, data []byte, err error, what string) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included; at
		// the end of input there is no offending byte, so point past it.
		at := se.Offset - 1
		if se.Offset >= int64(len(data)) {
			at = int64(len(data))
		}
		line, col := jsonpos.LineCol(data, at)
		return invalidAt(name, line, col, err, "malformed JSON: %s", se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := jsonpos.LineCol(data, te.Offset-1)
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return invalidAt(name, line, col, err, "%s: expected %s, found a JSON %s", field, jsonKind(te.Type), te.Value)
	}
	return invalid(name, err, "%s: %v", what, err)
}

// jsonKind names what JSON a Go type decodes from, so that messages speak
// of arrays and objects rather than of Go types.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}
