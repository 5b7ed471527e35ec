package network

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zun-go/zun/errdefs"
)

// view is a record as the API shows it.
type view = map[string]any

// collection answers a list: the views that pass the query's filters,
// sorted, one page of them, with the fields asked for, as
// {coll: [...], coll_links: [...]}. proto is the view of an empty record:
// its keys are the attributes a filter may name.
func (h *Handler) collection(r *http.Request, coll string, all []view, proto view) (any, int, error) {
	q := r.URL.Query()
	keep, err := filters(q, proto)
	if err != nil {
		return nil, 0, err
	}
	out := slices.DeleteFunc(slices.Clone(all), func(v view) bool { return !keep(v) })
	if err := sortViews(q, out, proto); err != nil {
		return nil, 0, err
	}
	key := strings.ReplaceAll(coll, "-", "_")
	page, links, err := h.paginate(r, coll, out)
	if err != nil {
		return nil, 0, err
	}
	items := make([]any, 0, len(page))
	for _, v := range page {
		items = append(items, selectFields(q, v))
	}
	body := map[string]any{key: items}
	if links != nil {
		body[key+"_links"] = links
	}
	return body, http.StatusOK, nil
}

// checkQuery refuses what collection would refuse of a list's query
// before the records are read: its filters, sort keys and limit.
func checkQuery(q url.Values, proto view) error {
	if _, err := filters(q, proto); err != nil {
		return err
	}
	if err := sortViews(q, nil, proto); err != nil {
		return err
	}
	if s := q.Get("limit"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 0 {
			return errdefs.Invalidf("Limit must be an integer 0 or greater and not '%s'", s)
		}
	}
	return nil
}

// one answers a show: {member: view}, with the fields asked for.
func one(r *http.Request, member string, v view, status int) (any, int, error) {
	return map[string]any{member: selectFields(r.URL.Query(), v)}, status, nil
}

// selectFields keeps only the fields the query asks for, if any.
func selectFields(q url.Values, v view) view {
	fields := q["fields"]
	if len(fields) == 0 {
		return v
	}
	out := view{}
	for _, f := range fields {
		for _, f := range strings.Split(f, ",") {
			if x, ok := v[f]; ok {
				out[f] = x
			}
		}
	}
	return out
}

// filters builds the filter of a query: every other parameter names an
// attribute the records must have one of the given values of (a list
// attribute: contain one of them); fixed_ips takes ip_address=, subnet_id=
// and ip_address_substr= terms; tags, tags-any, not-tags and not-tags-any
// take comma-separated tags; changed_since a time. A parameter that is
// no attribute is refused, as Neutron's filter validation does.
func filters(q url.Values, proto view) (func(view) bool, error) {
	var tests []func(view) bool
	var invalid []string
	for k, wants := range q {
		switch k {
		case "fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse":
		case "tags", "tags-any", "not-tags", "not-tags-any":
			tests = append(tests, tagTest(k, wants))
		case "changed_since":
			since, err := time.Parse(time.RFC3339, strings.Replace(wants[0], " ", "+", 1)) // a + decodes as a space
			if err != nil {
				since, err = time.Parse("2006-01-02T15:04:05", wants[0]) // UTC
			}
			if err != nil {
				return nil, errdefs.Invalidf("Invalid input for changed_since. Reason: '%s' is not an ISO 8601 time.", wants[0])
			}
			tests = append(tests, func(v view) bool {
				t, _ := time.Parse(neutronTime, fmt.Sprint(v["updated_at"]))
				return !t.Before(since.Truncate(time.Second))
			})
		case "fixed_ips":
			t, err := fixedIPTest(wants)
			if err != nil {
				return nil, err
			}
			tests = append(tests, t)
		default:
			if _, ok := proto[k]; !ok {
				invalid = append(invalid, k)
				continue
			}
			tests = append(tests, func(v view) bool { return matches(v[k], wants) })
		}
	}
	if len(invalid) > 0 {
		slices.Sort(invalid)
		return nil, errdefs.Invalidf("%s is invalid attribute for filtering", pyList(invalid))
	}
	return func(v view) bool {
		for _, t := range tests {
			if !t(v) {
				return false
			}
		}
		return true
	}, nil
}

