package glance

import (
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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
	// Prefix is where the handler is mounted ("/image"), for links.
	Prefix string
	// PublicURL is the base URL in links; "": from each request.
	PublicURL string
	// NoAuth makes every caller the given principal (development only).
	NoAuth *auth.Principal
	Logger *slog.Logger
}

// Handler serves the Glance v2 subset. Mount it with its prefix stripped.
type Handler struct {
	svc   *Service
	authn Authenticator
	opts  HandlerOptions
	mux   *http.ServeMux
	// patterns are the route table's patterns, for Routes.
	patterns []string
}

// NewHandler returns the image API over svc.
func NewHandler(svc *Service, authn Authenticator, opts HandlerOptions) *Handler {
	if opts.Logger == nil {
		opts.Logger = logctx.Discard()
	}
	h := &Handler{svc: svc, authn: authn, opts: opts, mux: http.NewServeMux()}
	handle := func(pattern string, fn func(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error)) {
		h.mux.HandleFunc(pattern, h.authed(fn))
		h.patterns = append(h.patterns, pattern)
	}
	handle("GET /v2/images", h.list)
	handle("POST /v2/images", h.create)
	handle("GET /v2/images/{id}", h.show)
	handle("PATCH /v2/images/{id}", h.patch)
	handle("DELETE /v2/images/{id}", h.delete)
	handle("PUT /v2/images/{id}/file", h.upload)
	handle("GET /v2/images/{id}/file", h.download)
	handle("PUT /v2/images/{id}/tags/{tag}", h.addTag)
	handle("DELETE /v2/images/{id}/tags/{tag}", h.removeTag)
	return h
}

// Routes returns the patterns of the route table, such as
// "GET /v2/images", in order; version discovery is not in it.
func (h *Handler) Routes() []string { return slices.Clone(h.patterns) }

// maxBody bounds JSON request bodies.
const maxBody = 256 << 10

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, _ = logctx.StartRequest(w, r, h.opts.Logger)
	switch strings.Trim(r.URL.Path, "/") {
	case "", "versions", "v2":
		h.versions(w, r)
		return
	}
	_, pattern := h.mux.Handler(r)
	if pattern == "" {
		// Tell a wrong method from a wrong path, as Glance does.
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := h.mux.Handler(probe); p != "" {
				h.reply(w, r, nil, errdefs.MethodNotAllowedf("The method %s is not allowed for this resource.", r.Method), 0)
				return
			}
		}
		h.reply(w, r, nil, errdefs.NotFoundf("The resource could not be found."), 0)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authed authenticates the caller and runs fn, which writes its answer
// unless it returns one: a body and a status.
func (h *Handler) authed(fn func(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.authenticate(r)
		if err != nil {
			h.reply(w, r, nil, err, 0)
			return
		}
		ctx := logctx.WithPrincipal(auth.WithPrincipal(r.Context(), p), p)
		if p.IsAdmin() {
			ctx = auth.WithAllProjects(ctx) // an admin sees and manages every image
		}
		r = r.WithContext(ctx)
		body, status, err := fn(w, r, p)
		if status == 0 && err == nil {
			return // fn wrote the answer
		}
		h.reply(w, r, body, err, status)
	}
}

func (h *Handler) authenticate(r *http.Request) (auth.Principal, error) {
	return auth.FromRequest(r, h.authn, h.opts.NoAuth)
}

func (h *Handler) base(r *http.Request) string {
	return weburl.Base(r, h.opts.PublicURL, h.opts.Prefix)
}

func (h *Handler) versions(w http.ResponseWriter, r *http.Request) {
	status := http.StatusMultipleChoices
	if strings.Trim(r.URL.Path, "/") != "" {
		status = http.StatusOK
	}
	var vs []any
	for i, v := range []string{"v2.9", "v2.8", "v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"} {
		st := "SUPPORTED"
		if i == 0 {
			st = "CURRENT"
		}
		vs = append(vs, map[string]any{"id": v, "status": st,
			"links": []any{map[string]string{"rel": "self", "href": h.base(r) + "/v2/"}}})
	}
	h.reply(w, r, map[string]any{"versions": vs}, nil, status)
}

