// Package keystone is the integration tier of the external Keystone mode:
// identity/keystone's Validator against a real OpenStack Keystone (Debian's
// package) served on loopback by scripts/keystone.sh. It runs with
// ZUN_TEST_KEYSTONE=1 and skips otherwise; the first run installs the
// package (about a minute), later ones start Keystone in about 20s.
package keystone

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/identity/keystone"
)

// cacheTTL is the validator's cache TTL here: short, so that revocation
// shows within the test.
const cacheTTL = time.Second

func TestExternalKeystone(t *testing.T) {
	if os.Getenv("ZUN_TEST_KEYSTONE") == "" {
		t.Skip("real Keystone tier: set ZUN_TEST_KEYSTONE=1 to run it (installs Debian's keystone if missing and serves it on loopback with scripts/keystone.sh)")
	}
	began := time.Now()
	ks := startKeystone(t)
	t.Logf("keystone up at %s in %s", ks.url, time.Since(began).Round(time.Millisecond))
	ctx := context.Background()

	newValidator := func(t *testing.T, password string) *keystone.Validator {
		t.Helper()
		cfg := keystone.Default()
		cfg.AuthURL = ks.url
		cfg.Username, cfg.Password, cfg.ProjectName = ks.env["ZUN_USERNAME"], password, ks.env["ZUN_PROJECT_NAME"]
		cfg.CacheTTL = cacheTTL
		v, err := keystone.New(cfg)
		if err != nil {
			t.Fatalf("keystone.New: %v", err)
		}
		return v
	}
	v := newValidator(t, ks.env["ZUN_PASSWORD"])
	demo := ks.token(t, ks.env["DEMO_USERNAME"], ks.env["DEMO_PASSWORD"], projectScope(ks.env["DEMO_PROJECT_NAME"]))

	t.Run("project token", func(t *testing.T) {
		p, err := v.Validate(ctx, demo)
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if p.UserName != "demo" || p.UserID == "" || p.ProjectName != "demo" || p.ProjectID == "" || p.DomainID != "default" {
			t.Errorf("principal: got %+v, want user demo in project demo, domain default", p)
		}
		if !p.HasRole("member") || p.IsAdmin() {
			t.Errorf("roles: got %v, want member and not admin", p.Roles)
		}
		if p.Token != demo {
			t.Errorf("principal token is not the caller's")
		}
	})

	t.Run("forged tokens", func(t *testing.T) {
		random := make([]byte, 32)
		rand.Read(random)
		mid := len(demo) / 2
		flipped := demo[:mid] + string(demo[mid]^1) + demo[mid+1:]
		for name, token := range map[string]string{
			"random":  hex.EncodeToString(random),
			"altered": flipped,
			"cut":     demo[:len(demo)-4],
		} {
			if _, err := v.Validate(ctx, token); !errors.Is(err, errdefs.ErrUnauthorized) {
				t.Errorf("%s token: got %v, want ErrUnauthorized", name, err)
			}
		}
	})

	t.Run("token without a project", func(t *testing.T) {
		system := ks.token(t, "admin", ks.env["ADMIN_PASSWORD"], map[string]any{"system": map[string]any{"all": true}})
		_, err := v.Validate(ctx, system)
		if !errors.Is(err, errdefs.ErrUnauthorized) || !strings.Contains(err.Error(), "project") {
			t.Errorf("system-scoped token: got %v, want ErrUnauthorized about the project", err)
		}
	})

	t.Run("wrong service password", func(t *testing.T) {
		// The caller's token is fine; the deployment is not: 503, not 401.
		_, err := newValidator(t, "wrong").Validate(ctx, demo)
		if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "refused the credentials") {
			t.Errorf("Validate: got %v, want ErrUnavailable about the service credentials", err)
		}
	})

	t.Run("revoked token", func(t *testing.T) {
		token := ks.token(t, ks.env["DEMO_USERNAME"], ks.env["DEMO_PASSWORD"], projectScope(ks.env["DEMO_PROJECT_NAME"]))
		if _, err := v.Validate(ctx, token); err != nil {
			t.Fatalf("Validate before revocation: %v", err)
		}
		ks.revoke(t, token)
		revoked := time.Now()
		// Trusted from the cache for at most cacheTTL, then refused.
		var err error
		for time.Since(revoked) < cacheTTL+5*time.Second {
			if _, err = v.Validate(ctx, token); err != nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(revoked)
		if !errors.Is(err, errdefs.ErrUnauthorized) {
			t.Fatalf("revoked token %s after revocation: got %v, want ErrUnauthorized", took.Round(time.Millisecond), err)
		}
		if took > cacheTTL+2*time.Second {
			t.Errorf("revoked token refused only after %s, want within the cache TTL %s", took, cacheTTL)
		}
		t.Logf("revoked token refused %s after revocation (cache TTL %s)", took.Round(time.Millisecond), cacheTTL)
	})

	t.Run("zund with --keystone-url", func(t *testing.T) {
		testZund(t, ks)
	})

	t.Run("keystone down", func(t *testing.T) {
		ks.stop(t)
		fresh := newValidator(t, ks.env["ZUN_PASSWORD"])
		if _, err := fresh.Validate(ctx, demo); !errors.Is(err, errdefs.ErrUnavailable) {
			t.Errorf("Validate with keystone stopped: got %v, want ErrUnavailable", err)
		}
	})
	t.Logf("whole test: %s", time.Since(began).Round(time.Millisecond))
}

