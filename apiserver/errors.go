package apiserver

import "net/http"

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
	case http.StatusTooManyRequests:
		return "container.too_many_requests"
	case http.StatusNotImplemented:
		return "container.not_supported"
	case http.StatusServiceUnavailable:
		return "container.unavailable"
	}
	return "container.internal_error"
}
