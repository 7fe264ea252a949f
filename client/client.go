// Package client calls a running Palisade server's API. The CLI uses it
// when given --server, so that every command works the same against a
// server as directly on a database.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/auditlog"
	"github.com/palisade-project/palisade/catalog"
	"github.com/palisade-project/palisade/gate"
	"github.com/palisade-project/palisade/httpapi"
	"github.com/palisade-project/palisade/identity"
	"github.com/palisade-project/palisade/retro"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/vuln"
)

// Client is an API client. The zero value is not usable; call New.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client for the server at base (such as
// "https://palisade.example.com") authenticating with token.
func New(base, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, palisade.Errorf(palisade.EINVALID, "--server %q is not an http(s) URL", base)
	}
	if token == "" {
		return nil, palisade.Errorf(palisade.EINVALID, "--server needs a token: pass --token or set PALISADE_TOKEN")
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// do sends a request and decodes a JSON answer into out. API errors come
// back as *palisade.Error with the server's code, message and field.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, contentType string, body []byte, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return palisade.Errorf(palisade.EUNAVAILABLE, "cannot reach %s: %v", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return palisade.Errorf(palisade.EUNAVAILABLE, "read answer from %s: %v", c.base, err)
	}
	if resp.StatusCode >= 300 {
		var eb httpapi.ErrorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return palisade.Errorf(palisade.EUNAVAILABLE, "%s %s: server answered %s", method, path, resp.Status)
		}
		if len(eb.Error.Details) > 1 {
			errs := palisade.Errors{}
			for _, d := range eb.Error.Details {
				errs = append(errs, &palisade.Error{Code: d.Code, Message: d.Message, Field: d.Field})
			}
			return errs
		}
		return &palisade.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

func (c *Client) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, "", nil, out)
}

// Apply sends a catalog for apply.
func (c *Client) Apply(ctx context.Context, doc *catalog.Document, opt catalog.ApplyOptions) (*httpapi.ApplyResponse, error) {
	body, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("prune", strconv.FormatBool(opt.Prune))
	q.Set("dryRun", strconv.FormatBool(opt.DryRun))
	var out httpapi.ApplyResponse
	if err := c.do(ctx, http.MethodPost, "/api/v1/apply", q, "application/json", body, &out); err != nil {
		return nil, err
	}
	out.Warnings = append(doc.Warnings, out.Warnings...)
	return &out, nil
}

// Services returns one page of services.
func (c *Client) Services(ctx context.Context, f catalog.ServiceFilter) (*httpapi.ListResponse[catalog.Service], error) {
	q := url.Values{}
	for k, v := range map[string]string{"team": f.Team, "tag": f.Tag, "cursor": f.After} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Tier != 0 {
		q.Set("tier", strconv.Itoa(f.Tier))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out httpapi.ListResponse[catalog.Service]
	return &out, c.getJSON(ctx, "/api/v1/services", q, &out)
}

// CreateToken creates a token; the answer holds its secret.
func (c *Client) CreateToken(ctx context.Context, req httpapi.CreateTokenRequest) (*httpapi.CreateTokenResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out httpapi.CreateTokenResponse
	return &out, c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, "application/json", body, &out)
}

// ListTokens lists all tokens.
func (c *Client) ListTokens(ctx context.Context) ([]identity.Token, error) {
	var out httpapi.ListResponse[identity.Token]
	return out.Items, c.getJSON(ctx, "/api/v1/tokens", nil, &out)
}

// RevokeToken revokes the active token with that id or name.
func (c *Client) RevokeToken(ctx context.Context, ref string) (*identity.Token, error) {
	var out identity.Token
	return &out, c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(ref), nil, "", nil, &out)
}

