package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
)

// HandlerOptions configure the HTTP API.
type HandlerOptions struct {
	// Prefix is where the API is mounted, such as "/identity"; requests
	// reach the handler with it stripped.
	Prefix string
	// PublicURL is the base URL of the whole service as clients reach it,
	// such as "http://controller:9517"; empty: from each request's Host.
	PublicURL string
}

// Handler serves the Keystone v3 API subset.
type Handler struct {
	s    *Service
	opts HandlerOptions
	mux  *http.ServeMux
	// patterns are the route table's patterns, for Routes.
	patterns []string
}

// NewHandler returns the HTTP API of s.
func NewHandler(s *Service, opts HandlerOptions) *Handler {
	h := &Handler{s: s, opts: opts, mux: http.NewServeMux()}
	h.routes()
	return h
}

// apiVersion is the Keystone API version this subset follows.
const apiVersion = "v3.14"

// hfunc is a handler: it returns a status and a body, or an error.
type hfunc func(r *http.Request, t *Token) (int, any, error)

// access says who may call a route.
type access int

const (
	public    access = iota // no token
	anyToken                // any valid token
	adminOnly               // a token with the admin role
)

func (h *Handler) routes() {
	m := h.mux
	handle := func(pattern string, a access, f hfunc) {
		m.Handle(pattern, h.wrap(a, f))
		h.patterns = append(h.patterns, pattern)
	}
	handle("GET /{$}", public, h.versions)
	handle("GET /v3", public, h.version)
	handle("GET /v3/{$}", public, h.version)

	handle("POST /v3/auth/tokens", public, h.issueToken)
	handle("GET /v3/auth/tokens", anyToken, h.checkToken)
	handle("HEAD /v3/auth/tokens", anyToken, h.checkToken)
	handle("DELETE /v3/auth/tokens", anyToken, h.revokeToken)
	handle("GET /v3/auth/catalog", anyToken, h.authCatalog)
	handle("GET /v3/auth/projects", anyToken, h.authProjects)
	handle("GET /v3/auth/domains", anyToken, h.authDomains)

	handle("GET /v3/domains", adminOnly, h.listDomains)
	handle("POST /v3/domains", adminOnly, h.createDomain)
	handle("GET /v3/domains/{id}", adminOnly, h.showDomain)

	handle("GET /v3/projects", adminOnly, h.listProjects)
	handle("POST /v3/projects", adminOnly, h.createProject)
	handle("GET /v3/projects/{id}", adminOnly, h.showProject)
	handle("PATCH /v3/projects/{id}", adminOnly, h.updateProject)
	handle("DELETE /v3/projects/{id}", adminOnly, h.deleteProject)

	handle("GET /v3/users", adminOnly, h.listUsers)
	handle("POST /v3/users", adminOnly, h.createUser)
	handle("GET /v3/users/{id}", anyToken, h.showUser)
	handle("PATCH /v3/users/{id}", adminOnly, h.updateUser)
	handle("DELETE /v3/users/{id}", adminOnly, h.deleteUser)
	handle("POST /v3/users/{id}/password", anyToken, h.changePassword)
	handle("GET /v3/users/{id}/projects", anyToken, h.userProjects)

	handle("GET /v3/roles", adminOnly, h.listRoles)
	handle("POST /v3/roles", adminOnly, h.createRole)
	handle("GET /v3/roles/{id}", adminOnly, h.showRole)
	handle("DELETE /v3/roles/{id}", adminOnly, h.deleteRole)

	for _, target := range []string{"projects", "domains"} {
		base := "/v3/" + target + "/{target}/users/{user}/roles"
		handle("GET "+base, adminOnly, h.listGrants)
		handle("PUT "+base+"/{role}", adminOnly, h.grant)
		handle("HEAD "+base+"/{role}", adminOnly, h.checkGrant)
		handle("GET "+base+"/{role}", adminOnly, h.checkGrant)
		handle("DELETE "+base+"/{role}", adminOnly, h.ungrant)
	}
	handle("GET /v3/role_assignments", adminOnly, h.listAssignments)

	handle("GET /v3/services", adminOnly, h.listServices)
	handle("GET /v3/endpoints", adminOnly, h.listEndpoints)
	handle("GET /v3/regions", anyToken, h.listRegions)
}

// Routes returns the patterns of the route table, such as
// "POST /v3/auth/tokens", in order.
func (h *Handler) Routes() []string { return slices.Clone(h.patterns) }

