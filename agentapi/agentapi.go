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
	"net/http"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// wireError is an error as sent: its message and the errdefs name of its
// kind ("internal" for none), so the other side gets the same kind back.
type wireError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// wireErrorOf is err as sent, with its kind.
func wireErrorOf(err error) *wireError {
	return &wireError{Kind: errdefs.Name(err), Message: err.Error()}
}

// err is the error received, with its kind: a kind this version does not
// know is an error of none.
func (we *wireError) err() error {
	return errdefs.New(errdefs.Named(we.Kind), we.Message)
}

// writeError answers err with its kind's status.
func writeError(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(errdefs.HTTPStatus(err))
	_ = json.NewEncoder(w).Encode(map[string]*wireError{"error": wireErrorOf(err)})
}

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
			writeError(w, errdefs.Unauthorizedf("agent API: the bearer token is missing or wrong"))
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

// unreachable wraps a transport failure: the other side could not be
// reached or went away.
func unreachable(err error) error { return errdefs.Unavailablef("agent API: %w", err) }
