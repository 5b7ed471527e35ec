package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/internal/demoimage"
	"github.com/zun-go/zun/internal/httpserve"
)

// TLS on every listener (docs/security.md): `zund --dev --tls` makes its
// CA and certificate, writes OS_CACERT into its openrc, and the real
// clients work over HTTPS; agents and the control plane authenticate
// each other with certificates of that CA.

// tlsEnv is osEnv for the admin over HTTPS, trusting the daemon's CA.
func (d *daemon) tlsEnv() []string {
	return append(d.osEnv("admin", adminPassword, "admin"), "OS_CACERT="+filepath.Join(d.DataDir, "tls", "ca.pem"))
}

// tlsClient is an HTTP client trusting d's CA, presenting id's certificate
// when it has one.
func (d *daemon) tlsClient(t *testing.T, id httpserve.TLS) *http.Client {
	t.Helper()
	id.CA = filepath.Join(d.DataDir, "tls", "ca.pem")
	hc, err := id.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

func TestTLSClients(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tier skipped in -short mode")
	}
	zunBin, osc := lookClient(t, "zun"), lookClient(t, "openstack")
	d := startZund(t, "", "--no-compute", "--tls")
	ca := filepath.Join(d.DataDir, "tls", "ca.pem")

	openrc, err := os.ReadFile(filepath.Join(d.DataDir, "openrc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export OS_AUTH_URL='" + d.URL + "/identity/v3'", "export OS_CACERT='" + ca + "'"} {
		if !strings.Contains(string(openrc), want) {
			t.Fatalf("openrc lacks %q:\n%s", want, openrc)
		}
	}
	caBefore, _ := os.ReadFile(ca)

	env := d.tlsEnv()
	zun := cli{t: t, bin: zunBin, env: env}
	openstack := cli{t: t, bin: osc, env: env}
	// clouds.yaml alone, as OS_CLOUD users have it.
	var cloudEnv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OS_") {
			cloudEnv = append(cloudEnv, kv)
		}
	}
	cloud := cli{t: t, bin: osc, env: append(cloudEnv, "OS_CLOUD=zun", "OS_CLIENT_CONFIG_FILE="+filepath.Join(d.DataDir, "clouds.yaml"))}

	t.Run("every catalog endpoint is https", func(t *testing.T) {
		var eps []struct {
			Endpoints []struct {
				URL string `json:"url"`
			} `json:"endpoints"`
			Name string `json:"name"`
		}
		out := openstack.must("catalog", "list", "-f", "json")
		if err := json.Unmarshal([]byte(out), &eps); err != nil || len(eps) < 5 {
			t.Fatalf("catalog (%v), want identity, container, network, volume and image services:\n%s", err, out)
		}
		for _, e := range eps {
			if len(e.Endpoints) == 0 {
				t.Fatalf("%s has no endpoints", e.Name)
			}
			for _, u := range e.Endpoints {
				if !strings.HasPrefix(u.URL, "https://") {
					t.Fatalf("%s endpoint %s is not https", e.Name, u.URL)
				}
			}
		}
	})
	t.Run("zun and openstack over https", func(t *testing.T) {
		zun.must("list")
		openstack.must("appcontainer", "list")
		cloud.must("appcontainer", "list")
		openstack.must("network", "create", "tls-net")
		if got := openstack.showJSON("network", "show", "tls-net")["name"]; got != "tls-net" {
			t.Fatalf("network show: name %v", got)
		}
		// A body through the embedded image service: 256 KiB over TLS.
		file := filepath.Join(t.TempDir(), "blob")
		if err := os.WriteFile(file, bytes.Repeat([]byte("zun"), 256<<10/3), 0o644); err != nil {
			t.Fatal(err)
		}
		openstack.must("image", "create", "--disk-format", "raw", "--container-format", "bare", "--file", file, "tls-image")
		if got := openstack.showJSON("image", "show", "tls-image")["size"]; got != float64(256<<10/3*3) {
			t.Fatalf("image size %v, want %d", got, 256<<10/3*3)
		}
	})
	t.Run("a client without the CA fails", func(t *testing.T) {
		var noCA []string
		for _, kv := range env {
			if !strings.HasPrefix(kv, "OS_CACERT=") {
				noCA = append(noCA, kv)
			}
		}
		for _, c := range []cli{{t: t, bin: zunBin, env: noCA}, {t: t, bin: osc, env: noCA}} {
			out, err := c.run("list")
			if c.bin == osc {
				out, err = c.run("appcontainer", "list")
			}
			if err == nil {
				t.Fatalf("%s without OS_CACERT succeeded:\n%s", c.bin, out)
			}
			if c.bin == osc && !strings.Contains(out, "CERTIFICATE_VERIFY_FAILED") {
				t.Fatalf("%s without OS_CACERT: want a certificate verification failure:\n%s", c.bin, out)
			}
		}
		if res, err := http.Get(d.URL + "/v1"); err == nil {
			res.Body.Close()
			t.Fatalf("Go client without the CA: status %d, want an unknown authority", res.StatusCode)
		}
	})
	t.Run("the CA and certificate are reused on restart", func(t *testing.T) {
		d.stop(syscall.SIGTERM)
		d.start()
		if b, _ := os.ReadFile(ca); !bytes.Equal(b, caBefore) {
			t.Fatal("the CA changed on restart: clients' OS_CACERT no longer trusts the server")
		}
		zun.must("list")
	})
}

// TestTLSAgents: with TLS, the control plane's agent API takes only
// agents with a certificate of its CA (the bearer token is not enough),
// and calls agents over mutual TLS.
func TestTLSAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end tier skipped in -short mode")
	}
	d := startZund(t, "", "--no-compute", "--tls")
	ca, err := httpserve.LoadOrCreateCA(filepath.Join(d.DataDir, "tls"), "")
	if err != nil {
		t.Fatal(err)
	}
	other, err := httpserve.LoadOrCreateCA(t.TempDir(), "another CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	issue := func(ca *httpserve.CA, name string) httpserve.TLS {
		id := httpserve.TLS{Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+"-key.pem"), CA: filepath.Join(d.DataDir, "tls", "ca.pem")}
		if _, err := ca.Issue(id.Cert, id.Key, []string{"127.0.0.1", name}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	good, stranger := issue(ca, "node-good"), issue(other, "node-stranger")
	token, err := os.ReadFile(filepath.Join(d.DataDir, "internal-token"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("agent API over HTTP", func(t *testing.T) {
		// What an agent's first call does: its host's network config.
		call := func(hc *http.Client, withToken bool) (int, error) {
			req, _ := http.NewRequest(http.MethodGet, d.URL+"/internal/v1/hosts/node-good/netconfig", nil)
			if withToken {
				req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
			}
			res, err := hc.Do(req)
			if err != nil {
				return 0, err
			}
			res.Body.Close()
			return res.StatusCode, nil
		}
		strangerTLS, err := stranger.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		cert := strangerTLS.Certificates[0]
		strangerTLS.Certificates = nil // sent although the server names another CA
		strangerTLS.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		tests := []struct {
			name  string
			hc    *http.Client
			token bool
			want  int // 0: the handshake fails
		}{
			{"the CA's certificate and the token", d.tlsClient(t, good), true, http.StatusOK},
			{"the CA's certificate, no token", d.tlsClient(t, good), false, http.StatusUnauthorized},
			{"the token, no certificate", d.tlsClient(t, httpserve.TLS{}), true, http.StatusForbidden},
			{"the token, another CA's certificate", &http.Client{Transport: &http.Transport{TLSClientConfig: strangerTLS}}, true, 0},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := call(tc.hc, tc.token)
				switch {
				case tc.want == 0 && err == nil:
					t.Fatalf("status %d, want a failed handshake", got)
				case tc.want != 0 && (err != nil || got != tc.want):
					t.Fatalf("status %d (%v), want %d", got, err, tc.want)
				}
			})
		}
	})

	t.Run("zund agents", func(t *testing.T) {
		requireDocker(t, "")
		agentArgs := func(name string, id httpserve.TLS) []string {
			return []string{"--agent", "--host", name, "--control-plane", d.URL,
				"--internal-token-file", filepath.Join(d.DataDir, "internal-token"),
				"--agent-listen", freeAddr(t), "--data-dir", dataDir(t),
				"--heartbeat-interval", "300ms", "--sync-interval", "1s", "--no-network",
				"--tls-cert", id.Cert, "--tls-key", id.Key, "--tls-ca", id.CA}
		}
		// Another CA's agent: refused, never registered.
		bad := &agentProc{t: t, name: "node-stranger", logf: filepath.Join(t.TempDir(), "stranger.log"), args: agentArgs("node-stranger", stranger)}
		f, err := os.Create(bad.logf)
		if err != nil {
			t.Fatal(err)
		}
		zund, _ := binaries(t)
		bad.cmd = exec.Command(zund, bad.args...)
		bad.cmd.Stdout, bad.cmd.Stderr = f, f
		if err := bad.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bad.stop(syscall.SIGTERM) })
		// The good agent over mutual TLS both ways: it registers, runs a
		// container, and the control plane reaches it for the logs.
		startAgentArgs(t, &agentProc{t: t, name: "node-good", logf: filepath.Join(t.TempDir(), "good.log"), args: agentArgs("node-good", good)})

		hc := d.tlsClient(t, httpserve.TLS{})
		login := &api.Password{AuthURL: d.URL + "/identity/v3", Username: "admin", Password: adminPassword, ProjectName: "admin", HTTPClient: hc}
		c, err := api.NewClient(api.Config{Endpoint: d.URL + "/v1", HTTPClient: hc, Auth: login})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		hostsAPI := func() string {
			tok, err := login.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, d.URL+"/v1/hosts", nil)
			req.Header.Set("X-Auth-Token", tok)
			req.Header.Set("OpenStack-API-Version", "container latest")
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return string(body)
		}
		// The good agent's heartbeat has reached the control plane.
		if !poll(20*time.Second, func() bool { return strings.Contains(hostsAPI(), "node-good") }) {
			t.Fatalf("node-good not among the hosts: %s", hostsAPI())
		}
		ct, err := c.CreateContainer(ctx, api.CreateContainer{Name: "over-tls", Image: demoimage.Ref,
			Command: []string{"sh", "-c", "echo hello over tls; sleep 300"}}, true)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		got := waitStatus(t, c, ct.UUID, "Running")
		if got.Host != "node-good" {
			t.Fatalf("placed on %q, want node-good (the only agent the control plane took)", got.Host)
		}
		var logs string
		if !poll(20*time.Second, func() bool {
			logs, err = c.Logs(ctx, ct.UUID, api.LogOptions{Stdout: true})
			return err == nil && strings.Contains(logs, "hello over tls")
		}) {
			t.Fatalf("logs through the agent over TLS: %q, %v", logs, err)
		}
		if err := c.DeleteContainer(ctx, ct.UUID, api.DeleteOptions{Force: true}); err != nil {
			t.Fatalf("delete: %v", err)
		}
		var b []byte
		poll(10*time.Second, func() bool {
			b, _ = os.ReadFile(bad.logf)
			return strings.Contains(string(b), "certificate")
		})
		if strings.Contains(string(b), "assignments loaded") || !strings.Contains(string(b), "certificate") {
			t.Fatalf("the agent with another CA's certificate: want refused for its certificate:\n%s", b)
		}
		if body := hostsAPI(); strings.Contains(body, "node-stranger") {
			t.Fatalf("hosts: the agent of another CA registered: %s", body)
		}
	})
}

// startAgentArgs starts a's args as an agent and waits until it serves.
func startAgentArgs(t *testing.T, a *agentProc) {
	t.Helper()
	a.start()
	t.Cleanup(func() { a.stop(syscall.SIGTERM) })
}