// readOnly are attributes the service sets; a request that sets them is
// refused, as Glance does.
var readOnly = []string{"status", "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value",
	"created_at", "updated_at", "self", "file", "schema", "direct_url", "locations", "stores"}

// reserved are attribute names a property cannot take.
var reserved = []string{"id", "name", "visibility", "protected", "os_hidden", "container_format",
	"disk_format", "min_disk", "min_ram", "tags", "owner"}

// reservedProps are names a property cannot take (Glance's
// _reserved_properties).
var reservedProps = []string{"location", "deleted", "deleted_at"}

// setAttr sets attribute k of im from JSON v, as create and patch take it.
func setAttr(im *Image, k string, v json.RawMessage, p auth.Principal, creating bool) error {
	if slices.Contains(readOnly, k) {
		return errdefs.Forbiddenf("Attribute '%s' is read-only.", k)
	}
	null := string(v) == "null"
	str := func() (string, error) {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", errdefs.Invalidf("Invalid value for '%s': %s is not a string.", k, v)
		}
		return s, nil
	}
	integer := func() (int, error) {
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			return 0, errdefs.Invalidf("Invalid value for '%s': %s is not an integer.", k, v)
		}
		return n, nil
	}
	boolean := func() (bool, error) {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return false, errdefs.Invalidf("Invalid value for '%s': %s is not a boolean.", k, v)
		}
		return b, nil
	}
	var err error
	switch k {
	case "id":
		if !creating {
			return errdefs.Forbiddenf("Attribute 'id' is read-only.")
		}
		im.ID, err = str()
	case "name":
		if null {
			im.Name = ""
			return nil
		}
		im.Name, err = str()
	case "visibility":
		im.Visibility, err = str()
	case "protected":
		im.Protected, err = boolean()
	case "os_hidden":
		im.Hidden, err = boolean()
	case "container_format", "disk_format":
		if !creating && im.Status != Queued {
			return errdefs.Forbiddenf("Attribute %s can be only replaced for a queued image.", k)
		}
		var s string
		if !null {
			if s, err = str(); err != nil {
				return err
			}
		}
		if k == "container_format" {
			im.ContainerFormat = s
		} else {
			im.DiskFormat = s
		}
	case "min_disk":
		im.MinDisk, err = integer()
	case "min_ram":
		im.MinRAM, err = integer()
	case "tags":
		var tags []string
		if err := json.Unmarshal(v, &tags); err != nil {
			return errdefs.Invalidf("Invalid value for 'tags': a list of strings.")
		}
		slices.Sort(tags)
		im.Tags = slices.Compact(tags)
	case "owner":
		if !p.IsAdmin() {
			return errdefs.Forbiddenf("You are not permitted to set the owner of an image.")
		}
		im.Owner, err = str()
		if err == nil && im.Owner == "" {
			err = errdefs.Invalidf("The owner cannot be empty.")
		}
	default:
		// Glance's RequestDeserializer: reserved names and its own
		// namespace are refused, and a property name has at most 255
		// characters.
		if slices.Contains(reservedProps, k) || strings.HasPrefix(k, "os_glance") {
			return errdefs.Forbiddenf("Attribute '%s' is reserved.", k)
		}
		if len(k) > 255 {
			return errdefs.Invalidf("Custom property should not be greater than 255 characters.")
		}
		if null {
			delete(im.Properties, k)
			return nil
		}
		s, err := str()
		if err != nil {
			return err
		}
		if im.Properties == nil {
			im.Properties = map[string]string{}
		}
		im.Properties[k] = s
	}
	return err
}

// readBody reads a JSON request body of up to maxBody bytes; a longer
// one is a 413 (Glance sets no limit on its JSON bodies; this one is
// ours, and 413 is what OpenStack's size-limit middleware answers).
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errdefs.Invalidf("Cannot read the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, errdefs.TooLargef("The request body is larger than %d bytes.", maxBody)
	}
	return b, nil
}

