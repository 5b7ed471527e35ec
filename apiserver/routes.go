package apiserver

import (
	"net/http"
	"slices"
)

// routeTable registers the routes of the API on the server's mux and
// remembers their patterns, so that the route × role matrix test holds
// every route to account.
type routeTable struct{ s *Server }

func (t routeTable) HandleFunc(pattern string, h http.HandlerFunc) {
	t.s.patterns = append(t.s.patterns, pattern)
	t.s.mux.HandleFunc(pattern, t.s.withParamCheck(pattern, h))
}

// Routes returns the patterns of the route table, such as
// "POST /v1/containers/{id}/start", in the order they were added.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }
