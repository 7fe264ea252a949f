package httpapi

import (
	"bytes"
	"context"
	"net/http"

	"github.com/palisade-project/palisade"
	"github.com/palisade-project/palisade/slo"
	"github.com/palisade-project/palisade/slo/openslo"
	"github.com/palisade-project/palisade/slo/promrules"
)

// viewSLOs returns the SLO definitions (of service, when given).
func viewSLOs(views []slo.View) []*slo.SLO {
	out := make([]*slo.SLO, 0, len(views))
	for _, v := range views {
		out = append(out, v.SLO)
	}
	return out
}

func (s *Server) handlePrometheusRules(w http.ResponseWriter, r *http.Request) error {
	views, err := s.cfg.SLO.List(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	var prom []*slo.SLO
	for _, o := range viewSLOs(views) {
		if o.Indicator.Kind == slo.KindPrometheus {
			prom = append(prom, o)
		}
	}
	rf, err := promrules.Generate(prom)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := rf.WriteYAML(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

func (s *Server) handleExportOpenSLO(w http.ResponseWriter, r *http.Request) error {
	views, err := s.cfg.SLO.List(r.Context(), r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := openslo.Write(&buf, viewSLOs(views)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, err = w.Write(buf.Bytes())
	return err
}

// MaxOpenSLOBody bounds POST /api/v1/openslo.
const MaxOpenSLOBody = 1 << 20

// OpenSLOImport says what an OpenSLO import did.
type OpenSLOImport struct {
	Created  int      `json:"created"`
	Updated  int      `json:"updated"`
	Deleted  int      `json:"deleted"`
	Warnings []string `json:"warnings"`
}

func (s *Server) handleImportOpenSLO(w http.ResponseWriter, r *http.Request) error {
	prune, err := queryBool(r, "prune")
	if err != nil {
		return err
	}
	// 1 MiB: OpenSLO files are small, and YAML parsing time grows faster
	// than the size for hostile input.
	body, _, err := readBody(w, r, MaxOpenSLOBody, append([]string{"application/json"}, yamlTypes...)...)
	if err != nil {
		return err
	}
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "request body"
	}
	res, err := ImportOpenSLO(r.Context(), s.cfg.SLO, name, body, prune)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ImportOpenSLO reads OpenSLO v1 documents and stores their SLOs: what the
// API route and the CLI's local mode both do.
func ImportOpenSLO(ctx context.Context, svc *slo.Service, name string, data []byte, prune bool) (*OpenSLOImport, error) {
	res, err := openslo.Read(name, data)
	if err != nil {
		return nil, err
	}
	if len(res.SLOs) == 0 {
		return nil, palisade.Errorf(palisade.EUNPROCESSABLE, "%s holds no SLO Palisade can evaluate (%d warnings)", name, len(res.Warnings))
	}
	out := &OpenSLOImport{Warnings: res.Warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	out.Created, out.Updated, out.Deleted, err = svc.Put(ctx, res.SLOs, prune)
	if err != nil {
		return nil, err
	}
	return out, nil
}
