package volume

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/internal/logctx"
	"github.com/zun-go/zun/internal/weburl"
)

// Authenticator turns a token into the caller's principal.
type Authenticator = auth.Validator

// HandlerOptions configure the API handler.
type HandlerOptions struct {
	// Prefix is where the handler is mounted ("/volume"), for links.
	Prefix string
	// PublicURL is the base URL in links; "": from each request.
	PublicURL string
	// NoAuth makes every caller the given principal (development only).
	NoAuth *auth.Principal
	Logger *slog.Logger
	// RemoveData deletes a deleted volume's data on the host that holds
	// it (v.Host); nil: data stays. A failure is logged: the volume is
	// gone either way.
	RemoveData func(ctx context.Context, v *Volume) error
}

// Handler serves the Cinder v3 subset. Mount it with the prefix stripped.
type Handler struct {
	store Store
	authn Authenticator
	opts  HandlerOptions
}

// NewHandler returns the volume API over store.
func NewHandler(store Store, authn Authenticator, opts HandlerOptions) *Handler {
	if opts.Logger == nil {
		opts.Logger = logctx.Discard()
	}
	return &Handler{store: store, authn: authn, opts: opts}
}

// maxBody bounds request bodies: Cinder's size-limit middleware
// (oslo.middleware sizelimit, max_request_body_size) refuses a body over
// 114688 bytes with 413 by default.
const maxBody = 114688

// Routes returns the patterns ServeHTTP answers besides version
// discovery, such as "POST /v3/volumes"; each also takes the project id
// after /v3, as Cinder's URLs do. Keep it in step with ServeHTTP.
func (h *Handler) Routes() []string {
	return []string{
		"GET /v3/volumes",
		"GET /v3/volumes/detail",
		"POST /v3/volumes",
		"GET /v3/volumes/{id}",
		"PUT /v3/volumes/{id}",
		"DELETE /v3/volumes/{id}",
	}
}

// ServeHTTP routes /, /v3, and /v3[/{project_id}]/volumes[/detail|/{id}].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, _ = logctx.StartRequest(w, r, h.opts.Logger)
	path := strings.Trim(r.URL.Path, "/")
	if path == "" || path == "v3" {
		h.reply(w, r, h.versions(r), nil, http.StatusOK)
		return
	}
	parts := strings.Split(path, "/")
	if parts[0] != "v3" {
		h.reply(w, r, nil, errdefs.NotFoundf("The resource could not be found."), 0)
		return
	}
	parts = parts[1:]
	// Cinder's URLs may carry the project id; the token decides anyway.
	if len(parts) > 0 && parts[0] != "volumes" {
		parts = parts[1:]
	}
	if len(parts) == 0 || parts[0] != "volumes" || len(parts) > 2 {
		h.reply(w, r, nil, errdefs.NotFoundf("The resource could not be found."), 0)
		return
	}
	ctx, p, err := h.authenticate(r)
	if err != nil {
		h.reply(w, r, nil, err, 0)
		return
	}
	r = r.WithContext(ctx)
	var (
		body   any
		status = http.StatusOK
	)
	switch {
	case len(parts) == 1 && r.Method == http.MethodGet:
		body, err = h.list(r, p, false)
	case len(parts) == 2 && parts[1] == "detail" && r.Method == http.MethodGet:
		body, err = h.list(r, p, true)
	case len(parts) == 1 && r.Method == http.MethodPost:
		body, err = h.create(r, p)
		status = http.StatusAccepted
	case len(parts) == 2 && r.Method == http.MethodGet:
		body, err = h.show(r, p, parts[1])
	case len(parts) == 2 && r.Method == http.MethodPut:
		body, err = h.update(r, p, parts[1])
	case len(parts) == 2 && r.Method == http.MethodDelete:
		err = h.delete(r, p, parts[1])
		status = http.StatusAccepted
	default:
		err = errdefs.MethodNotAllowedf("The method %s is not allowed for this resource.", r.Method)
	}
	h.reply(w, r, body, err, status)
}

func (h *Handler) authenticate(r *http.Request) (context.Context, auth.Principal, error) {
	p, err := auth.FromRequest(r, h.authn, h.opts.NoAuth)
	if err != nil {
		return nil, auth.Principal{}, err
	}
	return logctx.WithPrincipal(auth.WithPrincipal(r.Context(), p), p), p, nil
}

