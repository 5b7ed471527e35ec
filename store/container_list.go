package store

import (
	"cmp"
	"container/heap"
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// filterFields are the fields List filters on, named as in Zun's API. A
// filter matches when the field, written as a string, equals the value.
var filterFields = map[string]func(*container.Container) string{
	"uuid":        func(c *container.Container) string { return c.UUID },
	"name":        func(c *container.Container) string { return c.Name },
	"image":       func(c *container.Container) string { return c.Image },
	"project_id":  func(c *container.Container) string { return c.ProjectID },
	"user_id":     func(c *container.Container) string { return c.UserID },
	"memory":      func(c *container.Container) string { return strconv.FormatInt(c.Memory, 10) },
	"host":        func(c *container.Container) string { return c.Host },
	"task_state":  func(c *container.Container) string { return string(c.TaskState) },
	"status":      func(c *container.Container) string { return string(c.Status) },
	"auto_remove": func(c *container.Container) string { return strconv.FormatBool(c.AutoRemove) },
}

// sortFields are the fields List sorts by, besides "id" (creation order).
// Ties are broken by creation order.
var sortFields = map[string]func(a, b *container.Container) int{
	"uuid":              byString(func(c *container.Container) string { return c.UUID }),
	"name":              byString(func(c *container.Container) string { return c.Name }),
	"image":             byString(func(c *container.Container) string { return c.Image }),
	"image_driver":      byString(func(c *container.Container) string { return c.ImageDriver }),
	"project_id":        byString(func(c *container.Container) string { return c.ProjectID }),
	"user_id":           byString(func(c *container.Container) string { return c.UserID }),
	"host":              byString(func(c *container.Container) string { return c.Host }),
	"status":            byString(func(c *container.Container) string { return string(c.Status) }),
	"status_reason":     byString(func(c *container.Container) string { return c.StatusReason }),
	"task_state":        byString(func(c *container.Container) string { return string(c.TaskState) }),
	"runtime":           byString(func(c *container.Container) string { return c.Runtime }),
	"hostname":          byString(func(c *container.Container) string { return c.Hostname }),
	"workdir":           byString(func(c *container.Container) string { return c.Workdir }),
	"cpu_policy":        byString(func(c *container.Container) string { return c.CPUPolicy }),
	"availability_zone": byString(func(c *container.Container) string { return c.AvailabilityZone }),
	"memory":            func(a, b *container.Container) int { return cmp.Compare(a.Memory, b.Memory) },
	"cpu":               func(a, b *container.Container) int { return cmp.Compare(a.CPU, b.CPU) },
	"disk":              func(a, b *container.Container) int { return cmp.Compare(a.Disk, b.Disk) },
	"created_at":        func(a, b *container.Container) int { return a.CreatedAt.Compare(b.CreatedAt) },
	"updated_at":        func(a, b *container.Container) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	"started_at":        func(a, b *container.Container) int { return a.StartedAt.Compare(b.StartedAt) },
	"auto_remove":       byBool(func(c *container.Container) bool { return c.AutoRemove }),
	"auto_heal":         byBool(func(c *container.Container) bool { return c.AutoHeal }),
	"interactive":       byBool(func(c *container.Container) bool { return c.Interactive }),
	"tty":               byBool(func(c *container.Container) bool { return c.TTY }),
	"privileged":        byBool(func(c *container.Container) bool { return c.Privileged }),
}

func byString(f func(*container.Container) string) func(a, b *container.Container) int {
	return func(a, b *container.Container) int { return strings.Compare(f(a), f(b)) }
}

func byBool(f func(*container.Container) bool) func(a, b *container.Container) int {
	return func(a, b *container.Container) int {
		x, y := f(a), f(b)
		switch {
		case x == y:
			return 0
		case y:
			return -1
		}
		return 1
	}
}

// listQuery is a checked ListOptions.
type listQuery struct {
	opts    container.ListOptions
	fields  []func(*container.Container) string // parallel to values
	values  []string
	compare func(a, b *container.Container) int // nil: creation order
	desc    bool
}

// List implements container.Store from the in-memory index, after the
// index holds this store's own writes. Errors in the options are
// ErrInvalid, an unknown marker too.
func (s *ContainerStore) List(ctx context.Context, opts container.ListOptions) ([]*container.Container, error) {
	scope, err := auth.ScopeFrom(ctx)
	if err != nil {
		return nil, err
	}
	q := listQuery{opts: opts}
	for _, name := range slices.Sorted(maps.Keys(opts.Filters)) {
		f, ok := filterFields[name]
		if !ok {
			return nil, errdefs.Invalidf("Unknown filter %q.", name)
		}
		q.fields, q.values = append(q.fields, f), append(q.values, opts.Filters[name])
	}
	switch key := opts.SortKey; key {
	case "", "id":
	default:
		if q.compare = sortFields[key]; q.compare == nil {
			return nil, errdefs.Invalidf("The sort_key value %q is an invalid field for sorting", key)
		}
	}
	switch opts.SortDir {
	case "", "asc":
	case "desc":
		q.desc = true
	default:
		return nil, errdefs.Invalidf("Invalid sort direction: %s. Acceptable values are 'asc' or 'desc'", opts.SortDir)
	}
	if opts.Limit < 0 {
		return nil, errdefs.Invalidf("Limit must be positive")
	}
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	return s.idx.list(scope, q)
}

func (q *listQuery) match(c *container.Container) bool {
	for i, f := range q.fields {
		if f(c) != q.values[i] {
			return false
		}
	}
	return true
}

// order is the order of the page: the sort key, then creation.
func (q *listQuery) order(a, b *entry) int {
	n := 0
	if q.compare != nil {
		n = q.compare(a.c, b.c)
	}
	if n == 0 {
		n = byCreation(a, b)
	}
	if q.desc {
		return -n
	}
	return n
}

// list returns the page q asks for.
func (x *index) list(scope auth.Scope, q listQuery) ([]*container.Container, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var marker *entry
	if q.opts.Marker != "" {
		if marker = x.byUUID[q.opts.Marker]; marker == nil || !scope.Allows(marker.c.ProjectID) {
			return nil, errdefs.Invalidf("Marker %s could not be found.", q.opts.Marker)
		}
	}
	base := x.candidates(scope, q.opts.Filters)
	// The candidates are in scope; checking again costs little and keeps
	// a bug in candidates from showing another project's containers.
	ok := func(e *entry) bool { return scope.Allows(e.c.ProjectID) && q.match(e.c) }
	limit := q.opts.Limit
	if limit == 0 || limit > len(base) {
		limit = len(base)
	}
	page := make([]*container.Container, 0, limit)
	if q.compare == nil {
		// base is already in creation order: walk it from the marker.
		i, step := 0, 1
		if q.desc {
			i, step = len(base)-1, -1
		}
		if marker != nil {
			j, found := slices.BinarySearchFunc(base, marker, byCreation)
			switch {
			case q.desc:
				i = j - 1
			case found:
				i = j + 1
			default:
				i = j
			}
		}
		for ; i >= 0 && i < len(base) && len(page) < limit; i += step {
			if ok(base[i]) {
				page = append(page, base[i].c.Clone())
			}
		}
		return page, nil
	}
	matched := make([]*entry, 0, len(base))
	for _, e := range base {
		if ok(e) && (marker == nil || q.order(e, marker) > 0) {
			matched = append(matched, e)
		}
	}
	for _, e := range first(matched, limit, q.order) {
		page = append(page, e.c.Clone())
	}
	return page, nil
}

// first returns, in order, the k entries of es that come first. A small
// page of many entries is picked with a heap instead of a full sort.
func first(es []*entry, k int, order func(a, b *entry) int) []*entry {
	if k >= len(es)/8 {
		slices.SortFunc(es, order)
		return es[:min(k, len(es))]
	}
	h := &entryHeap{order: order, es: make([]*entry, 0, k+1)}
	for _, e := range es {
		if len(h.es) == k && order(e, h.es[0]) >= 0 {
			continue // after all k kept so far
		}
		heap.Push(h, e)
		if len(h.es) > k {
			heap.Pop(h)
		}
	}
	slices.SortFunc(h.es, order)
	return h.es
}

// entryHeap keeps the entry that comes last on top.
type entryHeap struct {
	es    []*entry
	order func(a, b *entry) int
}

func (h *entryHeap) Len() int           { return len(h.es) }
func (h *entryHeap) Less(i, j int) bool { return h.order(h.es[i], h.es[j]) > 0 }
func (h *entryHeap) Swap(i, j int)      { h.es[i], h.es[j] = h.es[j], h.es[i] }
func (h *entryHeap) Push(x any)         { h.es = append(h.es, x.(*entry)) }
func (h *entryHeap) Pop() any {
	e := h.es[len(h.es)-1]
	h.es = h.es[:len(h.es)-1]
	return e
}

// candidates returns, in creation order, a superset of the entries that
// the scope allows and the filters match, as small as the indexes make
// it. The caller holds mu and must not change the result.
func (x *index) candidates(scope auth.Scope, filters map[string]string) []*entry {
	project := scope.ProjectID
	if scope.AllProjects {
		project = ""
	}
	if p, ok := filters["project_id"]; ok {
		if project != "" && p != project {
			return nil
		}
		project = p
	}
	if name, ok := filters["name"]; ok {
		var named []*entry
		for _, e := range x.names[strings.ToLower(name)] {
			if project == "" || e.c.ProjectID == project {
				named = append(named, e)
			}
		}
		slices.SortFunc(named, byCreation)
		return named
	}
	if project != "" {
		return x.projects[project]
	}
	return x.all
}
