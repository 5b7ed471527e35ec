// Package handmade holds the mappings TestHandMadeMappingsFound must find
// (statusOf, Handler.fault, writeKind) next to code it must let be.
package handmade

import (
	"errors"
	"net/http"

	"github.com/zun-go/zun/errdefs"
)

var errGone = errors.New("gone")

// statusOf maps kinds to statuses by hand: found.
func statusOf(err error) int {
	switch {
	case errdefs.IsNotFound(err):
		return http.StatusNotFound
	case errors.Is(err, errGone):
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

type Handler struct{}

// fault writes a number for a kind: found.
func (h *Handler) fault(w http.ResponseWriter, err error) {
	if errdefs.IsConflict(err) {
		w.WriteHeader(409)
		return
	}
	w.WriteHeader(errdefs.HTTPStatus(err))
}

// writeKind gives a status for an error it unwraps: found.
func writeKind(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	status := errdefs.HTTPStatus(err)
	if errors.As(err, &mbe) {
		status = http.StatusRequestEntityTooLarge
	}
	w.WriteHeader(status)
}

// reply asks errdefs and only reads the status: let be.
func reply(w http.ResponseWriter, err error) {
	status := errdefs.HTTPStatus(err)
	if status >= 500 && errdefs.IsUnavailable(err) {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
}

// codeOf names statuses, but looks at no error: let be.
func codeOf(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	}
	return "internal"
}

// created gives a success status: let be.
func created(w http.ResponseWriter, err error) {
	if errors.Is(err, errGone) {
		return
	}
	w.WriteHeader(http.StatusCreated)
}