// ServeHTTP serves a request whose path has the prefix stripped.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, _ = logctx.StartRequest(w, r, h.s.log)
	if r.URL.Path == "" {
		r.URL.Path = "/"
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.fail(w, r, errdefs.NotFoundf("The resource could not be found."))
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) wrap(a access, f hfunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		r = r.WithContext(context.WithValue(r.Context(), headerKey{}, w.Header()))
		var tok *Token
		if a != public {
			t, err := h.s.ValidateToken(r.Context(), r.Header.Get("X-Auth-Token"))
			if err != nil {
				h.fail(w, r, err)
				return
			}
			if a == adminOnly && !t.Principal().IsAdmin() {
				h.fail(w, r, errdefs.Forbiddenf("You are not authorized to perform the requested action: %s %s.", r.Method, r.URL.Path))
				return
			}
			tok = t
			r = r.WithContext(logctx.WithPrincipal(r.Context(), t.Principal()))
		}
		status, body, err := f(r, tok)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if body == nil || r.Method == http.MethodHead {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// fail answers err as Keystone's error body, with the status errdefs gives
// its kind. Only the message and headers are Keystone's own.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := errdefs.HTTPStatus(err)
	msg := err.Error()
	var throttled *ErrThrottled
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.Wait.Seconds()+0.999)))
	case errors.As(err, &mbe):
		msg = "Request is too large."
	case errors.Is(err, errMethodNotSupported):
		// Keystone's AuthMethodNotSupported names the methods offered.
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+h.base(r)+`"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"code": status, "title": http.StatusText(status),
			"message":  msg,
			"identity": map[string]any{"methods": offeredMethods},
		}})
		return
	case errdefs.IsUnauthorized(err):
		// Keystone never says which part of a login was wrong.
		msg = "The request you have made requires authentication."
		w.Header().Set("WWW-Authenticate", `Keystone uri="`+h.base(r)+`"`)
	}
	if errdefs.KindOf(err) == nil {
		logctx.Or(r.Context(), h.s.log).Error("identity request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		msg = "An unexpected error prevented the server from fulfilling your request."
	}
	writeError(w, status, msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": msg, "title": http.StatusText(status),
	}})
}

// base is the URL of the identity API root (without /v3).
func (h *Handler) base(r *http.Request) string {
	return h.root(r) + h.opts.Prefix
}

// root is the base URL of the whole service.
func (h *Handler) root(r *http.Request) string {
	if h.opts.PublicURL != "" {
		return strings.TrimRight(h.opts.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errdefs.Invalidf("cannot read the request body: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(v); err != nil {
		return errdefs.Invalidf("Expecting to find valid JSON in the request body: %v", err)
	}
	return nil
}

func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Version discovery.

func (h *Handler) versionDoc(r *http.Request) map[string]any {
	return map[string]any{
		"id": apiVersion, "status": "stable", "updated": "2020-04-07T00:00:00Z",
		"links": []map[string]string{{"rel": "self", "href": h.base(r) + "/v3/"}},
		"media-types": []map[string]string{{
			"base": "application/json", "type": "application/vnd.openstack.identity-v3+json",
		}},
	}
}

func (h *Handler) versions(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusMultipleChoices, map[string]any{"versions": map[string]any{"values": []any{h.versionDoc(r)}}}, nil
}

func (h *Handler) version(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusOK, map[string]any{"version": h.versionDoc(r)}, nil
}

// Tokens.

func (h *Handler) issueToken(r *http.Request, _ *Token) (int, any, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return 0, nil, err
		}
		return 0, nil, errdefs.Invalidf("cannot read the request body: %v", err)
	}
	req, err := parseAuthBody(b, r.Header.Get("X-Auth-Token"))
	if err != nil {
		return 0, nil, err
	}
	req.Remote = remoteAddr(r)
	t, err := h.s.Authenticate(r.Context(), req)
	if err != nil {
		return 0, nil, err
	}
	return h.tokenResponse(r, t, http.StatusCreated)
}

func (h *Handler) checkToken(r *http.Request, _ *Token) (int, any, error) {
	t, err := h.s.ValidateToken(r.Context(), r.Header.Get("X-Subject-Token"))
	if err != nil {
		return 0, nil, errdefs.NotFoundf("Could not find token.")
	}
	if _, nocatalog := r.URL.Query()["nocatalog"]; nocatalog {
		return h.tokenResponse(r, t, http.StatusOK, true)
	}
	return h.tokenResponse(r, t, http.StatusOK)
}

func (h *Handler) revokeToken(r *http.Request, _ *Token) (int, any, error) {
	if err := h.s.Revoke(r.Context(), r.Header.Get("X-Subject-Token")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func timeString(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func (h *Handler) tokenResponse(r *http.Request, t *Token, status int, noCatalog ...bool) (int, any, error) {
	body := map[string]any{
		"methods":    t.Methods,
		"audit_ids":  t.AuditIDs,
		"expires_at": timeString(t.ExpiresAt),
		"issued_at":  timeString(t.IssuedAt),
		"user": map[string]any{
			"id": t.User.ID, "name": t.User.Name, "password_expires_at": nil,
			"domain": map[string]string{"id": t.UserDom.ID, "name": t.UserDom.Name},
		},
	}
	roles := make([]map[string]string, 0, len(t.Roles))
	for _, ro := range t.Roles {
		roles = append(roles, map[string]string{"id": ro.ID, "name": ro.Name})
	}
	switch {
	case t.Project != nil:
		body["project"] = map[string]any{"id": t.Project.ID, "name": t.Project.Name,
			"domain": map[string]string{"id": t.ProjDom.ID, "name": t.ProjDom.Name}}
		body["is_domain"] = false
		body["roles"] = roles
	case t.Domain != nil:
		body["domain"] = map[string]string{"id": t.Domain.ID, "name": t.Domain.Name}
		body["roles"] = roles
	}
	if (t.Project != nil || t.Domain != nil) && len(noCatalog) == 0 && !r.URL.Query().Has("nocatalog") {
		body["catalog"] = h.catalog(r)
	}
	setHeader(r, "X-Subject-Token", t.ID)
	return status, map[string]any{"token": body}, nil
}

// headerKey carries the response's header map in the request context, for
// handlers that set a header besides their body.
type headerKey struct{}

func setHeader(r *http.Request, name, value string) {
	if h, ok := r.Context().Value(headerKey{}).(http.Header); ok {
		h.Set(name, value)
	}
}

func (h *Handler) authCatalog(r *http.Request, t *Token) (int, any, error) {
	if t.Project == nil && t.Domain == nil {
		return 0, nil, errdefs.Forbiddenf("An unscoped token has no catalog.")
	}
	return http.StatusOK, map[string]any{"catalog": h.catalog(r), "links": h.links(r)}, nil
}

func (h *Handler) authProjects(r *http.Request, t *Token) (int, any, error) {
	return http.StatusOK, map[string]any{"projects": h.projectsOf(r, t.User.ID), "links": h.links(r)}, nil
}

func (h *Handler) authDomains(r *http.Request, t *Token) (int, any, error) {
	var out []any
	for _, d := range h.s.Domains("") {
		if len(h.s.RolesOn(t.User.ID, "", d.ID)) > 0 {
			out = append(out, h.domainView(r, d))
		}
	}
	return http.StatusOK, map[string]any{"domains": nonNil(out), "links": h.links(r)}, nil
}

func (h *Handler) projectsOf(r *http.Request, userID string) []any {
	var out []any
	for _, p := range h.s.Projects("", "") {
		if len(h.s.RolesOn(userID, p.ID, "")) > 0 {
			out = append(out, h.projectView(r, p))
		}
	}
	return nonNil(out)
}

func nonNil(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

func (h *Handler) links(r *http.Request) map[string]any {
	return map[string]any{"self": h.base(r) + r.URL.Path, "previous": nil, "next": nil}
}

// The catalog: identity and every configured service, one endpoint per
// interface, all at the same URL.

type catalogEntry struct {
	typ, name, url string
}

func (h *Handler) entries(r *http.Request) []catalogEntry {
	out := []catalogEntry{{"identity", "keystone", h.base(r) + "/v3"}}
	for _, s := range h.s.cfg.Services {
		out = append(out, catalogEntry{s.Type, s.Name, h.root(r) + s.Path})
	}
	return out
}

func stableID(parts ...string) string {
	return fmt.Sprintf("%x", []byte(strings.Join(parts, "-")))[:min(32, 2*len(strings.Join(parts, "-")))]
}

func (h *Handler) catalog(r *http.Request) []any {
	var out []any
	for _, e := range h.entries(r) {
		var eps []any
		for _, iface := range []string{"public", "internal", "admin"} {
			eps = append(eps, map[string]any{
				"id": stableID(e.typ, iface), "interface": iface, "region": h.s.cfg.Region,
				"region_id": h.s.cfg.Region, "url": e.url,
			})
		}
		out = append(out, map[string]any{"id": stableID(e.typ), "type": e.typ, "name": e.name, "endpoints": eps})
	}
	return out
}

func (h *Handler) listServices(r *http.Request, _ *Token) (int, any, error) {
	var out []any
	for _, e := range h.entries(r) {
		out = append(out, map[string]any{"id": stableID(e.typ), "type": e.typ, "name": e.name, "enabled": true,
			"links": map[string]string{"self": h.base(r) + "/v3/services/" + stableID(e.typ)}})
	}
	return http.StatusOK, map[string]any{"services": out, "links": h.links(r)}, nil
}

func (h *Handler) listEndpoints(r *http.Request, _ *Token) (int, any, error) {
	var out []any
	for _, e := range h.entries(r) {
		for _, iface := range []string{"public", "internal", "admin"} {
			out = append(out, map[string]any{
				"id": stableID(e.typ, iface), "interface": iface, "region": h.s.cfg.Region, "region_id": h.s.cfg.Region,
				"url": e.url, "service_id": stableID(e.typ), "enabled": true,
				"links": map[string]string{"self": h.base(r) + "/v3/endpoints/" + stableID(e.typ, iface)},
			})
		}
	}
	return http.StatusOK, map[string]any{"endpoints": out, "links": h.links(r)}, nil
}

func (h *Handler) listRegions(r *http.Request, _ *Token) (int, any, error) {
	return http.StatusOK, map[string]any{"regions": []any{map[string]any{
		"id": h.s.cfg.Region, "description": "", "parent_region_id": nil,
		"links": map[string]string{"self": h.base(r) + "/v3/regions/" + h.s.cfg.Region},
	}}, "links": h.links(r)}, nil
}