// canWrite is Cinder's default policy for changes: a member (or admin)
// of the project.
func canWrite(p auth.Principal) error {
	if p.IsAdmin() || p.HasRole(auth.RoleMember) {
		return nil
	}
	return errdefs.Forbiddenf("Policy doesn't allow volume changes to be performed.")
}

func (h *Handler) base(r *http.Request) string {
	return weburl.Base(r, h.opts.PublicURL, h.opts.Prefix)
}

func (h *Handler) versions(r *http.Request) any {
	return map[string]any{"versions": []any{map[string]any{
		"id": "v3.0", "status": "CURRENT", "version": "3.0", "min_version": "3.0",
		"updated": "2026-11-25T00:00:00Z",
		"links":   []any{map[string]string{"rel": "self", "href": h.base(r) + "/v3/"}},
		"media-types": []any{map[string]string{"base": "application/json",
			"type": "application/vnd.openstack.volume+json;version=3"}},
	}}}
}

func (h *Handler) list(r *http.Request, p auth.Principal, detail bool) (any, error) {
	q := r.URL.Query()
	ctx := r.Context()
	// As in Cinder, all_tenants is ignored for callers who are not admins:
	// python-cinderclient sends it whenever it looks a volume up by name.
	if all, _ := strconv.ParseBool(q.Get("all_tenants")); all && p.IsAdmin() {
		ctx = auth.WithAllProjects(ctx)
	}
	keep, err := listFilter(q, p.IsAdmin())
	if err != nil {
		return nil, err
	}
	vols, err := h.store.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, v := range vols {
		view := h.view(r, p, v)
		if !keep(view) {
			continue
		}
		if detail {
			out = append(out, view)
		} else {
			out = append(out, map[string]any{"id": v.ID, "name": v.Name, "links": h.links(r, v)})
		}
	}
	return map[string]any{"volumes": out}, nil
}

func (h *Handler) show(r *http.Request, p auth.Principal, id string) (any, error) {
	v, err := h.store.Get(h.scope(r, p), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"volume": h.view(r, p, v)}, nil
}

// scope lets an admin reach any project's volume by id, as Cinder does.
func (h *Handler) scope(r *http.Request, p auth.Principal) context.Context {
	if p.IsAdmin() {
		return auth.WithAllProjects(r.Context())
	}
	return r.Context()
}

// createRequest is the body of POST volumes. Fields python-cinderclient
// sends empty are accepted and ignored when empty.
type createRequest struct {
	Volume *struct {
		Size               json.RawMessage   `json:"size"`
		Name               *string           `json:"name"`
		Description        *string           `json:"description"`
		DisplayName        *string           `json:"display_name"`
		DisplayDescription *string           `json:"display_description"`
		Metadata           map[string]string `json:"metadata"`
		AvailabilityZone   *string           `json:"availability_zone"`
		VolumeType         *string           `json:"volume_type"`
		SnapshotID         *string           `json:"snapshot_id"`
		SourceVolID        *string           `json:"source_volid"`
		ImageRef           *string           `json:"imageRef"`
		BackupID           *string           `json:"backup_id"`
		Multiattach        *bool             `json:"multiattach"`
	} `json:"volume"`
}

// decodeStrict decodes a body whose top level may hold only the given
// keys, as Cinder's schemas say ("additionalProperties": false).
func decodeStrict(r *http.Request, v any, keys ...string) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errdefs.Invalidf("read the request body: %v", err)
	}
	if len(b) > maxBody {
		return errdefs.TooLargef("Request is too large. Larger than max_request_body_size (%d).", maxBody)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return errdefs.Invalidf("Malformed request body: %v", err)
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(keys, k) {
			return errdefs.Invalidf("Invalid input for field/attribute %s. Additional properties are not allowed ('%s' was unexpected)", k, k)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errdefs.Invalidf("Malformed request body: %v", err)
	}
	return nil
}

// additional words a strict decoder's error as Cinder's validator does.
func additional(err error) string {
	if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Sprintf("Additional properties are not allowed (%s was unexpected)", strings.ReplaceAll(k, `"`, "'"))
	}
	return err.Error()
}

