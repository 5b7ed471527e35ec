// Package errdefs is the one error vocabulary of the project.
//
// Every package wraps one of these sentinels (with the helpers below, or
// with %w around an error that already has a kind) and names the object
// the error is about. The kind alone decides the HTTP status, here and
// nowhere else: HTTPStatus for Zun's API and the agents' wire, an API's
// HTTPStatus for the services whose status for a kind differs (Neutron
// and Cinder answer a quota with 409 and 413), FromHTTPStatus for a
// client reading a status back. Nothing matches on error strings.
package errdefs

import (
	"errors"
	"fmt"
	"net/http"
)

// The kinds of error a caller can act on.
var (
	ErrInvalid          = errors.New("invalid argument")       // 400
	ErrUnauthorized     = errors.New("unauthorized")           // 401
	ErrForbidden        = errors.New("forbidden")              // 403
	ErrQuotaExceeded    = errors.New("quota exceeded")         // 403 (Neutron 409, Cinder 413)
	ErrNotFound         = errors.New("not found")              // 404
	ErrMethodNotAllowed = errors.New("method not allowed")     // 405
	ErrNotAcceptable    = errors.New("not acceptable")         // 406
	ErrConflict         = errors.New("conflict")               // 409
	ErrTooLarge         = errors.New("request too large")      // 413
	ErrUnsupported      = errors.New("unsupported media type") // 415
	ErrThrottled        = errors.New("too many requests")      // 429
	ErrNotSupported     = errors.New("not supported")          // 501
	ErrUnavailable      = errors.New("unavailable")            // 503
)

// A Kind is one kind of error: its sentinel, its name on the agents' wire
// and its HTTP status.
type Kind struct {
	Err    error
	Name   string
	Status int
}

// kinds is the vocabulary, in the order an error is matched: an error of
// two kinds (a quota error that is also forbidden) takes the first. The
// wire names are stable: agents and control planes of different versions
// read each other's.
var kinds = []Kind{
	{ErrInvalid, "invalid", http.StatusBadRequest},
	{ErrUnauthorized, "unauthorized", http.StatusUnauthorized},
	{ErrQuotaExceeded, "quota", http.StatusForbidden},
	{ErrForbidden, "forbidden", http.StatusForbidden},
	{ErrNotFound, "not_found", http.StatusNotFound},
	{ErrMethodNotAllowed, "method_not_allowed", http.StatusMethodNotAllowed},
	{ErrNotAcceptable, "not_acceptable", http.StatusNotAcceptable},
	{ErrConflict, "conflict", http.StatusConflict},
	{ErrTooLarge, "too_large", http.StatusRequestEntityTooLarge},
	{ErrUnsupported, "unsupported_media_type", http.StatusUnsupportedMediaType},
	{ErrThrottled, "throttled", http.StatusTooManyRequests},
	{ErrNotSupported, "not_supported", http.StatusNotImplemented},
	{ErrUnavailable, "unavailable", http.StatusServiceUnavailable},
}

