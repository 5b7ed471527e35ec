package apiserver

import (
	"errors"
	"net/http"

	"github.com/zun-go/zun/errdefs"
)

// statusOf maps an error to its HTTP status. This is the only place where
// errors become status codes.
func statusOf(err error) int {
	switch {
	case errors.Is(err, errdefs.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, errdefs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errdefs.ErrForbidden), errors.Is(err, errdefs.ErrQuotaExceeded):
		return http.StatusForbidden
	case errors.Is(err, errdefs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errdefs.ErrNotAcceptable):
		return http.StatusNotAcceptable
	case errors.Is(err, errdefs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errdefs.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errdefs.ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, errdefs.ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, errdefs.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// codeOf is the "code" of Zun's error body for a status.
func codeOf(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "container.invalid"
	case http.StatusUnauthorized:
		return "container.not_authorized"
	case http.StatusForbidden:
		return "container.forbidden"
	case http.StatusNotFound:
		return "container.not_found"
	case http.StatusMethodNotAllowed:
		return "container.method_not_allowed"
	case http.StatusNotAcceptable:
		return "zun.microversion-unsupported"
	case http.StatusConflict:
		return "container.conflict"
	case http.StatusRequestEntityTooLarge:
		return "container.request_too_large"
	case http.StatusUnsupportedMediaType:
		return "container.unsupported_media_type"
	case http.StatusNotImplemented:
		return "container.not_supported"
	case http.StatusServiceUnavailable:
		return "container.unavailable"
	}
	return "container.internal_error"
}
