// Package errdefs is the one error vocabulary of the project.
//
// Every package wraps one of these sentinels (with %w, or with the helpers
// below) and names the object the error is about. HTTPStatus maps them to
// status codes (the services with their own error bodies name them too);
// nothing matches on error strings.
package errdefs

import (
	"errors"
	"fmt"
	"net/http"
)

// The kinds of error a caller can act on.
var (
	ErrInvalid       = errors.New("invalid argument")       // 400
	ErrUnauthorized  = errors.New("unauthorized")           // 401
	ErrForbidden     = errors.New("forbidden")              // 403
	ErrQuotaExceeded = errors.New("quota exceeded")         // 403
	ErrNotFound      = errors.New("not found")              // 404
	ErrNotAcceptable = errors.New("not acceptable")         // 406
	ErrConflict      = errors.New("conflict")               // 409
	ErrTooLarge      = errors.New("request too large")      // 413
	ErrUnsupported   = errors.New("unsupported media type") // 415
	ErrNotSupported  = errors.New("not supported")          // 501
	ErrUnavailable   = errors.New("unavailable")            // 503
)

// kindError carries a complete, user-facing message and a kind. Its message
// is not suffixed with the kind, so it reads well in an API error body.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Is(target error) bool { return target == e.kind }

func (e *kindError) Unwrap() error { return e.cause }

func newf(kind error, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &kindError{kind: kind, msg: err.Error(), cause: errors.Unwrap(err)}
}

// Unauthorizedf returns an ErrUnauthorized with the formatted message.
func Unauthorizedf(format string, args ...any) error { return newf(ErrUnauthorized, format, args...) }

// IsUnauthorized reports whether err is an ErrUnauthorized.
func IsUnauthorized(err error) bool { return errors.Is(err, ErrUnauthorized) }

// Invalidf returns an ErrInvalid with the formatted message.
func Invalidf(format string, args ...any) error { return newf(ErrInvalid, format, args...) }

// NotFoundf returns an ErrNotFound with the formatted message.
func NotFoundf(format string, args ...any) error { return newf(ErrNotFound, format, args...) }

// Conflictf returns an ErrConflict with the formatted message.
func Conflictf(format string, args ...any) error { return newf(ErrConflict, format, args...) }

// Forbiddenf returns an ErrForbidden with the formatted message.
func Forbiddenf(format string, args ...any) error { return newf(ErrForbidden, format, args...) }

// Unavailablef returns an ErrUnavailable with the formatted message.
func Unavailablef(format string, args ...any) error { return newf(ErrUnavailable, format, args...) }

// TooLargef returns an ErrTooLarge with the formatted message.
func TooLargef(format string, args ...any) error { return newf(ErrTooLarge, format, args...) }

// UnsupportedMediaf returns an ErrUnsupported with the formatted message.
func UnsupportedMediaf(format string, args ...any) error {
	return newf(ErrUnsupported, format, args...)
}

// NotSupportedf returns an ErrNotSupported with the formatted message.
func NotSupportedf(format string, args ...any) error { return newf(ErrNotSupported, format, args...) }

// Is helpers, for readability at call sites.
func IsInvalid(err error) bool     { return errors.Is(err, ErrInvalid) }
func IsNotFound(err error) bool    { return errors.Is(err, ErrNotFound) }
func IsConflict(err error) bool    { return errors.Is(err, ErrConflict) }
func IsForbidden(err error) bool   { return errors.Is(err, ErrForbidden) }
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
func IsTooLarge(err error) bool    { return errors.Is(err, ErrTooLarge) }

// HTTPStatus is the HTTP status of err's kind; 500 for an error of none.
func HTTPStatus(err error) int {
	switch {
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrQuotaExceeded):
		return http.StatusForbidden
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrNotAcceptable):
		return http.StatusNotAcceptable
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupported):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}