// realKeystone is a Keystone run by scripts/keystone.sh.
type realKeystone struct {
	script, dir, url string
	// env is DIR/keystone.env: the users and passwords it was set up with.
	env map[string]string
}

// startKeystone starts a Keystone in a temporary directory and stops it
// when the test ends.
func startKeystone(t *testing.T) *realKeystone {
	t.Helper()
	script, err := filepath.Abs("../../scripts/keystone.sh")
	if err != nil {
		t.Fatal(err)
	}
	ks := &realKeystone{script: script, dir: t.TempDir()}
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first install included
	defer cancel()
	cmd := exec.CommandContext(ctx, script, "start", ks.dir, fmt.Sprint(port))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	t.Cleanup(func() { ks.stop(t) })
	if err != nil {
		t.Fatalf("%s start: %v\n%s\nkeystone log:\n%s", script, err, stderr.String(), tail(filepath.Join(ks.dir, "keystone.log")))
	}
	ks.url = strings.TrimSpace(string(out))
	ks.env = readEnv(t, filepath.Join(ks.dir, "keystone.env"))
	return ks
}

func (ks *realKeystone) stop(t *testing.T) {
	out, err := exec.Command(ks.script, "stop", ks.dir).CombinedOutput()
	if err != nil {
		t.Errorf("keystone.sh stop: %v\n%s", err, out)
	}
}

// freePort returns a loopback port below Linux's ephemeral range
// (32768-60999), which outgoing connections never take: on a busy host a
// port in that range can be taken between this check and Keystone's bind.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		n, _ := rand.Int(rand.Reader, big.NewInt(12000))
		port := 20000 + int(n.Int64())
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port in 20000-31999")
	return 0
}

func projectScope(name string) map[string]any {
	return map[string]any{"project": map[string]any{"name": name, "domain": map[string]any{"id": "default"}}}
}

// token authenticates with a password, as a client would.
func (ks *realKeystone) token(t *testing.T, user, password string, scope map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name": user, "password": password, "domain": map[string]any{"id": "default"},
			}},
		},
		"scope": scope,
	}})
	resp, err := http.Post(ks.url+"/auth/tokens?nocatalog", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("authenticating %s: %v", user, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	token := resp.Header.Get("X-Subject-Token")
	if resp.StatusCode != http.StatusCreated || token == "" {
		t.Fatalf("authenticating %s: %s: %s", user, resp.Status, msg)
	}
	return token
}

// revoke revokes token with the token itself, as "openstack token revoke"
// does.
func (ks *realKeystone) revoke(t *testing.T, token string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, ks.url+"/auth/tokens", nil)
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("revoking: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoking: %s", resp.Status)
	}
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	return env
}

// tail returns the end of a log file, for failure messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// testZund runs the built zund against the real Keystone: its tokens reach
// the container API with their project and roles, other tokens do not, a
// revoked one stops working within the cache TTL, and the embedded
// identity is not served.
func testZund(t *testing.T, ks *realKeystone) {
	bin := filepath.Join(t.TempDir(), "zund")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/zund").CombinedOutput(); err != nil {
		t.Fatalf("build zund: %v\n%s", err, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	data := t.TempDir()
	cmd := exec.Command(bin, "--dev", "--no-compute", "--listen", addr, "--data-dir", data,
		"--keystone-url", ks.url, "--keystone-user", ks.env["ZUN_USERNAME"],
		"--keystone-project", ks.env["ZUN_PROJECT_NAME"], "--keystone-cache-ttl", "1s")
	cmd.Env = append(os.Environ(), "ZUN_KEYSTONE_PASSWORD="+ks.env["ZUN_PASSWORD"])
	logf, _ := os.Create(filepath.Join(data, "zund.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("zund log:\n%s", tail(filepath.Join(data, "zund.log")))
		}
	})
	base := "http://" + addr
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		req.Header.Set("OpenStack-API-Version", "container 1.40")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st, _ := get("/", ""); st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("zund did not come up")
		}
		time.Sleep(100 * time.Millisecond)
	}
	demo := ks.token(t, ks.env["DEMO_USERNAME"], ks.env["DEMO_PASSWORD"], projectScope(ks.env["DEMO_PROJECT_NAME"]))
	if st, body := get("/v1/containers", demo); st != 200 {
		t.Fatalf("list with a Keystone token: %d %s", st, body)
	}
	if st, _ := get("/v1/containers?all_projects=true", demo); st != 403 {
		t.Fatalf("a member's all_projects: %d, want 403", st)
	}
	admin := ks.token(t, "admin", ks.env["ADMIN_PASSWORD"], projectScope("admin"))
	if st, body := get("/v1/containers?all_projects=true", admin); st != 200 {
		t.Fatalf("the admin's all_projects: %d %s", st, body)
	}
	for _, tok := range []string{"", "forged", demo[:len(demo)-2] + "xx"} {
		if st, _ := get("/v1/containers", tok); st != 401 {
			t.Fatalf("token %.10q: %d, want 401", tok, st)
		}
	}
	if st, _ := get("/identity/v3", ""); st == 200 {
		t.Fatal("the embedded identity is served in external Keystone mode")
	}
	ks.revoke(t, demo)
	deadline = time.Now().Add(5 * time.Second)
	for {
		st, _ := get("/v1/containers", demo)
		if st == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a revoked token still works after 5s (cache TTL 1s): %d", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
