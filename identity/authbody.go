package identity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/zun-go/zun/errdefs"
)

// The body of POST /v3/auth/tokens, checked as Keystone checks it: first
// its JSON schema (keystone/auth/schema.py), then the request as a whole
// (keystone/auth/core.py AuthInfo: method data present, methods offered,
// exactly one scope), then each method's data (the auth plugins). The
// same shapes are refused with the same statuses, in the same order, and
// nothing the service does not offer is replaced by something it does.

// offeredMethods are the authentication methods of this service, as
// Keystone's [auth] methods.
var offeredMethods = []string{"password", "token"}

// scopeKinds are the keys of a scope Keystone knows; a scope names
// exactly one of them.
var scopeKinds = []string{"system", "project", "domain", "OS-TRUST:trust", "unscoped"}

// scopeKindsText is how Keystone names them in its refusal.
const scopeKindsText = "system, project, domain, OS-TRUST:trust or unscoped"

// errMethodNotSupported is Keystone's AuthMethodNotSupported: a 401 whose
// body lists the methods offered.
var errMethodNotSupported = errdefs.Unauthorizedf("Attempted to authenticate with an unsupported method.")

// expecting is Keystone's ValidationError (400).
func expecting(attribute, target string) error {
	return errdefs.Invalidf("Expecting to find %s in %s. The server could not comply with the request"+
		" since it is either malformed or otherwise incorrect. The client is assumed to be in error.", attribute, target)
}

// tokenIssueSchema is keystone/auth/schema.py's token_issue: the type of
// every field it names, by path under "auth". Unknown fields are ignored,
// as there.
var tokenIssueSchema = []struct{ path, typ string }{
	{"identity", "object"},
	{"identity/methods", "array"},
	{"identity/password", "object"},
	{"identity/password/user", "object"},
	{"identity/password/user/id", "string"},
	{"identity/password/user/name", "string"},
	{"identity/password/user/password", "string"},
	{"identity/password/user/domain", "object"},
	{"identity/password/user/domain/id", "string"},
	{"identity/password/user/domain/name", "string"},
	{"identity/token", "object"},
	{"identity/token/id", "string"},
	{"scope", "object|string"},
	{"scope/project", "object"},
	{"scope/project/name", "string"},
	{"scope/project/id", "string"},
	{"scope/project/domain", "object"},
	{"scope/project/domain/id", "string"},
	{"scope/project/domain/name", "string"},
	{"scope/domain", "object"},
	{"scope/domain/id", "string"},
	{"scope/domain/name", "string"},
	{"scope/OS-TRUST:trust", "object"},
	{"scope/OS-TRUST:trust/id", "string"},
	{"scope/system", "object"},
	{"scope/system/all", "boolean"},
}

type jsonObject = map[string]any

