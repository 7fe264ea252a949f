package catalog

import (
	"bytes"
	"sort"
	"strings"

	"github.com/palisade-project/palisade"
)

// MaxFileSize is the largest input, in bytes, that ParseYAML, ParseJSON and
// the Backstage readers accept (per file): 16 MiB. Larger input fails with
// palisade.ETOOLARGE before it is parsed.
const MaxFileSize = 16 << 20

// sections maps each top-level key of palisade.yaml to the kind of object
// its list declares. The file is shared by every capability: when another
// one gives it a section (slos, experiments, ...), that key is added here
// with kind "" so that this parser accepts it and leaves it to its owner.
// Any key not listed is an error, so that a misspelt section is reported
// instead of silently declaring nothing.
var sections = map[string]string{
	"teams":        KindTeam,
	"services":     KindService,
	"thirdParties": KindThirdParty,
	// remediation is the CVE process's remediation policy (package vuln).
	"remediation": "",
	// slos are the security objectives (package slo).
	"slos": "",
	// gates are the change-gate policies (package gate).
	"gates": "",
	// severities and routing steer incident response (package incident).
	"severities": "",
	"routing":    "",
	// notifiers are where notifications go (package notify).
	"notifiers": "",
	// retrospectives holds the retrospective templates (package retro).
	"retrospectives": "",
	// alertSources are the senders of alerts with their credentials
	// (package intake).
	"alertSources": "",
}

// sectionNames returns the keys of sections for error messages.
func sectionNames() string {
	var names []string
	for k := range sections {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

type fieldType uint8

const (
	textField fieldType = iota // a string
	intField                   // an integer
	listField                  // a list of strings
)

// objectFields lists the fields of each kind as palisade.yaml and JSON spell
// them (the json tags of Team, Service and ThirdParty); both readers check
// against it, so a field unknown here is an error in either format.
// TestObjectFieldsMatchStructs keeps it in step with the structs.
var objectFields = map[string]map[string]fieldType{
	KindTeam: {
		"name": textField, "description": textField, "members": listField,
	},
	KindService: {
		"name": textField, "description": textField, "team": textField, "tier": intField,
		"system": textField, "lifecycle": textField, "tags": listField, "dataClasses": listField,
		"dependsOn": listField, "thirdParties": listField,
	},
	KindThirdParty: {
		"name": textField, "description": textField, "website": textField, "statusPage": textField,
		"dataClasses": listField,
	},
}

// kindWord is how error messages name a kind.
var kindWord = map[string]string{KindTeam: "team", KindService: "service", KindThirdParty: "third party"}

// Guards against input that is small but expensive to read.
const (
	// maxErrors stops a read after this many problems: past it they are
	// mostly consequences of the first ones, and the list only grows.
	maxErrors = 50
	// maxDepth bounds nesting (each mapping key and list entry is a level).
	// Catalog files need fewer than 10 levels; Backstage specs a few dozen.
	maxDepth = 128
	// parseCostPerByte bounds the path bytes the YAML parser may allocate
	// per input byte (see checkParseCost). Real files need fewer than 10.
	parseCostPerByte = 32
	// maxNullCost and maxNullCostPerByte bound the token moves the YAML
	// parser makes to insert empty values (see checkParseCost): half a
	// second of work, plus about as much again as parsing itself takes.
	maxNullCost        = 100_000_000
	maxNullCostPerByte = 64
)

// ParseYAML reads a palisade.yaml file: one YAML document whose top-level
// keys are the sections (teams, services, thirdParties), each a list of
// objects whose fields are spelt as the json tags of Team, Service and
// ThirdParty. Unknown sections and fields are errors at every level.
//
// file names the input in errors and locations; data is its content. Empty
// input (or only comments) is an empty Document. The Document records the
// location of every object and field (see Document.Loc); the caller runs
// Normalize and Validate. On failure the error is a *palisade.Error, or
// palisade.Errors when there are several problems, with Field set to
// "file:line:col" and code EINVALID (ETOOLARGE for input over MaxFileSize
// or whose aliases or nesting expand beyond what its size justifies).
func ParseYAML(file string, data []byte) (*Document, error) {
	r, docs, err := parseYAMLFile(file, data)
	if err != nil {
		return nil, err
	}
	d := &Document{}
	if len(docs) > 1 {
		return nil, locError(r.docLoc(docs[1]), "a catalog file holds one YAML document; remove the '---' separator and merge the sections")
	}
	if len(docs) == 1 {
		r.readCatalog(d, docs[0].Body)
	}
	if err := errorsResult(r.errs); err != nil {
		return nil, err
	}
	return d, nil
}

// ParseJSON reads the JSON form of palisade.yaml (the API's
// application/json body): an object with the same sections and fields, with
// the same strictness. Locations and errors use "file:line:col" with the
// column counted in bytes. Empty input is an empty Document; the caller runs
// Normalize and Validate. Errors are as for ParseYAML.
func ParseJSON(file string, data []byte) (*Document, error) {
	if err := checkSize(file, data); err != nil {
		return nil, err
	}
	d := &Document{}
	if len(bytes.TrimSpace(data)) == 0 {
		return d, nil
	}
	j := newJSONReader(file, data)
	j.readCatalog(d)
	if err := errorsResult(j.errs); err != nil {
		return nil, err
	}
	return d, nil
}

func checkSize(file string, data []byte) error {
	if len(data) > MaxFileSize {
		return palisade.FieldErrorf(palisade.ETOOLARGE, file, "file is %d bytes; the limit is %d (16 MiB)", len(data), MaxFileSize)
	}
	return nil
}

func locError(l Loc, format string, args ...any) *palisade.Error {
	return palisade.FieldErrorf(palisade.EINVALID, l.String(), format, args...)
}

// errorsResult returns nil for no errors, the error itself for one (so that
// callers see a plain *palisade.Error in the common case), or the list.
func errorsResult(errs palisade.Errors) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errs
}

// field is one decoded field of an object with where it was written.
type field struct {
	text string
	num  int
	list []string
	loc  Loc
}

// object is a declared team, service or third party as read from a file,
// before it becomes its struct; both readers produce it so that the model
// is built, and locations recorded, in one place.
type object struct {
	kind   string
	loc    Loc
	fields map[string]field
}

func (d *Document) addObject(o object) {
	f := o.fields
	name := f["name"].text
	switch o.kind {
	case KindTeam:
		d.Teams = append(d.Teams, Team{Name: name, Description: f["description"].text, Members: f["members"].list})
	case KindService:
		d.Services = append(d.Services, Service{
			Name: name, Description: f["description"].text, Team: f["team"].text, Tier: f["tier"].num,
			System: f["system"].text, Lifecycle: f["lifecycle"].text, Tags: f["tags"].list,
			DataClasses: f["dataClasses"].list, DependsOn: f["dependsOn"].list, ThirdParties: f["thirdParties"].list,
		})
	case KindThirdParty:
		d.ThirdParties = append(d.ThirdParties, ThirdParty{
			Name: name, Description: f["description"].text, Website: f["website"].text,
			StatusPage: f["statusPage"].text, DataClasses: f["dataClasses"].list,
		})
	default:
		return
	}
	d.SetLoc(o.kind, name, "", o.loc)
	for k, v := range f {
		d.SetLoc(o.kind, name, k, v.loc)
	}
}
