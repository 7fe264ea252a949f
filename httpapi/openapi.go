package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3 description, written by hand and kept in
// step with routes by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPI []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPI)
	return err
}
