// Package glance is the embedded image store's API, a subset of Glance's
// v2. For now it answers version discovery only (openstackclient opens
// the image client for "volume create" even without an image); the image
// store itself (upload, list, show, delete, download of `docker save`
// tarballs) is the next step of the images work and answers 501 until then.
package glance

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Handler serves the image API; mount it with its prefix stripped.
type Handler struct {
	// Prefix is where the handler is mounted ("/image"), for links.
	Prefix string
	// PublicURL is the base URL in links; "": from each request.
	PublicURL string
}

func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	path := strings.Trim(r.URL.Path, "/")
	if path == "" || path == "versions" {
		base := h.PublicURL
		if base == "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			base = scheme + "://" + r.Host
		}
		base = strings.TrimRight(base, "/") + h.Prefix
		status := http.StatusMultipleChoices
		if path == "versions" {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"versions": []any{map[string]any{
			"id": "v2.0", "status": "CURRENT",
			"links": []any{map[string]string{"rel": "self", "href": base + "/v2/"}},
		}}})
		return
	}
	w.WriteHeader(http.StatusNotImplemented)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": 501, "title": "Not Implemented",
		"message": "The embedded image store is not available yet."})
}