// pyList writes names as Python writes a list of strings, ['a', 'b'],
// which is how Neutron's messages name refused filters and sort keys.
func pyList(names []string) string {
	quoted := make([]string, len(names))
	for i, k := range names {
		quoted[i] = "'" + k + "'"
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// matches reports whether an attribute's value is one of wants.
func matches(x any, wants []string) bool {
	for _, w := range wants {
		switch x := x.(type) {
		case nil:
			if w == "" {
				return true
			}
		case string:
			if x == w {
				return true
			}
		case bool:
			if b, err := strconv.ParseBool(w); err == nil && b == x {
				return true
			}
		case int:
			if n, err := strconv.Atoi(w); err == nil && n == x {
				return true
			}
		case []string:
			if slices.Contains(x, w) {
				return true
			}
		}
	}
	return false
}

func tagTest(k string, wants []string) func(view) bool {
	var want []string
	for _, w := range wants {
		want = append(want, strings.Split(w, ",")...)
	}
	return func(v view) bool {
		tags, _ := v["tags"].([]string)
		all, anyOf := true, false
		for _, w := range want {
			has := slices.Contains(tags, w)
			all, anyOf = all && has, anyOf || has
		}
		switch k {
		case "tags":
			return all
		case "tags-any":
			return anyOf
		case "not-tags":
			return !all
		}
		return !anyOf
	}
}

// fixedIPTest filters ports by their addresses: for each kind of term, a
// port must have an address that matches one of its terms.
func fixedIPTest(wants []string) (func(view) bool, error) {
	terms := map[string][]string{}
	for _, w := range wants {
		k, val, ok := strings.Cut(w, "=")
		if !ok || (k != "ip_address" && k != "subnet_id" && k != "ip_address_substr") {
			return nil, errdefs.Invalidf("Invalid filter fixed_ips=%s: use ip_address=, subnet_id= or ip_address_substr=.", w)
		}
		terms[k] = append(terms[k], val)
	}
	return func(v view) bool {
		ips, _ := v["fixed_ips"].([]any)
		for k, vals := range terms {
			found := false
			for _, f := range ips {
				f, _ := f.(map[string]any)
				got, _ := f[strings.TrimSuffix(k, "_substr")].(string)
				for _, val := range vals {
					found = found || got == val || (k == "ip_address_substr" && strings.Contains(got, val))
				}
			}
			if !found {
				return false
			}
		}
		return true
	}, nil
}

// sortViews sorts by the query's sort_key/sort_dir pairs, then by id;
// without them the order stays (oldest first). Only attributes of proto
// with single values sort.
func sortViews(q url.Values, vs []view, proto view) error {
	keys, dirs := q["sort_key"], q["sort_dir"]
	if len(keys) == 0 {
		if len(dirs) > 0 {
			return errdefs.Invalidf("The number of sort_keys and sort_dirs must be same")
		}
		return nil
	}
	if len(dirs) != 0 && len(dirs) != len(keys) {
		return errdefs.Invalidf("The number of sort_keys and sort_dirs must be same")
	}
	var absent []string
	for _, k := range keys {
		x, ok := proto[k]
		switch x.(type) {
		case nil, string, bool, int:
		default:
			ok = false
		}
		if !ok {
			absent = append(absent, k)
		}
	}
	if len(absent) > 0 {
		return errdefs.Invalidf("%s is invalid attribute for sort_keys", pyList(absent))
	}
	for i, d := range dirs {
		if d != "asc" && d != "desc" {
			return errdefs.Invalidf("%s is invalid value for sort_dirs, valid value is 'asc' and 'desc'", dirs[i])
		}
	}
	slices.SortStableFunc(vs, func(a, b view) int {
		for i, k := range keys {
			c := compare(a[k], b[k])
			if len(dirs) > i && dirs[i] == "desc" {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(fmt.Sprint(a["id"]), fmt.Sprint(b["id"]))
	})
	return nil
}

// compare orders two attribute values of one kind; null first.
func compare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case int:
		b, _ := b.(int)
		return cmp.Compare(a, b)
	case bool:
		b, _ := b.(bool)
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// paginate cuts the page limit and marker ask for (page_reverse: the
// page before the marker) and makes the links to the pages around it.
func (h *Handler) paginate(r *http.Request, coll string, vs []view) ([]view, []any, error) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, nil, errdefs.Invalidf("Limit must be an integer 0 or greater and not '%s'", s)
		}
		limit = n
	}
	reverse, _ := strconv.ParseBool(q.Get("page_reverse"))
	start, end := 0, len(vs)
	if m := q.Get("marker"); m != "" {
		i := slices.IndexFunc(vs, func(v view) bool { return v["id"] == m })
		if i < 0 {
			return nil, nil, errdefs.NotFoundf("Marker %s could not be found among the %s.", m, coll)
		}
		if reverse {
			end = i
		} else {
			start = i + 1
		}
	}
	if limit > 0 && end-start > limit {
		if reverse {
			start = end - limit
		} else {
			end = start + limit
		}
	}
	page := vs[start:end]
	if limit == 0 {
		return page, nil, nil
	}
	link := func(rel, marker string, rev bool) map[string]string {
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("marker", marker)
		lq.Del("page_reverse")
		if rev {
			lq.Set("page_reverse", "True")
		}
		return map[string]string{"rel": rel, "href": h.base(r) + "/v2.0/" + coll + "?" + lq.Encode()}
	}
	links := []any{}
	if len(page) > 0 && end < len(vs) {
		links = append(links, link("next", fmt.Sprint(page[len(page)-1]["id"]), false))
	}
	if len(page) > 0 && start > 0 {
		links = append(links, link("previous", fmt.Sprint(page[0]["id"]), true))
	}
	return page, links, nil
}