// lookup finds path under o; ok is false when a parent is not an object
// or the field is absent.
func lookup(o jsonObject, path string) (v any, ok bool) {
	v = o
	for part := range strings.SplitSeq(path, "/") {
		m, isObj := v.(jsonObject)
		if !isObj {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

func typeOf(v any) string {
	switch v.(type) {
	case jsonObject:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return "null"
}

func schemaError(path string, v any, typ string) error {
	b, _ := json.Marshal(v)
	want := "'" + strings.ReplaceAll(typ, "|", "', '") + "'"
	msg := fmt.Sprintf("%s is not of type %s", b, want)
	if path == "" {
		return errdefs.Invalidf("%s", msg)
	}
	return errdefs.Invalidf("Invalid input for field '%s': %s", path, msg)
}

// str returns o's string field (checked by the schema already).
func str(o jsonObject, path string) string {
	v, _ := lookup(o, path)
	s, _ := v.(string)
	return s
}

func has(o jsonObject, path string) bool {
	_, ok := lookup(o, path)
	return ok
}

// parseAuthBody decodes and checks the body of POST /v3/auth/tokens.
// headerToken stands in for an empty token id (the token method's
// X-Auth-Token).
func parseAuthBody(body []byte, headerToken string) (AuthRequest, error) {
	var req AuthRequest
	top := jsonObject{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			return req, expecting("valid JSON", "request body")
		}
		o, ok := v.(jsonObject)
		if !ok {
			return req, expecting("valid JSON", "request body")
		}
		top = o
	}
	rawAuth := top["auth"]
	if rawAuth == nil {
		return req, expecting("auth", "request body")
	}
	auth, ok := rawAuth.(jsonObject)
	if !ok {
		return req, schemaError("", rawAuth, "object")
	}

	// The schema: required fields, then the type of every known field.
	if !has(auth, "identity") {
		return req, errdefs.Invalidf("'identity' is a required property")
	}
	for _, f := range tokenIssueSchema {
		v, ok := lookup(auth, f.path)
		if !ok {
			continue
		}
		if !strings.Contains(f.typ, typeOf(v)) {
			return req, schemaError(f.path, v, f.typ)
		}
		switch f.path {
		case "identity":
			if !has(auth, "identity/methods") {
				return req, errdefs.Invalidf("Invalid input for field 'identity': 'methods' is a required property")
			}
		case "identity/methods":
			for i, m := range v.([]any) {
				if _, ok := m.(string); !ok {
					return req, schemaError(fmt.Sprintf("identity/methods/%d", i), m, "string")
				}
			}
		case "identity/token":
			if !has(auth, "identity/token/id") {
				return req, errdefs.Invalidf("Invalid input for field 'identity/token': 'id' is a required property")
			}
		}
	}
	// keystone/auth/schema.py's checks beyond the schema.
	for _, p := range []string{"identity/password/user", "identity/password/user/domain",
		"scope/project", "scope/project/domain", "scope/domain"} {
		if has(auth, p) && !has(auth, p+"/id") && !has(auth, p+"/name") {
			return req, errdefs.Invalidf("Invalid input for field %s: id or name must be present.", p)
		}
	}

	// AuthInfo: every method has its data, every method is offered.
	for _, m := range auth["identity"].(jsonObject)["methods"].([]any) {
		if name := m.(string); !slices.Contains(req.Methods, name) {
			req.Methods = append(req.Methods, name)
		}
	}
	for _, m := range req.Methods {
		if !has(auth, "identity/"+m) {
			return req, expecting(m, "identity")
		}
	}
	for _, m := range req.Methods {
		if !slices.Contains(offeredMethods, m) {
			return req, errMethodNotSupported
		}
	}

	// The scope: absent, or exactly one kind.
	if err := parseScope(auth, &req.Scope); err != nil {
		return req, err
	}

	// The methods' own data.
	if slices.Contains(req.Methods, "password") {
		pc, err := parsePasswordMethod(auth)
		if err != nil {
			return req, err
		}
		req.Password = pc
	}
	if slices.Contains(req.Methods, "token") {
		req.Token = str(auth, "identity/token/id")
		if req.Token == "" {
			req.Token = headerToken
		}
	}
	return req, nil
}

// parseScope reads the scope, as AuthInfo._validate_and_normalize_scope_data.
func parseScope(auth jsonObject, sc *Scope) error {
	raw, ok := auth["scope"]
	if !ok {
		return nil // no scope: the default project, or unscoped
	}
	if s, isString := raw.(string); isString {
		if s != "unscoped" {
			return errdefs.Invalidf("%s Unknown scope %q.", expecting(scopeKindsText, "scope"), s)
		}
		sc.Unscoped = true
		return nil
	}
	scope := raw.(jsonObject)
	var kinds []string
	for _, k := range scopeKinds {
		if _, ok := scope[k]; ok {
			kinds = append(kinds, k)
		}
	}
	switch {
	case len(kinds) > 1:
		return errdefs.Invalidf("%s Found %s: a scope names one.", expecting(scopeKindsText, "scope"), strings.Join(kinds, " and "))
	case len(kinds) == 0 && len(scope) > 0:
		return errdefs.Invalidf("%s Unknown scope %q.", expecting(scopeKindsText, "scope"),
			strings.Join(slices.Sorted(maps.Keys(scope)), ", "))
	case len(kinds) == 0:
		return expecting(scopeKindsText, "scope")
	}
	switch kinds[0] {
	case "system":
		return errdefs.NotSupportedf("System-scoped tokens are not supported; scope to a project.")
	case "unscoped":
		sc.Unscoped = true
	case "OS-TRUST:trust":
		if str(scope, "OS-TRUST:trust/id") == "" {
			return expecting("trust_id", "trust")
		}
		// Keystone answers 401 for a trust it does not have; this service
		// has none and offers no way to make one, so it says so.
		return errdefs.NotSupportedf("Trusts (OS-TRUST) are not supported by this identity service; scope to a project.")
	case "project":
		// As Keystone: a name (with its domain) wins over an id.
		if sc.ProjectName = str(scope, "project/name"); sc.ProjectName != "" {
			if !has(scope, "project/domain") {
				return expecting("domain", "project")
			}
			sc.ProjectDomainID, sc.ProjectDomainName = nameOrID(scope, "project/domain")
			if sc.ProjectDomainID == "" && sc.ProjectDomainName == "" {
				return unauthorized() // Keystone: domain "" not found
			}
		} else if sc.ProjectID = str(scope, "project/id"); sc.ProjectID == "" {
			return unauthorized() // Keystone: project "" not found
		}
	case "domain":
		if sc.DomainID, sc.DomainName = nameOrID(scope, "domain"); sc.DomainID == "" && sc.DomainName == "" {
			return unauthorized() // Keystone: domain "" not found
		}
	}
	return nil
}

// parsePasswordMethod reads the password method's data, as the password
// plugin: a user by id, or by name and domain.
func parsePasswordMethod(auth jsonObject) (*PasswordCredentials, error) {
	if !has(auth, "identity/password/user") {
		return nil, expecting("user", "password")
	}
	// A missing password is a failed login, as in Keystone.
	pc := &PasswordCredentials{Password: str(auth, "identity/password/user/password")}
	pc.UserID, pc.UserName = nameOrID(auth, "identity/password/user")
	if pc.UserID == "" && pc.UserName == "" {
		return nil, expecting("id or name", "user")
	}
	if pc.UserName != "" {
		if !has(auth, "identity/password/user/domain") {
			return nil, expecting("domain", "user")
		}
		if pc.DomainID, pc.DomainName = nameOrID(auth, "identity/password/user/domain"); pc.DomainID == "" && pc.DomainName == "" {
			return nil, expecting("id or name", "domain")
		}
	}
	return pc, nil
}

// nameOrID reads an object that names something by id or name; as in
// Keystone, a name wins over an id.
func nameOrID(o jsonObject, path string) (id, name string) {
	if name = str(o, path+"/name"); name != "" {
		return "", name
	}
	return str(o, path+"/id"), ""
}
