package logctx

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	"github.com/zun-go/zun/auth"
)

// RequestIDHeader carries a request's id in every OpenStack answer.
const RequestIDHeader = "X-Openstack-Request-Id"

// StartRequest gives a request its id, answered in RequestIDHeader, and a
// logger with it (request_id) in its context. base is the service's
// logger.
func StartRequest(w http.ResponseWriter, r *http.Request, base *slog.Logger) (*http.Request, string) {
	id := "req-" + uuid.NewString()
	w.Header().Set(RequestIDHeader, id)
	if base == nil {
		base = discard
	}
	return r.WithContext(WithLogger(r.Context(), base.With("request_id", id))), id
}

// WithPrincipal adds the authenticated caller (project_id, user_id) to the
// logger of ctx.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	ctx, _ = With(ctx, "project_id", p.ProjectID, "user_id", p.UserID)
	return ctx
}
