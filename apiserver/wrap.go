package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
)

// RequestIDHeader is set on every response.
const RequestIDHeader = "X-Openstack-Request-Id"

// call is one API request as a handler sees it.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	ctx       context.Context
	version   api.Version
	requestID string
	// log is the request's logger, also carried by ctx (logctx): request_id,
	// project_id and user_id once authenticated, container_id once the
	// handler has its container (forContainer).
	log         *slog.Logger
	containerID string
	// status of a successful response; 200 unless the handler sets it.
	status int
}

// handler decodes a request, authorizes it, calls the service and returns
// a value to encode as JSON, or an error.
type handler func(c *call) (any, error)

// streamed is returned by handlers that wrote the response themselves.
var streamed = &struct{}{}

// routeFlags say how wrap treats a route.
type routeFlags int

const (
	routeVersioned routeFlags = 1 << iota // microversion negotiation
	routePublic                           // served without a token
)

// wrap adapts a handler to http.Handler: request id, microversion
// negotiation, authentication, body size limit, JSON encoding, access log
// and error-to-status mapping.
func (s *Server) wrap(flags routeFlags, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{w: w, r: r, status: http.StatusOK, version: api.MinVersion}
		c.requestID = "req-" + uuid.NewString()
		w.Header().Set(RequestIDHeader, c.requestID)
		c.log = s.log.With("request_id", c.requestID)
		c.ctx = logctx.WithLogger(r.Context(), c.log)
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)

		var body any
		err := func() error {
			if flags&routeVersioned != 0 {
				v, err := negotiate(w, r)
				if err != nil {
					return err
				}
				c.version = v
			}
			ctx := c.ctx
			if flags&routePublic == 0 {
				var err error
				if ctx, err = s.authenticate(c.ctx, r); err != nil {
					return err
				}
				if p, ok := auth.FromContext(ctx); ok {
					ctx, c.log = logctx.With(ctx, "project_id", p.ProjectID, "user_id", p.UserID)
				}
			}
			c.ctx = ctx
			var err error
			body, err = h(c)
			return err
		}()
		if err != nil {
			c.status = s.writeError(c, err)
		} else if body != streamed {
			writeJSON(w, c.status, body)
		}
		c.log.Info("request", "method", r.Method, "path", r.URL.Path,
			"status", c.status, "version", c.version.String(),
			"duration_ms", time.Since(start).Milliseconds())
	}
}

// negotiate reads the requested microversion and sets the version headers.
func negotiate(w http.ResponseWriter, r *http.Request) (api.Version, error) {
	h := w.Header()
	h.Set(api.MinVersionHeader, api.ServiceType+" "+api.MinVersion.String())
	h.Set(api.MaxVersionHeader, api.ServiceType+" "+api.MaxVersion.String())
	h.Set("Vary", api.VersionHeader)
	v := api.MinVersion
	if raw := r.Header.Get(api.VersionHeader); raw != "" {
		fields := strings.Fields(raw)
		if len(fields) != 2 || fields[0] != api.ServiceType {
			return v, errdefs.NotAcceptablef("invalid service type for %s header %q: want \"%s X.Y\"",
				api.VersionHeader, raw, api.ServiceType)
		}
		parsed, err := api.ParseVersion(fields[1])
		if err != nil {
			return v, errdefs.NotAcceptablef("%v", err)
		}
		v = parsed
	}
	h.Set(api.VersionHeader, api.ServiceType+" "+v.String())
	if v.Less(api.MinVersion) || api.MaxVersion.Less(v) {
		return v, &versionError{v}
	}
	return v, nil
}

// versionError is a requested microversion outside the supported range.
type versionError struct{ v api.Version }

func (e *versionError) Error() string {
	return fmt.Sprintf("Version %s was requested but the minor version is not supported by this service. The supported version range is: [%s, %s].",
		e.v, api.MinVersion, api.MaxVersion)
}

func (e *versionError) Is(target error) bool { return target == errdefs.ErrNotAcceptable }

// writeError writes Zun's error body and returns the status it used.
func (s *Server) writeError(c *call, err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errdefs.TooLargef("request body is larger than %d bytes", mbe.Limit)
	}
	status := errdefs.HTTPStatus(err)
	msg := err.Error()
	if errdefs.KindOf(err) == nil {
		c.log.Error("request failed", "error", err)
		msg = "Your request could not be handled because of a problem in the server. Error Correlation id is: " + c.requestID
	}
	item := api.ErrorItem{
		RequestID: c.requestID,
		Code:      codeOf(status),
		Status:    status,
		Title:     msg,
		Detail:    msg,
		Links:     []api.Link{},
	}
	var ve *versionError
	if errors.As(err, &ve) {
		item.MaxVersion = api.MaxVersion.String()
		item.MinVersion = api.MinVersion.String()
	}
	writeJSON(c.w, status, api.ErrorBody{Errors: []api.ErrorItem{item}})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// forContainer adds the container's id to the call's logger, in c.log and
// in c.ctx for the code the handler calls.
func (c *call) forContainer(id string) {
	if c.containerID == id {
		return
	}
	c.containerID = id
	c.ctx, c.log = logctx.With(c.ctx, "container_id", id)
}

// readBody reads the whole (size-limited) request body.
func (c *call) readBody() ([]byte, error) {
	b, err := io.ReadAll(c.r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errdefs.Invalidf("cannot read request body: %v", err)
	}
	return b, nil
}

// requireJSON enforces Content-Type: application/json on create calls.
func (c *call) requireJSON() error {
	ct := c.r.Header.Get("Content-Type")
	if ct == "" || !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/json") {
		return errdefs.UnsupportedMediaf("the server could not comply with the request since it is either malformed or otherwise incorrect: Content-Type must be application/json, not %q", ct)
	}
	return nil
}
