// Package agentapi carries the conversation between compute agents and the
// control plane over HTTP, so that an agent on another host needs only the
// control plane's URL and a token, never the store:
//
//	agent ──► control plane   /internal/v1/hosts/{host}/...   compute.ControlPlane
//	          watch (a stream of JSON lines), report, events, forget, heartbeat
//	control plane ──► agent   /host/v1/containers/{id}/...    direct calls
//	          logs (streamed), exec, stats, top, update, commit
//
// Both directions authenticate with the same shared secret, sent as a
// bearer token and compared in constant time. Errors keep their errdefs
// kind across the wire.
package agentapi

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// kinds maps errdefs sentinels to wire names and back.
var kinds = []struct {
	name string
	err  error
}{
	{"invalid", errdefs.ErrInvalid},
	{"unauthorized", errdefs.ErrUnauthorized},
	{"forbidden", errdefs.ErrForbidden},
	{"quota", errdefs.ErrQuotaExceeded},
	{"not_found", errdefs.ErrNotFound},
	{"conflict", errdefs.ErrConflict},
	{"not_supported", errdefs.ErrNotSupported},
	{"unavailable", errdefs.ErrUnavailable},
}

// wireError is an error as sent.
type wireError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func statusOf(kind string) int {
	switch kind {
	case "invalid":
		return http.StatusBadRequest
	case "unauthorized":
		return http.StatusUnauthorized
	case "forbidden", "quota":
		return http.StatusForbidden
	case "not_found":
		return http.StatusNotFound
	case "conflict":
		return http.StatusConflict
	case "not_supported":
		return http.StatusNotImplemented
	case "unavailable":
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// wireErrorOf is err as sent, with its kind.
func wireErrorOf(err error) *wireError {
	we := &wireError{Kind: "internal", Message: err.Error()}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			we.Kind = k.name
			break
		}
	}
	return we
}

// err is the error received, with its kind.
func (we *wireError) err() error {
	e := &remoteError{msg: we.Message}
	for _, k := range kinds {
		if k.name == we.Kind {
			e.kind = k.err
		}
	}
	return e
}

func writeError(w http.ResponseWriter, err error) {
	we := wireErrorOf(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf(we.Kind))
	_ = json.NewEncoder(w).Encode(map[string]*wireError{"error": we})
}

// remoteError is an error received over the wire; it keeps its kind.
type remoteError struct {
	kind error
	msg  string
}

func (e *remoteError) Error() string        { return e.msg }
func (e *remoteError) Is(target error) bool { return e.kind != nil && target == e.kind }

func decodeError(status int, body []byte) error {
	var v struct {
		Error wireError `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || v.Error.Message == "" {
		return errdefs.Unavailablef("agent API: HTTP %d: %s", status, strings.TrimSpace(string(body)))
	}
	return v.Error.err()
}

// authorized checks the bearer token of r.
func authorized(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// guard refuses requests without the token.
func guard(token string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, token) {
			writeError(w, errdefs.ErrUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func readJSON(r *http.Request, v any) error {
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 8<<20)).Decode(v); err != nil {
		return errdefs.Invalidf("agent API: bad request body: %v", err)
	}
	return nil
}

var errInvalid = errdefs.ErrInvalid

// unreachable wraps a transport failure: the other side could not be
// reached or went away.
func unreachable(err error) error { return errdefs.Unavailablef("agent API: %w", err) }
