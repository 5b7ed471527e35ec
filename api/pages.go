package api

import (
	"fmt"
	"net/url"
)

// allPages gathers the items of every page: fetch gets the page of query
// q and its next link; the next link's query is the next page's, until
// there is none, a page is empty, or the link does not move on (which
// would loop).
func allPages[T any](q url.Values, fetch func(q url.Values) ([]T, string, error)) ([]T, error) {
	var all []T
	for {
		items, next, err := fetch(q)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" || len(items) == 0 {
			return all, nil
		}
		u, err := url.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("next page link %q: %w", next, err)
		}
		nq := u.Query()
		if nq.Get("marker") == "" || nq.Get("marker") == q.Get("marker") {
			return all, nil
		}
		for k, v := range nq {
			q[k] = v
		}
	}
}