// AuditLog returns one page of the audit log, newest first, and the next
// cursor.
func (c *Client) AuditLog(ctx context.Context, f auditlog.Filter) ([]auditlog.Entry, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "kind": f.Kind, "object": f.Object} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	if f.Before > 0 {
		q.Set("cursor", strconv.FormatInt(f.Before, 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out httpapi.ListResponse[auditlog.Entry]
	return out.Items, out.Next, c.getJSON(ctx, "/api/v1/audit", q, &out)
}

// VerifyAudit asks the server to verify its audit chain.
func (c *Client) VerifyAudit(ctx context.Context, expect *auditlog.Head) (auditlog.Result, error) {
	q := url.Values{}
	if expect != nil {
		q.Set("expectSeq", strconv.FormatInt(expect.Seq, 10))
		q.Set("expectHash", expect.Hash)
	}
	var out auditlog.Result
	return out, c.getJSON(ctx, "/api/v1/audit/verify", q, &out)
}

// Findings lists one page of findings.
func (c *Client) Findings(ctx context.Context, q url.Values) ([]vuln.Finding, string, error) {
	var out httpapi.ListResponse[vuln.Finding]
	return out.Items, out.Next, c.getJSON(ctx, "/api/v1/vuln/findings", q, &out)
}

// Finding returns one finding with its history.
func (c *Client) Finding(ctx context.Context, id string) (*httpapi.FindingResponse, error) {
	var out httpapi.FindingResponse
	return &out, c.getJSON(ctx, "/api/v1/vuln/findings/"+url.PathEscape(id), nil, &out)
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	return c.sendJSON(ctx, http.MethodPost, path, in, out)
}

// sendJSON sends in as a JSON body with method (POST, PATCH, PUT).
func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, method, path, nil, "application/json", body, out)
}

// Triage applies a decision to findings by ids or by advisory.
func (c *Client) Triage(ctx context.Context, req httpapi.TriageRequest) ([]vuln.Finding, error) {
	var out httpapi.ListResponse[vuln.Finding]
	return out.Items, c.postJSON(ctx, "/api/v1/vuln/triage", req, &out)
}

// Accept accepts the risk of findings.
func (c *Client) Accept(ctx context.Context, req httpapi.AcceptBody) ([]vuln.Finding, error) {
	var out httpapi.ListResponse[vuln.Finding]
	return out.Items, c.postJSON(ctx, "/api/v1/vuln/accept", req, &out)
}

// Metrics returns the CVE metrics of a scope.
func (c *Client) Metrics(ctx context.Context, sc vuln.Scope) (*vuln.MetricsReport, error) {
	q := url.Values{}
	if sc.Service != "" {
		q.Set("service", sc.Service)
	}
	if sc.Team != "" {
		q.Set("team", sc.Team)
	}
	var out vuln.MetricsReport
	return &out, c.getJSON(ctx, "/api/v1/vuln/metrics", q, &out)
}

// Report fetches the audit report as JSON.
func (c *Client) Report(ctx context.Context, from, to time.Time, service string) (*vuln.Report, error) {
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "format": {"json"}}
	if service != "" {
		q.Set("service", service)
	}
	var out vuln.Report
	return &out, c.getJSON(ctx, "/api/v1/vuln/report", q, &out)
}

// upload posts a file's content with a media type to path and decodes the
// answer into out.
func (c *Client) upload(ctx context.Context, path string, q url.Values, ctype string, body []byte, out any) error {
	return c.do(ctx, http.MethodPost, path, q, ctype, body, out)
}

// Scan sends inventories for matching; with service they are recorded.
func (c *Client) Scan(ctx context.Context, files []vuln.File, service, format string) (*vuln.ScanResult, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	if format != "" {
		q.Set("format", format)
	}
	body, ctype, err := multipartFiles(files)
	if err != nil {
		return nil, err
	}
	var out vuln.ScanResult
	return &out, c.upload(ctx, "/api/v1/vuln/scan", q, ctype, body, &out)
}

// ImportAdvisories uploads an OSV zip or JSON record.
func (c *Client) ImportAdvisories(ctx context.Context, name string, data []byte) (*vuln.ImportResult, error) {
	ctype := "application/zip"
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		ctype = "application/json"
	}
	var out vuln.ImportResult
	return &out, c.upload(ctx, "/api/v1/vuln/advisories", nil, ctype, data, &out)
}

// Sync asks the server to download and import ecosystems' OSV exports.
func (c *Client) Sync(ctx context.Context, ecosystems []string) ([]*vuln.ImportResult, error) {
	var out httpapi.ListResponse[*vuln.ImportResult]
	return out.Items, c.postJSON(ctx, "/api/v1/vuln/sync", httpapi.SyncRequest{Ecosystems: ecosystems}, &out)
}

// Enrich uploads a KEV catalog ("kev") or EPSS CSV ("epss").
func (c *Client) Enrich(ctx context.Context, kind string, data []byte) (*vuln.EnrichResult, error) {
	ctype := "application/json"
	if kind == "epss" {
		ctype = "text/csv"
		if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
			ctype = "application/gzip"
		}
	}
	var out vuln.EnrichResult
	return &out, c.upload(ctx, "/api/v1/vuln/"+kind, nil, ctype, data, &out)
}

// ImportVEX uploads a VEX document.
func (c *Client) ImportVEX(ctx context.Context, name string, data []byte, service string) (*vuln.VEXResult, error) {
	q := url.Values{"name": {name}}
	if service != "" {
		q.Set("service", service)
	}
	ctype := "application/json"
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		ctype = "application/xml"
	}
	var out vuln.VEXResult
	return &out, c.upload(ctx, "/api/v1/vuln/vex", q, ctype, data, &out)
}

// ExportVEX fetches the decisions as a VEX document.
func (c *Client) ExportVEX(ctx context.Context, service, format string) (json.RawMessage, error) {
	q := url.Values{"format": {format}}
	if service != "" {
		q.Set("service", service)
	}
	var out json.RawMessage
	return out, c.getJSON(ctx, "/api/v1/vuln/vex", q, &out)
}

// Database reports what the server's advisory database holds.
func (c *Client) Database(ctx context.Context) (*vuln.DatabaseStatus, error) {
	var out vuln.DatabaseStatus
	return &out, c.getJSON(ctx, "/api/v1/vuln/database", nil, &out)
}

// SLOs lists the SLOs (of a service) with their last status.
func (c *Client) SLOs(ctx context.Context, service string) ([]slo.View, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	var out httpapi.ListResponse[slo.View]
	return out.Items, c.getJSON(ctx, "/api/v1/slos", q, &out)
}

// SLO evaluates one SLO now.
func (c *Client) SLO(ctx context.Context, name string) (*slo.View, error) {
	var out slo.View
	return &out, c.getJSON(ctx, "/api/v1/slos/"+url.PathEscape(name), nil, &out)
}

// PushEvents pushes events to an SLO.
func (c *Client) PushEvents(ctx context.Context, name string, events []slo.Event) (*slo.PushResult, error) {
	var out slo.PushResult
	return &out, c.postJSON(ctx, "/api/v1/slos/"+url.PathEscape(name)+"/events", httpapi.EventsRequest{Events: events}, &out)
}

// PushChecks pushes control check results of a service.
func (c *Client) PushChecks(ctx context.Context, service string, checks []slo.CheckResult) (*slo.PushResult, error) {
	var out slo.PushResult
	return &out, c.postJSON(ctx, "/api/v1/services/"+url.PathEscape(service)+"/checks", httpapi.ChecksRequest{Checks: checks}, &out)
}

// Gate asks for a decision about a change.
func (c *Client) Gate(ctx context.Context, req gate.Request) (*gate.Record, error) {
	q := url.Values{"service": {req.Service}}
	if req.Change != "" {
		q.Set("change", req.Change)
	}
	body, ctype, err := multipartFiles(req.Files)
	if err != nil {
		return nil, err
	}
	var out gate.Record
	return &out, c.upload(ctx, "/api/v1/gate", q, ctype, body, &out)
}

// Text fetches a non-JSON resource (rule files, OpenSLO documents).
func (c *Client) Text(ctx context.Context, path string, q url.Values) ([]byte, error) {
	var out []byte
	return out, c.getJSON(ctx, path, q, &out)
}

// ImportOpenSLO uploads OpenSLO documents.
func (c *Client) ImportOpenSLO(ctx context.Context, name string, data []byte, prune bool) (*httpapi.OpenSLOImport, error) {
	q := url.Values{"name": {name}, "prune": {strconv.FormatBool(prune)}}
	ctype := "application/yaml"
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		ctype = "application/json"
	}
	var out httpapi.OpenSLOImport
	return &out, c.upload(ctx, "/api/v1/openslo", q, ctype, data, &out)
}

// multipartFiles encodes files as multipart/form-data parts named "file".
func multipartFiles(files []vuln.File) ([]byte, string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.Name)
		if err != nil {
			return nil, "", err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, "", err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return body.Bytes(), mw.FormDataContentType(), nil
}

// Retrospectives searches the retrospective library (see retro.Query; the
// text is in the search syntax of docs/retrospectives.md) and returns one
// page of results with the next cursor.
func (c *Client) Retrospectives(ctx context.Context, rq retro.Query) ([]retro.Hit, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"q": rq.Text, "incident": rq.Incident, "service": rq.Service, "tag": rq.Tag, "severity": rq.Severity,
		"state": rq.State, "cursor": rq.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !rq.From.IsZero() {
		q.Set("from", rq.From.UTC().Format(time.RFC3339))
	}
	if !rq.To.IsZero() {
		q.Set("to", rq.To.UTC().Format(time.RFC3339))
	}
	if rq.Limit > 0 {
		q.Set("limit", strconv.Itoa(rq.Limit))
	}
	var out httpapi.ListResponse[retro.Hit]
	return out.Items, out.Next, c.getJSON(ctx, "/api/v1/retrospectives", q, &out)
}

// OpenRetrospective starts the retrospective of an incident.
func (c *Client) OpenRetrospective(ctx context.Context, incidentID string, req retro.OpenRequest) (*retro.Retrospective, error) {
	var out retro.Retrospective
	return &out, c.postJSON(ctx, "/api/v1/incidents/"+url.PathEscape(incidentID)+"/retrospective", req, &out)
}

// Retrospective returns one retrospective.
func (c *Client) Retrospective(ctx context.Context, id string) (*retro.Retrospective, error) {
	var out retro.Retrospective
	return &out, c.getJSON(ctx, "/api/v1/retrospectives/"+url.PathEscape(id), nil, &out)
}

// UpdateRetrospective changes a retrospective's text.
func (c *Client) UpdateRetrospective(ctx context.Context, id string, p retro.Patch) (*retro.Retrospective, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var out retro.Retrospective
	return &out, c.do(ctx, http.MethodPatch, "/api/v1/retrospectives/"+url.PathEscape(id), nil, "application/json", body, &out)
}

// DeleteRetrospective deletes a draft retrospective.
func (c *Client) DeleteRetrospective(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/retrospectives/"+url.PathEscape(id), nil, "", nil, nil)
}

// TransitionRetrospective moves a retrospective to state; reopening a
// published one (state in_review) needs a reason.
func (c *Client) TransitionRetrospective(ctx context.Context, id, state, reason string) (*retro.Retrospective, error) {
	var out retro.Retrospective
	return &out, c.postJSON(ctx, "/api/v1/retrospectives/"+url.PathEscape(id)+"/transition", httpapi.TransitionRequest{State: state, Reason: reason}, &out)
}

// AddActionItem adds an action item to a retrospective.
func (c *Client) AddActionItem(ctx context.Context, id string, in retro.ItemInput) (*retro.ActionItem, error) {
	var out retro.ActionItem
	return &out, c.postJSON(ctx, "/api/v1/retrospectives/"+url.PathEscape(id)+"/action-items", in, &out)
}

// UpdateActionItem changes an action item of a retrospective.
func (c *Client) UpdateActionItem(ctx context.Context, id, item string, p retro.ItemPatch) (*retro.ActionItem, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var out retro.ActionItem
	return &out, c.do(ctx, http.MethodPatch, "/api/v1/retrospectives/"+url.PathEscape(id)+"/action-items/"+url.PathEscape(item), nil, "application/json", body, &out)
}

// ExportRetrospective returns a retrospective as Markdown or as a
// printable HTML page (format retro.FormatMarkdown or retro.FormatHTML).
func (c *Client) ExportRetrospective(ctx context.Context, id, format string) ([]byte, error) {
	var out []byte
	return out, c.getJSON(ctx, "/api/v1/retrospectives/"+url.PathEscape(id)+"/export", url.Values{"format": {format}}, &out)
}

// SimilarIncidents returns past retrospectives and incidents similar to an
// incident, best first (k 0: the server's default).
func (c *Client) SimilarIncidents(ctx context.Context, incidentID string, k int) ([]retro.Suggestion, error) {
	q := url.Values{}
	if k > 0 {
		q.Set("limit", strconv.Itoa(k))
	}
	var out httpapi.ListResponse[retro.Suggestion]
	return out.Items, c.getJSON(ctx, "/api/v1/incidents/"+url.PathEscape(incidentID)+"/similar", q, &out)
}

// ActionItems returns one page of action items and the next cursor.
func (c *Client) ActionItems(ctx context.Context, f retro.ItemFilter) ([]retro.ItemRef, string, error) {
	q := url.Values{}
	for k, v := range map[string]string{"owner": f.Owner, "status": f.Status, "cursor": f.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Overdue {
		q.Set("overdue", "true")
	}
	if f.Open {
		q.Set("open", "true")
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out httpapi.ListResponse[retro.ItemRef]
	return out.Items, out.Next, c.getJSON(ctx, "/api/v1/action-items", q, &out)
}