// Kinds returns the vocabulary, in matching order.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// kindOf is err's entry in kinds; ok is false for an error of no kind. A
// request body over its limit (*http.MaxBytesError) is ErrTooLarge.
func kindOf(err error) (k Kind, ok bool) {
	if err == nil {
		return Kind{}, false
	}
	for _, k := range kinds {
		if errors.Is(err, k.Err) {
			return k, true
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return kindNamed("too_large")
	}
	return Kind{}, false
}

func kindNamed(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindOf is the sentinel of err's kind, or nil.
func KindOf(err error) error {
	k, _ := kindOf(err)
	return k.Err
}

// Name is the wire name of err's kind, "internal" for an error of none.
func Name(err error) string {
	if k, ok := kindOf(err); ok {
		return k.Name
	}
	return "internal"
}

// Named is the sentinel a wire name stands for, or nil for "internal" or
// a name this version does not know.
func Named(name string) error {
	k, _ := kindNamed(name)
	return k.Err
}

// HTTPStatus is the HTTP status of err's kind; 500 for an error of none.
func HTTPStatus(err error) int {
	if k, ok := kindOf(err); ok {
		return k.Status
	}
	return http.StatusInternalServerError
}

// FromHTTPStatus is the kind a client reads from a status: the first kind
// with that status (so 403 is ErrForbidden), or nil for a success or a
// status of no kind. Cinder's 413 for a quota reads as ErrTooLarge, and
// Neutron's 409 as ErrConflict.
func FromHTTPStatus(status int) error {
	for _, k := range kinds {
		if k.Status == status && k.Err != ErrQuotaExceeded {
			return k.Err
		}
	}
	return nil
}

// An API is the status convention of one OpenStack service: the same as
// HTTPStatus for every kind but the few it answers otherwise.
type API struct {
	name     string
	override map[error]int
}

// The services whose statuses differ from Zun's.
var (
	// Neutron answers OverQuota with 409 Conflict.
	Neutron = API{"neutron", map[error]int{ErrQuotaExceeded: http.StatusConflict}}
	// Cinder's QuotaError (VolumeSizeExceedsAvailableQuota,
	// VolumeLimitExceeded...) is 413.
	Cinder = API{"cinder", map[error]int{ErrQuotaExceeded: http.StatusRequestEntityTooLarge}}
)

// HTTPStatus is the status this API gives err's kind.
func (a API) HTTPStatus(err error) int {
	if k, ok := kindOf(err); ok {
		if s, ok := a.override[k.Err]; ok {
			return s
		}
	}
	return HTTPStatus(err)
}

func (a API) String() string { return a.name }

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

// New is an error of kind (a sentinel above) with msg as its whole
// message; a nil kind makes an error of none. It is how an error read
// from the wire gets its kind back.
func New(kind error, msg string) error {
	if kind == nil {
		return errors.New(msg)
	}
	return &kindError{kind: kind, msg: msg}
}

// Unauthorizedf returns an ErrUnauthorized with the formatted message.
func Unauthorizedf(format string, args ...any) error { return newf(ErrUnauthorized, format, args...) }

// Invalidf returns an ErrInvalid with the formatted message.
func Invalidf(format string, args ...any) error { return newf(ErrInvalid, format, args...) }

// NotFoundf returns an ErrNotFound with the formatted message.
func NotFoundf(format string, args ...any) error { return newf(ErrNotFound, format, args...) }

// Conflictf returns an ErrConflict with the formatted message.
func Conflictf(format string, args ...any) error { return newf(ErrConflict, format, args...) }

// Forbiddenf returns an ErrForbidden with the formatted message.
func Forbiddenf(format string, args ...any) error { return newf(ErrForbidden, format, args...) }

// QuotaExceededf returns an ErrQuotaExceeded with the formatted message.
func QuotaExceededf(format string, args ...any) error {
	return newf(ErrQuotaExceeded, format, args...)
}

// MethodNotAllowedf returns an ErrMethodNotAllowed with the formatted
// message.
func MethodNotAllowedf(format string, args ...any) error {
	return newf(ErrMethodNotAllowed, format, args...)
}

// NotAcceptablef returns an ErrNotAcceptable with the formatted message.
func NotAcceptablef(format string, args ...any) error {
	return newf(ErrNotAcceptable, format, args...)
}

// Unavailablef returns an ErrUnavailable with the formatted message.
func Unavailablef(format string, args ...any) error { return newf(ErrUnavailable, format, args...) }

// TooLargef returns an ErrTooLarge with the formatted message.
func TooLargef(format string, args ...any) error { return newf(ErrTooLarge, format, args...) }

// UnsupportedMediaf returns an ErrUnsupported with the formatted message.
func UnsupportedMediaf(format string, args ...any) error {
	return newf(ErrUnsupported, format, args...)
}

// Throttledf returns an ErrThrottled with the formatted message.
func Throttledf(format string, args ...any) error { return newf(ErrThrottled, format, args...) }

// NotSupportedf returns an ErrNotSupported with the formatted message.
func NotSupportedf(format string, args ...any) error { return newf(ErrNotSupported, format, args...) }

// Is helpers, for readability at call sites.
func IsInvalid(err error) bool       { return errors.Is(err, ErrInvalid) }
func IsUnauthorized(err error) bool  { return errors.Is(err, ErrUnauthorized) }
func IsNotFound(err error) bool      { return errors.Is(err, ErrNotFound) }
func IsConflict(err error) bool      { return errors.Is(err, ErrConflict) }
func IsForbidden(err error) bool     { return errors.Is(err, ErrForbidden) }
func IsQuotaExceeded(err error) bool { return errors.Is(err, ErrQuotaExceeded) }
func IsUnavailable(err error) bool   { return errors.Is(err, ErrUnavailable) }
func IsTooLarge(err error) bool      { return errors.Is(err, ErrTooLarge) }
func IsNotSupported(err error) bool  { return errors.Is(err, ErrNotSupported) }
