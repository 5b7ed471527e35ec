package network

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/internal/weburl"
)

// Authenticator turns a token into the caller's principal.
type Authenticator = auth.Validator

// HandlerOptions configure the API handler.
type HandlerOptions struct {
	// Prefix is where the handler is mounted ("/network"), for links.
	Prefix string
	// PublicURL is the base URL in links; "": from each request.
	PublicURL string
	// NoAuth makes every caller the given principal (development only).
	NoAuth *auth.Principal
	Logger *slog.Logger
}

// Handler serves the subset of Neutron's v2.0 API that openstackclient's
// network, subnet, port and security group commands use. Mount it with
// its prefix stripped.
type Handler struct {
	store Store
	authn Authenticator
	opts  HandlerOptions
	mux   *http.ServeMux
	// patterns are the route table's patterns, for Routes.
	patterns []string
}

// apiFunc answers one request of an authenticated caller: a body and a
// status, or an error.
type apiFunc func(r *http.Request, p auth.Principal) (any, int, error)

// NewHandler returns the network API over store.
func NewHandler(store Store, authn Authenticator, opts HandlerOptions) *Handler {
	if opts.Logger == nil {
		opts.Logger = logctx.Discard()
	}
	h := &Handler{store: store, authn: authn, opts: opts, mux: http.NewServeMux()}
	routes := []struct {
		pattern string
		fn      apiFunc
	}{
		{"GET /v2.0/extensions", h.listExtensions},
		{"GET /v2.0/extensions/{alias}", h.showExtension},

		{"GET /v2.0/networks", h.listNetworks},
		{"POST /v2.0/networks", h.createNetwork},
		{"GET /v2.0/networks/{id}", h.showNetwork},
		{"PUT /v2.0/networks/{id}", h.updateNetwork},
		{"DELETE /v2.0/networks/{id}", h.deleteNetwork},

		{"GET /v2.0/subnets", h.listSubnets},
		{"POST /v2.0/subnets", h.createSubnet},
		{"GET /v2.0/subnets/{id}", h.showSubnet},
		{"PUT /v2.0/subnets/{id}", h.updateSubnet},
		{"DELETE /v2.0/subnets/{id}", h.deleteSubnet},

		{"GET /v2.0/ports", h.listPorts},
		{"POST /v2.0/ports", h.createPort},
		{"GET /v2.0/ports/{id}", h.showPort},
		{"PUT /v2.0/ports/{id}", h.updatePort},
		{"DELETE /v2.0/ports/{id}", h.deletePort},

		{"GET /v2.0/security-groups", h.listGroups},
		{"POST /v2.0/security-groups", h.createGroup},
		{"GET /v2.0/security-groups/{id}", h.showGroup},
		{"PUT /v2.0/security-groups/{id}", h.updateGroup},
		{"DELETE /v2.0/security-groups/{id}", h.deleteGroup},

		// Rules cannot change: there is no PUT.
		{"GET /v2.0/security-group-rules", h.listRules},
		{"POST /v2.0/security-group-rules", h.createRule},
		{"GET /v2.0/security-group-rules/{id}", h.showRule},
		{"DELETE /v2.0/security-group-rules/{id}", h.deleteRule},
	}
	for _, c := range []string{"networks", "subnets", "ports", "security-groups"} {
		base := "/v2.0/" + c + "/{id}/tags"
		routes = append(routes, []struct {
			pattern string
			fn      apiFunc
		}{
			{"GET " + base, h.tagsOf(c, tagsList)},
			{"PUT " + base, h.tagsOf(c, tagsReplace)},
			{"DELETE " + base, h.tagsOf(c, tagsClear)},
			{"GET " + base + "/{tag}", h.tagsOf(c, tagCheck)},
			{"PUT " + base + "/{tag}", h.tagsOf(c, tagAdd)},
			{"DELETE " + base + "/{tag}", h.tagsOf(c, tagRemove)},
		}...)
	}
	for _, rt := range routes {
		h.mux.HandleFunc(rt.pattern, h.authed(rt.fn))
		h.patterns = append(h.patterns, rt.pattern)
	}
	return h
}

// Routes returns the patterns of the route table, such as
// "POST /v2.0/networks", in order; version discovery ("/", "/v2.0") is
// not in it.
func (h *Handler) Routes() []string { return slices.Clone(h.patterns) }

// maxBody bounds request bodies.
const maxBody = 64 << 10

// ServeHTTP routes "/", "/v2.0" (version discovery) and the route table.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, _ = logctx.StartRequest(w, r, h.opts.Logger)
	switch strings.Trim(r.URL.Path, "/") {
	case "":
		h.reply(w, r, h.versions(r), http.StatusOK, nil)
		return
	case "v2.0":
		h.reply(w, r, h.resources(r), http.StatusOK, nil)
		return
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		// Tell a wrong method from a wrong path.
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := h.mux.Handler(probe); p != "" {
				h.reply(w, r, nil, 0, errdefs.MethodNotAllowedf("The method %s is not allowed for this resource.", r.Method))
				return
			}
		}
		h.reply(w, r, nil, 0, errdefs.NotFoundf("The resource could not be found."))
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authed authenticates the caller and runs fn. An admin works in every
// project, as in Neutron: lists show all of them and any record can be
// reached by id.
func (h *Handler) authed(fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err != nil {
			h.reply(w, r, nil, 0, err)
			return
		}
		ctx := logctx.WithPrincipal(auth.WithPrincipal(r.Context(), p), p)
		if p.IsAdmin() {
			ctx = auth.WithAllProjects(ctx)
		}
		r = r.WithContext(ctx)
		body, status, err := fn(r, p)
		h.reply(w, r, body, status, err)
	}
}