func decodeObject(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
		return nil, errdefs.Invalidf("The request body is not a JSON object.")
	}
	return obj, nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	obj, err := decodeObject(r)
	if err != nil {
		return nil, 0, err
	}
	im := &Image{Owner: p.ProjectID}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if err := setAttr(im, k, obj[k], p, true); err != nil {
			return nil, 0, err
		}
	}
	if im.Visibility == "" {
		im.Visibility = Shared
	}
	if err := CanCreate(p, im.Visibility); err != nil {
		return nil, 0, err
	}
	if err := h.svc.Create(r.Context(), im); err != nil {
		return nil, 0, err
	}
	h.log(r).Info("image created", "image", im.ID, "name", im.Name, "owner", im.Owner)
	w.Header().Set("Location", h.base(r)+"/v2/images/"+im.ID)
	return h.view(im), http.StatusCreated, nil
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	im, err := h.svc.Store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, err
	}
	return h.view(im), http.StatusOK, nil
}

// patchOp is one operation of a JSON patch as Glance takes it
// (application/openstack-images-v2.1-json-patch).
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	if err := canDo(p, "modify_image"); err != nil {
		return nil, 0, err
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if ct = strings.TrimSpace(ct); ct != "application/openstack-images-v2.1-json-patch" &&
		ct != "application/openstack-images-v2.0-json-patch" {
		return nil, 0, errdefs.UnsupportedMediaf("Unsupported Content-Type %q: use application/openstack-images-v2.1-json-patch.", ct)
	}
	b, err := readBody(r)
	if err != nil {
		return nil, 0, err
	}
	var ops []patchOp
	if err := json.Unmarshal(b, &ops); err != nil {
		return nil, 0, errdefs.Invalidf("The request body is not a list of patch operations: %v", err)
	}
	id := r.PathValue("id")
	im, err := h.svc.Store.Update(r.Context(), id, func(im *Image) error {
		for _, op := range ops {
			k := strings.TrimPrefix(op.Path, "/")
			if k == "" || strings.Contains(k, "/") {
				return errdefs.Invalidf("Invalid JSON pointer for this resource: '%s'", op.Path)
			}
			switch op.Op {
			case "add", "replace":
				if len(op.Value) == 0 {
					return errdefs.Invalidf("Operation %s of %s needs a value.", op.Op, op.Path)
				}
				if err := setAttr(im, k, op.Value, p, false); err != nil {
					return err
				}
			case "remove":
				if slices.Contains(reserved, k) || slices.Contains(readOnly, k) {
					return errdefs.Forbiddenf("Attribute '%s' cannot be removed.", k)
				}
				if _, ok := im.Properties[k]; !ok {
					return errdefs.Conflictf("Property %s does not exist.", k)
				}
				delete(im.Properties, k)
			default:
				return errdefs.Invalidf("Invalid operation: `%s`. It must be one of add, replace, remove.", op.Op)
			}
		}
		if err := Validate(im); err != nil {
			return err
		}
		if im.Visibility == Public && !p.IsAdmin() {
			return errdefs.Forbiddenf("You are not authorized to complete publicize_image action.")
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return h.view(im), http.StatusOK, nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	if err := canDo(p, "delete_image"); err != nil {
		return nil, 0, err
	}
	id := r.PathValue("id")
	if err := h.svc.Delete(r.Context(), id); err != nil {
		return nil, 0, err
	}
	h.log(r).Info("image deleted", "image", id)
	return nil, http.StatusNoContent, nil
}

func (h *Handler) addTag(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	if err := canDo(p, "modify_image"); err != nil {
		return nil, 0, err
	}
	tag := r.PathValue("tag")
	_, err := h.svc.Store.Update(r.Context(), r.PathValue("id"), func(im *Image) error {
		if !slices.Contains(im.Tags, tag) {
			im.Tags = append(im.Tags, tag)
			slices.Sort(im.Tags)
		}
		return Validate(im)
	})
	return nil, http.StatusNoContent, err
}

func (h *Handler) removeTag(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	if err := canDo(p, "modify_image"); err != nil {
		return nil, 0, err
	}
	tag := r.PathValue("tag")
	_, err := h.svc.Store.Update(r.Context(), r.PathValue("id"), func(im *Image) error {
		i := slices.Index(im.Tags, tag)
		if i < 0 {
			return errdefs.NotFoundf("Tag %s not found.", tag)
		}
		im.Tags = slices.Delete(im.Tags, i, i+1)
		return nil
	})
	return nil, http.StatusNoContent, err
}

func (h *Handler) upload(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	if err := canDo(p, "upload_image"); err != nil {
		return nil, 0, err
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	if ct = strings.TrimSpace(ct); ct != "" && ct != "application/octet-stream" {
		return nil, 0, errdefs.UnsupportedMediaf("Unsupported Content-Type %q: send application/octet-stream.", ct)
	}
	if r.ContentLength > h.svc.sizeCap() {
		return nil, 0, errdefs.TooLargef("Image exceeds the size cap of %d bytes.", h.svc.sizeCap())
	}
	start := time.Now()
	im, err := h.svc.Upload(r.Context(), r.PathValue("id"), r.Body)
	if err != nil {
		return nil, 0, err
	}
	h.log(r).Info("image uploaded", "image", im.ID, "size", im.Size, "duration_ms", time.Since(start).Milliseconds())
	return nil, http.StatusNoContent, nil
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	// Glance's download_image needs the member role: a reader sees the
	// record, not the data.
	if err := canDo(p, "download_image"); err != nil {
		return nil, 0, err
	}
	im, data, err := h.svc.Open(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, 0, err
	}
	if data == nil {
		return nil, http.StatusNoContent, nil
	}
	defer data.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(im.Size, 10))
	w.Header().Set("Content-MD5", im.Checksum)
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, data); err != nil {
		h.log(r).Warn("image download cut short", "image", im.ID, "error", err)
	}
	return nil, 0, nil
}

// list serves GET /v2/images: Glance's filters on name, status,
// visibility, owner, formats, tags, protected and os_hidden; sort_key and
// sort_dir (or sort=key:dir,...); limit and marker.
func (h *Handler) list(w http.ResponseWriter, r *http.Request, p auth.Principal) (any, int, error) {
	q := r.URL.Query()
	all, err := h.svc.Store.List(r.Context())
	if err != nil {
		return nil, 0, err
	}
	keep, err := listFilter(q, p)
	if err != nil {
		return nil, 0, err
	}
	all = slices.DeleteFunc(all, func(im *Image) bool { return !keep(im) })
	sorts, err := listSort(q)
	if err != nil {
		return nil, 0, err
	}
	slices.SortStableFunc(all, func(a, b *Image) int {
		for _, s := range sorts {
			if c := s.cmp(a, b); c != 0 {
				return c
			}
		}
		return strings.Compare(b.ID, a.ID)
	})
	if m := q.Get("marker"); m != "" {
		i := slices.IndexFunc(all, func(im *Image) bool { return im.ID == m })
		if i < 0 {
			return nil, 0, errdefs.Invalidf("Marker %s could not be found.", m)
		}
		all = all[i+1:]
	}
	limit := 25
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 0 {
			return nil, 0, errdefs.Invalidf("limit param must be a non-negative integer")
		}
		limit = min(limit, 1000)
	}
	out := map[string]any{"first": "/v2/images", "schema": "/v2/schemas/images"}
	if len(all) > limit {
		all = all[:limit]
		next := url.Values{}
		maps.Copy(next, q)
		next.Set("marker", all[len(all)-1].ID)
		out["next"] = "/v2/images?" + next.Encode()
	}
	views := make([]any, 0, len(all))
	for _, im := range all {
		views = append(views, h.view(im))
	}
	out["images"] = views
	return out, http.StatusOK, nil
}

// listParams are the list's parameters with a meaning of their own; any
// other is a filter.
var listParams = []string{"limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "visibility", "tag",
	"protected", "os_hidden", "name", "status", "owner", "container_format", "disk_format", "id"}

func listFilter(q url.Values, p auth.Principal) (func(*Image) bool, error) {
	visibility := q.Get("visibility")
	switch visibility {
	case "", Private, Shared, Community, Public, "all":
	default:
		return nil, errdefs.Invalidf("Invalid visibility value: %s", visibility)
	}
	boolParam := func(k string) (*bool, error) {
		v := q.Get(k)
		if v == "" {
			return nil, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errdefs.Invalidf("%s must be true or false, not %q", k, v)
		}
		return &b, nil
	}
	protected, err := boolParam("protected")
	if err != nil {
		return nil, err
	}
	hidden, err := boolParam("os_hidden")
	if err != nil {
		return nil, err
	}
	// "in:a,b" as well as a plain value, as Glance takes them.
	match := func(k, v string) bool {
		want := q.Get(k)
		if want == "" {
			return true
		}
		if rest, ok := strings.CutPrefix(want, "in:"); ok {
			return slices.Contains(strings.Split(rest, ","), v)
		}
		return want == v
	}
	tags := q["tag"]
	// Every other parameter filters as Glance's database does
	// (glance/db/sqlalchemy/api.py _make_conditions_from_filters): X_min
	// and X_max are ranges of a number, an attribute matches exactly, and
	// a name that is no attribute is a property the image must have with
	// that value. Time comparisons are not offered: refused, not ignored.
	type cond struct {
		key, want string
		min, max  *int64
	}
	var conds []cond
	for k, vs := range q {
		if slices.Contains(listParams, k) {
			continue
		}
		v := vs[0]
		switch {
		case k == "created_at" || k == "updated_at":
			return nil, errdefs.Invalidf("Filtering on %s is not supported by this image service.", k)
		case strings.HasSuffix(k, "_min") || strings.HasSuffix(k, "_max"):
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, errdefs.Invalidf("Unable to filter on a range with a non-numeric value.")
			}
			c := cond{key: k[:len(k)-4]}
			if strings.HasSuffix(k, "_min") {
				c.min = &n
			} else {
				c.max = &n
			}
			conds = append(conds, c)
		default:
			conds = append(conds, cond{key: k, want: v})
		}
	}
	attr := func(im *Image, k string) (string, bool) {
		switch k {
		case "size":
			return strconv.FormatInt(im.Size, 10), true
		case "min_disk":
			return strconv.Itoa(im.MinDisk), true
		case "min_ram":
			return strconv.Itoa(im.MinRAM), true
		case "checksum":
			return im.Checksum, true
		case "os_hash_value":
			return im.HashValue, true
		}
		v, ok := im.Properties[k]
		return v, ok
	}
	return func(im *Image) bool {
		for _, c := range conds {
			v, ok := attr(im, c.key)
			if !ok {
				return false
			}
			if c.min != nil || c.max != nil {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || c.min != nil && n < *c.min || c.max != nil && n > *c.max {
					return false
				}
			} else if v != c.want {
				return false
			}
		}
		switch {
		case visibility == "" && im.Visibility == Community && im.Owner != p.ProjectID:
			return false // community images are listed when asked for
		case visibility != "" && visibility != "all" && im.Visibility != visibility:
			return false
		case protected != nil && im.Protected != *protected:
			return false
		case hidden == nil && im.Hidden, hidden != nil && im.Hidden != *hidden:
			return false
		}
		for _, t := range tags {
			if !slices.Contains(im.Tags, t) {
				return false
			}
		}
		return match("name", im.Name) && match("status", im.Status) && match("owner", im.Owner) &&
			match("container_format", im.ContainerFormat) && match("disk_format", im.DiskFormat) &&
			match("id", im.ID)
	}, nil
}

