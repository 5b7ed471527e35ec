package keystone

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeKeystone is the part of Keystone v3 the validator talks to: password
// authentication scoped to a project, and token validation with Keystone's
// status codes (404 for a bad, expired or revoked subject token, 401 for a
// bad X-Auth-Token, 403 when the caller may not validate tokens).
type fakeKeystone struct {
	srv *httptest.Server
	now func() time.Time

	// authCalls and checkCalls count POST and GET /v3/auth/tokens.
	authCalls, checkCalls atomic.Int64
	// hold, when set, blocks token validations until it is closed.
	hold chan struct{}

	mu     sync.Mutex
	users  map[string]fakeUser // by name
	tokens map[string]fakeToken
}

type fakeUser struct {
	id, password, project string
	roles                 []string
}

type fakeToken struct {
	user    string
	project string // "": not scoped to a project
	roles   []string
	expires time.Time
}

// Fixed names of the fake's service user.
const (
	svcUser     = "zun"
	svcPassword = "zun-secret"
)

func newFakeKeystone(t *testing.T, now func() time.Time) *fakeKeystone {
	t.Helper()
	f := &fakeKeystone{
		now:    now,
		users:  map[string]fakeUser{},
		tokens: map[string]fakeToken{},
	}
	f.users[svcUser] = fakeUser{id: "u-zun", password: svcPassword, project: "service", roles: []string{"service"}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", f.authenticate)
	mux.HandleFunc("GET /v3/auth/tokens", f.validate)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config returns a validator configuration for the fake's service user.
func (f *fakeKeystone) config() Config {
	cfg := Default()
	cfg.AuthURL = f.srv.URL + "/v3"
	cfg.Username, cfg.Password = svcUser, svcPassword
	return cfg
}

// issue mints a token directly, as if its user had authenticated.
func (f *fakeKeystone) issue(user, project string, roles []string, ttl time.Duration) string {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[id] = fakeToken{user: user, project: project, roles: roles, expires: f.now().Add(ttl)}
	return id
}

func (f *fakeKeystone) revoke(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, token)
}

// revokeUser revokes every token of user.
func (f *fakeKeystone) revokeUser(user string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, t := range f.tokens {
		if t.user == user {
			delete(f.tokens, id)
		}
	}
}

func (f *fakeKeystone) authenticate(w http.ResponseWriter, r *http.Request) {
	f.authCalls.Add(1)
	var req struct {
		Auth struct {
			Identity struct {
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project struct {
					Name string `json:"name"`
				} `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !r.URL.Query().Has("nocatalog") {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	name := req.Auth.Identity.Password.User.Name
	f.mu.Lock()
	u, ok := f.users[name]
	f.mu.Unlock()
	if !ok || u.password != req.Auth.Identity.Password.User.Password || u.project != req.Auth.Scope.Project.Name {
		http.Error(w, "The request you have made requires authentication.", http.StatusUnauthorized)
		return
	}
	id := f.issue(name, u.project, u.roles, time.Hour)
	w.Header().Set("X-Subject-Token", id)
	w.WriteHeader(http.StatusCreated)
	f.writeToken(w, id)
}

func (f *fakeKeystone) validate(w http.ResponseWriter, r *http.Request) {
	f.checkCalls.Add(1)
	if f.hold != nil {
		<-f.hold
	}
	caller, ok := f.lookup(r.Header.Get("X-Auth-Token"))
	if !ok {
		http.Error(w, "The request you have made requires authentication.", http.StatusUnauthorized)
		return
	}
	if !slices.Contains(caller.roles, "service") && !slices.Contains(caller.roles, "admin") {
		http.Error(w, "You are not authorized to perform the requested action.", http.StatusForbidden)
		return
	}
	subject := r.Header.Get("X-Subject-Token")
	if _, ok := f.lookup(subject); !ok {
		http.Error(w, "Could not find token.", http.StatusNotFound)
		return
	}
	f.writeToken(w, subject)
}

// lookup returns the unexpired token id.
func (f *fakeKeystone) lookup(id string) (fakeToken, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tokens[id]
	if !ok || !f.now().Before(t.expires) {
		return fakeToken{}, false
	}
	return t, true
}

func (f *fakeKeystone) writeToken(w http.ResponseWriter, id string) {
	t, _ := f.lookup(id)
	type ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	body := map[string]any{
		"expires_at": t.expires.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"user":       map[string]any{"id": "u-" + t.user, "name": t.user, "domain": ref{"default", "Default"}},
	}
	if t.project != "" {
		body["project"] = map[string]any{"id": "p-" + t.project, "name": t.project, "domain": ref{"default", "Default"}}
	} else {
		body["domain"] = ref{"default", "Default"}
	}
	var roles []ref
	for _, r := range t.roles {
		roles = append(roles, ref{"r-" + r, r})
	}
	body["roles"] = roles
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"token": body})
}

// clock is a settable time source shared by the fake and the validator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