func (h *Handler) authenticate(r *http.Request) (auth.Principal, error) {
	return auth.FromRequest(r, h.authn, h.opts.NoAuth)
}

// canWrite is Neutron's default policy for changes: a member (or admin)
// of the project; a reader only reads.
func canWrite(p auth.Principal) error {
	if p.IsAdmin() || p.HasRole(auth.RoleMember) {
		return nil
	}
	return errdefs.Forbiddenf("Policy doesn't allow this operation to be performed: it needs the member role.")
}

func (h *Handler) base(r *http.Request) string {
	return weburl.Base(r, h.opts.PublicURL, h.opts.Prefix)
}

// versions is the version document at the root.
func (h *Handler) versions(r *http.Request) any {
	return map[string]any{"versions": []any{map[string]any{
		"id": "v2.0", "status": "CURRENT",
		"links": []any{map[string]string{"rel": "self", "href": h.base(r) + "/v2.0/"}},
	}}}
}

// resources is the document at /v2.0: the collections served.
func (h *Handler) resources(r *http.Request) any {
	var out []any
	for _, c := range []struct{ name, coll string }{{"network", "networks"}, {"subnet", "subnets"}, {"port", "ports"},
		{"security_group", "security-groups"}, {"security_group_rule", "security-group-rules"}} {
		out = append(out, map[string]any{"name": c.name, "collection": c.coll,
			"links": []any{map[string]string{"rel": "self", "href": h.base(r) + "/v2.0/" + c.coll}}})
	}
	return map[string]any{"resources": out}
}

// reply writes body as JSON, or err as Neutron's error document, and logs
// the request with its logger (its id set by ServeHTTP).
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, body any, status int, err error) {
	if err != nil {
		var typ string
		status, typ = faultOf(err)
		body = map[string]any{"NeutronError": map[string]any{"type": typ, "message": err.Error(), "detail": ""}}
	}
	log := logctx.Or(r.Context(), h.opts.Logger).With("method", r.Method, "path", r.URL.Path, "status", status)
	switch {
	case status >= 500:
		log.Error("network API", "error", err)
	case err != nil:
		log.Debug("network API", "error", err)
	default:
		log.Debug("network API")
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// typedError names the Neutron exception type of an error.
type typedError struct {
	typ string
	err error
}

func (e *typedError) Error() string { return e.err.Error() }
func (e *typedError) Unwrap() error { return e.err }

// typed names err's Neutron type when err is of kind and has none yet.
func typed(err error, kind error, typ string) error {
	var te *typedError
	if err != nil && errors.Is(err, kind) && !errors.As(err, &te) {
		return &typedError{typ: typ, err: err}
	}
	return err
}

// faultOf is err's status, as errdefs gives it for Neutron, and its
// Neutron type: the one a handler named (typed), else its kind's.
func faultOf(err error) (int, string) {
	status := errdefs.Neutron.HTTPStatus(err)
	if te := (*typedError)(nil); errors.As(err, &te) {
		return status, te.typ
	}
	if typ, ok := neutronTypes[errdefs.KindOf(err)]; ok {
		return status, typ
	}
	return status, "HTTPInternalServerError"
}

// neutronTypes are the NeutronError types of the kinds, where a handler
// names none.
var neutronTypes = map[error]string{
	errdefs.ErrInvalid:          "HTTPBadRequest",
	errdefs.ErrUnauthorized:     "HTTPUnauthorized",
	errdefs.ErrForbidden:        "PolicyNotAuthorized",
	errdefs.ErrQuotaExceeded:    "OverQuota",
	errdefs.ErrNotFound:         "HTTPNotFound",
	errdefs.ErrMethodNotAllowed: "HTTPMethodNotAllowed",
	errdefs.ErrNotAcceptable:    "HTTPNotAcceptable",
	errdefs.ErrConflict:         "Conflict",
	errdefs.ErrTooLarge:         "HTTPRequestEntityTooLarge",
	errdefs.ErrUnsupported:      "HTTPUnsupportedMediaType",
	errdefs.ErrThrottled:        "HTTPTooManyRequests",
	errdefs.ErrNotSupported:     "HTTPNotImplemented",
	errdefs.ErrUnavailable:      "ServiceUnavailable",
}

// neutronTime is the format of Neutron's timestamps.
const neutronTime = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string { return t.UTC().Format(neutronTime) }

// nullable is s, or JSON null when empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orEmpty is a list that shows as [] rather than null.
func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// Interface guards
var _ http.Handler = (*Handler)(nil)