type sortKey struct {
	key  string
	desc bool
}

func (s sortKey) cmp(a, b *Image) int {
	var c int
	switch s.key {
	case "name":
		c = strings.Compare(a.Name, b.Name)
	case "status":
		c = strings.Compare(a.Status, b.Status)
	case "size":
		c = cmp.Compare(a.Size, b.Size)
	case "id":
		c = strings.Compare(a.ID, b.ID)
	case "updated_at":
		c = a.UpdatedAt.Compare(b.UpdatedAt)
	case "visibility":
		c = strings.Compare(a.Visibility, b.Visibility)
	case "container_format":
		c = strings.Compare(a.ContainerFormat, b.ContainerFormat)
	case "disk_format":
		c = strings.Compare(a.DiskFormat, b.DiskFormat)
	default: // created_at
		c = a.CreatedAt.Compare(b.CreatedAt)
	}
	if s.desc {
		return -c
	}
	return c
}

var sortKeys = []string{"name", "status", "size", "id", "created_at", "updated_at", "visibility",
	"container_format", "disk_format"}

func listSort(q url.Values) ([]sortKey, error) {
	parse := func(key, dir string) (sortKey, error) {
		if !slices.Contains(sortKeys, key) {
			return sortKey{}, errdefs.Invalidf("Invalid sort key: %s. It must be one of the following: %s.", key, strings.Join(sortKeys, ", "))
		}
		switch dir {
		case "", "desc":
			return sortKey{key, true}, nil
		case "asc":
			return sortKey{key, false}, nil
		}
		return sortKey{}, errdefs.Invalidf("Invalid sort direction: %s", dir)
	}
	var out []sortKey
	if s := q.Get("sort"); s != "" {
		if len(q["sort_key"]) > 0 || len(q["sort_dir"]) > 0 {
			return nil, errdefs.Invalidf("The sort parameter cannot be mixed with sort_key and sort_dir.")
		}
		for _, part := range strings.Split(s, ",") {
			key, dir, _ := strings.Cut(strings.TrimSpace(part), ":")
			k, err := parse(key, dir)
			if err != nil {
				return nil, err
			}
			out = append(out, k)
		}
		return out, nil
	}
	keys, dirs := q["sort_key"], q["sort_dir"]
	if len(dirs) > 1 && len(dirs) != len(keys) {
		return nil, errdefs.Invalidf("The number of sort_dir values must match the number of sort_key values.")
	}
	for i, key := range keys {
		dir := ""
		switch {
		case len(dirs) == 1:
			dir = dirs[0]
		case len(dirs) > 1:
			dir = dirs[i]
		}
		k, err := parse(key, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		k, err := parse("created_at", q.Get("sort_dir"))
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// view is Glance's representation of im: every attribute, null when
// unset, and its properties at the top level.
func (h *Handler) view(im *Image) map[string]any {
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	var size, algo any
	if im.Status == Active {
		size, algo = im.Size, HashAlgo
	}
	out := map[string]any{}
	for k, v := range im.Properties {
		out[k] = v
	}
	tags := im.Tags
	if tags == nil {
		tags = []string{}
	}
	maps.Copy(out, map[string]any{
		"id": im.ID, "name": null(im.Name), "status": im.Status, "visibility": im.Visibility,
		"protected": im.Protected, "os_hidden": im.Hidden, "checksum": null(im.Checksum),
		"os_hash_algo": algo, "os_hash_value": null(im.HashValue), "owner": im.Owner, "size": size,
		"virtual_size": nil, "min_disk": im.MinDisk, "min_ram": im.MinRAM,
		"container_format": null(im.ContainerFormat), "disk_format": null(im.DiskFormat), "tags": tags,
		"created_at": im.CreatedAt.Format(time.RFC3339), "updated_at": im.UpdatedAt.Format(time.RFC3339),
		"self": "/v2/images/" + im.ID, "file": "/v2/images/" + im.ID + "/file", "schema": "/v2/schemas/image",
	})
	return out
}

// log is the request's logger: its id, the caller's project and user.
func (h *Handler) log(r *http.Request) *slog.Logger { return logctx.Or(r.Context(), h.opts.Logger) }

// reply writes body as JSON, or err as Glance's error document.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request, body any, err error, status int) {
	if err != nil {
		status = errdefs.HTTPStatus(err)
		if status >= 500 {
			h.log(r).Error("image API", "method", r.Method, "path", r.URL.Path, "error", err)
		}
		body = map[string]any{"code": status, "title": http.StatusText(status), "message": err.Error()}
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
