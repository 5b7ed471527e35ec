package apiserver

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// actionParams are the query parameters of the routes whose parameters
// Zun validates with a schema that allows no others
// (zun/api/controllers/v1/schemas/containers.py, "additionalProperties":
// false, applied by validation.validate_query_param or
// validation.validated in zun/api/controllers/v1/containers.py). Any
// other parameter is refused (400) after authentication, before the
// policy and the handler, with the validator's words. Routes not named
// here ignore what they do not read (start, pause, unpause...), or check
// it themselves (the lists: "Unknown parameter"). The table with its
// sources is checked by TestUnknownQueryParams.
var actionParams = map[string][]string{
	"POST /v1/containers":                            {"run"},
	"DELETE /v1/containers/{id}":                     {"force", "all_projects", "stop"},
	"POST /v1/containers/{id}/rename":                {"name"},
	"POST /v1/containers/{id}/stop":                  {"timeout"},
	"POST /v1/containers/{id}/reboot":                {"timeout"},
	"POST /v1/containers/{id}/kill":                  {"signal"},
	"GET /v1/containers/{id}/logs":                   {"stdout", "stderr", "timestamps", "tail", "since", "follow"}, // follow: this project's extension
	"POST /v1/containers/{id}/execute":               {"run", "interactive", "command"},
	"GET /v1/containers/{id}/top":                    {"ps_args"},
	"POST /v1/containers/{id}/commit":                {"repository", "tag"},
	"POST /v1/containers/{id}/network_attach":        {"network", "fixed_ip", "port"},
	"POST /v1/containers/{id}/network_detach":        {"network", "port"},
	"POST /v1/containers/{id}/add_security_group":    {"name"},
	"POST /v1/containers/{id}/remove_security_group": {"name"},
}

// checkParams refuses a query parameter the route's schema does not list.
func checkParams(q url.Values, allowed []string) error {
	var unknown []string
	for k := range q {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return errdefs.Invalidf("Additional properties are not allowed ('%s' was unexpected)", strings.Join(unknown, "', '"))
}

// withParamCheck runs h after checking the route's query parameters; a
// refusal is answered as every error is (authenticated first, so that a
// caller without a token gets 401, as from Zun).
func (s *Server) withParamCheck(pattern string, h http.HandlerFunc) http.HandlerFunc {
	allowed, ok := actionParams[pattern]
	if !ok {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkParams(r.URL.Query(), allowed); err != nil {
			s.wrap(routeVersioned, func(*call) (any, error) { return nil, err }).ServeHTTP(w, r)
			return
		}
		h(w, r)
	}
}