// ParseSize reads a volume size in GiB: a whole number (JSON number or
// string) from 1 to MaxSize.
func ParseSize(raw string) (int, error) {
	raw = strings.Trim(strings.TrimSpace(raw), `"`)
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > MaxSize {
		return 0, errdefs.Invalidf("Invalid input received: size %q must be a whole number of GiB from 1 to %d.", raw, MaxSize)
	}
	return n, nil
}

func (h *Handler) create(r *http.Request, p auth.Principal) (any, error) {
	if err := canWrite(p); err != nil {
		return nil, err
	}
	var req createRequest
	if err := decodeStrict(r, &req, "volume", "OS-SCH-HNT:scheduler_hints"); err != nil {
		return nil, err
	}
	rv := req.Volume
	if rv == nil {
		return nil, errdefs.Invalidf("Missing required element 'volume' in request body.")
	}
	if len(rv.Size) == 0 || string(rv.Size) == "null" {
		return nil, errdefs.Invalidf("Invalid input received: a size is required.")
	}
	size, err := ParseSize(string(rv.Size))
	if err != nil {
		return nil, err
	}
	for field, v := range map[string]*string{"snapshot_id": rv.SnapshotID, "source_volid": rv.SourceVolID,
		"imageRef": rv.ImageRef, "backup_id": rv.BackupID} {
		if v != nil && *v != "" {
			return nil, errdefs.Invalidf("Invalid input received: %s is not supported by this volume service.", field)
		}
	}
	if rv.AvailabilityZone != nil && *rv.AvailabilityZone != "" && *rv.AvailabilityZone != "nova" {
		return nil, errdefs.Invalidf("Invalid input received: Availability zone '%s' is invalid.", *rv.AvailabilityZone)
	}
	if rv.Multiattach != nil && *rv.Multiattach {
		return nil, errdefs.Invalidf("Invalid input received: multiattach volumes are not supported.")
	}
	v := &Volume{Size: size, Status: Available, ProjectID: p.ProjectID, UserID: p.UserID, Metadata: rv.Metadata}
	// Cinder's v1 names still work: name wins over display_name.
	if n := cmp.Or(rv.Name, rv.DisplayName); n != nil {
		v.Name = *n
	}
	if d := cmp.Or(rv.Description, rv.DisplayDescription); d != nil {
		v.Description = *d
	}
	if len(v.Name) > 255 || len(v.Description) > 255 {
		return nil, errdefs.Invalidf("Invalid input received: name and description are at most 255 characters.")
	}
	if err := h.store.Create(r.Context(), v); err != nil {
		return nil, err
	}
	h.log(r).Info("volume created", "volume", v.ID, "size", v.Size)
	return map[string]any{"volume": h.view(r, p, v)}, nil
}

func (h *Handler) update(r *http.Request, p auth.Principal, id string) (any, error) {
	if err := canWrite(p); err != nil {
		return nil, err
	}
	var req struct {
		Volume json.RawMessage `json:"volume"`
	}
	if err := decodeStrict(r, &req, "volume"); err != nil {
		return nil, err
	}
	if len(req.Volume) == 0 || string(req.Volume) == "null" {
		return nil, errdefs.Invalidf("Missing required element 'volume' in request body.")
	}
	// Unknown keys of the volume are refused (Cinder's update schema).
	var u struct {
		Name               *string           `json:"name"`
		Description        *string           `json:"description"`
		DisplayName        *string           `json:"display_name"`
		DisplayDescription *string           `json:"display_description"`
		Metadata           map[string]string `json:"metadata"`
	}
	dec := json.NewDecoder(bytes.NewReader(req.Volume))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil {
		return nil, errdefs.Invalidf("Invalid input for field/attribute volume. Value: %s. %s", req.Volume, additional(err))
	}
	u.Name, u.Description = cmp.Or(u.Name, u.DisplayName), cmp.Or(u.Description, u.DisplayDescription)
	if (u.Name != nil && len(*u.Name) > 255) || (u.Description != nil && len(*u.Description) > 255) {
		return nil, errdefs.Invalidf("Invalid input received: name and description are at most 255 characters.")
	}
	v, err := h.store.Update(h.scope(r, p), id, func(v *Volume) error {
		if u.Name != nil {
			v.Name = *u.Name
		}
		if u.Description != nil {
			v.Description = *u.Description
		}
		if u.Metadata != nil {
			v.Metadata = u.Metadata
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"volume": h.view(r, p, v)}, nil
}

func (h *Handler) delete(r *http.Request, p auth.Principal, id string) error {
	if err := canWrite(p); err != nil {
		return err
	}
	v, err := h.store.Get(h.scope(r, p), id)
	if err != nil {
		return err
	}
	if err := h.store.Delete(h.scope(r, p), id); err != nil {
		return err
	}
	h.log(r).Info("volume deleted", "volume", id, "host", v.Host)
	if v.Host != "" && h.opts.RemoveData != nil {
		if err := h.opts.RemoveData(context.WithoutCancel(r.Context()), v); err != nil {
			h.log(r).Warn("remove a deleted volume's data; remove it by hand", "volume", id, "host", v.Host, "error", err)
		}
	}
	return nil
}

func (h *Handler) links(r *http.Request, v *Volume) []any {
	self := h.base(r) + "/v3/" + v.ProjectID + "/volumes/" + v.ID
	return []any{map[string]string{"rel": "self", "href": self}, map[string]string{"rel": "bookmark", "href": self}}
}

// cinderTime is the time format of Cinder's responses.
const cinderTime = "2006-01-02T15:04:05.000000"

// view is a volume as Cinder shows it.
func (h *Handler) view(r *http.Request, p auth.Principal, v *Volume) map[string]any {
	atts := []any{}
	for _, a := range v.Attachments {
		atts = append(atts, map[string]any{
			"id": v.ID, "attachment_id": a.ID, "volume_id": v.ID, "server_id": a.ContainerUUID,
			"host_name": a.Host, "device": a.Path, "attached_at": a.AttachedAt.UTC().Format(cinderTime),
		})
	}
	meta := v.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	var updated any
	if !v.UpdatedAt.IsZero() {
		updated = v.UpdatedAt.UTC().Format(cinderTime)
	}
	out := map[string]any{
		"id": v.ID, "name": v.Name, "description": v.Description, "size": v.Size, "status": v.Status,
		"user_id": v.UserID, "availability_zone": "nova", "bootable": "false", "encrypted": false,
		"multiattach": false, "volume_type": "local", "snapshot_id": nil, "source_volid": nil,
		"consistencygroup_id": nil, "replication_status": nil, "migration_status": nil, "group_id": nil,
		"metadata": meta, "attachments": atts, "links": h.links(r, v),
		"created_at": v.CreatedAt.UTC().Format(cinderTime), "updated_at": updated,
	}
	if p.IsAdmin() {
		out["os-vol-tenant-attr:tenant_id"] = v.ProjectID
		out["os-vol-host-attr:host"] = v.Host
	}
	return out
}

// log is the request's logger: its id, the caller's project and user.
func (h *Handler) log(r *http.Request) *slog.Logger { return logctx.Or(r.Context(), h.opts.Logger) }

// reply writes body, or err as a Cinder fault.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, body any, err error, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("OpenStack-API-Version", "volume 3.0")
	if err != nil {
		code, name := faultOf(err)
		if code >= 500 {
			h.log(r).Error("volume API", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		if errdefs.IsQuotaExceeded(err) {
			w.Header().Set("Retry-After", "0") // as Cinder's QuotaError
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{name: map[string]any{"code": code, "message": err.Error()}})
		return
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// faultOf is err's status, as errdefs gives it for Cinder (a quota is
// 413, as Cinder's QuotaError), and the name of Cinder's fault for it.
func faultOf(err error) (int, string) {
	status := errdefs.Cinder.HTTPStatus(err)
	if name, ok := faultNames[status]; ok {
		return status, name
	}
	return status, "computeFault"
}

// faultNames are Cinder's fault names by status (its wsgi Fault); any
// other status is a "computeFault".
var faultNames = map[int]string{
	http.StatusBadRequest:            "badRequest",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "itemNotFound",
	http.StatusMethodNotAllowed:      "badMethod",
	http.StatusConflict:              "conflictingRequest",
	http.StatusRequestEntityTooLarge: "overLimit",
	http.StatusUnsupportedMediaType:  "badMediaType",
	http.StatusNotImplemented:        "notImplemented",
	http.StatusServiceUnavailable:    "serviceUnavailable",
}
