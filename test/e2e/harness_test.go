// Package e2e is the end-to-end tier: the built zund and zunctl binaries
// on a real Docker Engine. It runs in `make test` (ZUN_TEST_DOCKER=1) and
// skips without Docker otherwise.
package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/internal/demoimage"
	"github.com/zun-go/zun/store"
)

var (
	binDir   string
	buildErr error
	once     sync.Once
)

// Data planes of tenant networks are only on in tests whose agents have
// network namespaces of their own. (Tests run one at a time: on two cores
// they are bound by the CPU the clients take, and gain nothing together.)
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// requireDocker skips without an engine unless ZUN_TEST_DOCKER is set, in
// which case a missing engine fails the test.
func requireDocker(t *testing.T, host string) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end tier skipped in -short mode")
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if host != "" {
		opts = append(opts, client.WithHost(host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = cli.Ping(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("ZUN_TEST_DOCKER") != "" {
			t.Fatalf("ZUN_TEST_DOCKER is set but Docker is unreachable: %v", err)
		}
		t.Skipf("no Docker Engine (set ZUN_TEST_DOCKER=1 to require one): %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demoimage.Ensure(ctx, host); err != nil {
		t.Fatalf("demo image: %v", err)
	}
	return cli
}

// binaries builds zund and zunctl once per test binary.
func binaries(t *testing.T) (zund, zunctl string) {
	t.Helper()
	once.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "zun-e2e-bin")
		if buildErr != nil {
			return
		}
		for _, name := range []string{"zund", "zunctl"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, name), "github.com/zun-go/zun/cmd/"+name)
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "zund"), filepath.Join(binDir, "zunctl")
}

// daemon is a running zund.
type daemon struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string // without /v1
	Host    string // compute host name
	DataDir string
	Docker  string // docker host, "" for the default
	listen  string
	log     *os.File
	extra   []string // more zund flags
	storeMu sync.Mutex
	store   *store.DB // a client of its embedded etcd, once asked for
}

// startZund starts zund --dev on a free port with a fresh data dir; extra
// flags come after the harness's own, so they win.
func startZund(t *testing.T, dockerHost string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, DataDir: dataDir(t), Docker: dockerHost, extra: extra,
		Host: fmt.Sprintf("e2e-%d-%s", os.Getpid(), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.listen = ln.Addr().String()
	ln.Close()
	d.URL = "http://" + d.listen
	if slices.Contains(extra, "--tls") {
		d.URL = "https://" + d.listen
	}
	// Last: the engine is shared by the tests, and one's containers
	// (and sandboxes) would pile up there run after run.
	t.Cleanup(func() { removeHostContainers(d.Docker, d.Host) })
	d.start()
	t.Cleanup(func() { d.stop(syscall.SIGTERM) })
	return d
}

// removeHostContainers removes the runtime containers compute host made
// on the engine at dockerHost ("": the default).
func removeHostContainers(dockerHost, host string) {
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if dockerHost != "" {
		opts = append(opts, client.WithHost(dockerHost))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", driver.LabelHost+"="+host))})
	if err != nil {
		return
	}
	for _, c := range list {
		_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

func (d *daemon) start() {
	d.t.Helper()
	zund, _ := binaries(d.t)
	// Tenant networks are off unless a test asks for them
	// (--no-network=false): data planes of several daemons in one network
	// namespace would take each other's devices for stale.
	args := []string{"--dev", "--listen", d.listen, "--data-dir", d.DataDir, "--host", d.Host, "--sync-interval", "1s",
		"--admin-password", adminPassword, "--no-network"}
	if d.Docker != "" {
		args = append(args, "--docker-host", d.Docker)
	}
	args = append(args, d.extra...)
	var err error
	d.log, err = os.OpenFile(filepath.Join(d.DataDir, "zund.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.cmd = exec.Command(zund, args...)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	hc := http.DefaultClient
	if strings.HasPrefix(d.URL, "https:") { // only whether it is up: the daemon makes its CA as it starts
		hc = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	if !poll(30*time.Second, func() bool {
		res, err := hc.Get(d.URL + "/")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}) {
		d.dumpLog()
		d.t.Fatalf("zund did not come up on %s", d.listen)
	}
}

// stop stops zund with sig (SIGKILL simulates a crash) and waits.
func (d *daemon) stop(sig syscall.Signal) {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(sig)
	_ = d.cmd.Wait()
	d.cmd = nil
	d.log.Close()
	if d.t.Failed() {
		d.dumpLog()
	}
}

func (d *daemon) dumpLog() {
	b, _ := os.ReadFile(filepath.Join(d.DataDir, "zund.log"))
	if len(b) > 20000 {
		b = b[len(b)-20000:]
	}
	d.t.Logf("zund log:\n%s", b)
}

// runtimeContainers lists the Docker containers this daemon's host manages.
func (d *daemon) runtimeContainers(t *testing.T, cli *client.Client) []container.Summary {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(
			filters.Arg("label", driver.LabelManaged+"=true"),
			filters.Arg("label", driver.LabelHost+"="+d.Host))})
	if err != nil {
		t.Fatalf("docker list: %v", err)
	}
	return list
}

// adminPassword is the password of the admin every test daemon creates.
const adminPassword = "e2e-admin-secret"

// osEnv is the environment of an OpenStack client logged in as user in
// project (what the daemon's openrc exports, for the admin).
func (d *daemon) osEnv(user, password, project string) []string {
	return append(os.Environ(),
		"OS_AUTH_URL="+d.URL+"/identity/v3", "OS_AUTH_TYPE=password",
		"OS_USERNAME="+user, "OS_PASSWORD="+password, "OS_PROJECT_NAME="+project,
		"OS_USER_DOMAIN_NAME=Default", "OS_PROJECT_DOMAIN_NAME=Default",
		"OS_IDENTITY_API_VERSION=3", "OS_CLOUD=", "ZUN_ENDPOINT=", "ZUN_TOKEN=")
}

// login returns an identity login of user in project.
func (d *daemon) login(user, password, project string) *api.Password {
	return &api.Password{AuthURL: d.URL + "/identity/v3", Username: user, Password: password, ProjectName: project}
}

// adminToken returns a token of the admin.
func (d *daemon) adminToken(t *testing.T) string {
	t.Helper()
	tok, err := d.login("admin", adminPassword, "admin").Token(context.Background())
	if err != nil {
		t.Fatalf("log in as admin: %v", err)
	}
	return tok
}

// zunctl runs the CLI as the admin, which finds the endpoint in the
// catalog, and returns its output.
func (d *daemon) zunctl(args ...string) (string, error) {
	d.t.Helper()
	_, bin := binaries(d.t)
	cmd := exec.Command(bin, args...)
	cmd.Env = d.osEnv("admin", adminPassword, "admin")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (d *daemon) mustZunctl(args ...string) string {
	d.t.Helper()
	out, err := d.zunctl(args...)
	if err != nil {
		d.t.Fatalf("zunctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dataDir is a data directory for a zund, removed when the test ends
// after unmounting the volume filesystems a test left mounted in it.
func dataDir(t *testing.T) string {
	dir := t.TempDir()
	t.Cleanup(func() { // runs before TempDir's removal
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
				if out, err := exec.Command("umount", f[4]).CombinedOutput(); err != nil {
					t.Logf("umount %s: %v %s", f[4], err, out)
				}
			}
		}
	})
	return dir
}

// db connects to the embedded etcd of d (its socket in the data dir), as
// another process of the deployment would.
func (d *daemon) db(t *testing.T) *store.DB {
	t.Helper()
	d.storeMu.Lock()
	defer d.storeMu.Unlock()
	if d.store == nil {
		db, err := store.Open(context.Background(), store.Config{Endpoints: []string{"unix://" + filepath.Join(d.DataDir, "etcd.sock")}})
		if err != nil {
			t.Fatal(err)
		}
		d.t.Cleanup(func() { db.Close() })
		d.store = db
	}
	return d.store
}

// revision is the revision of d's store.
func (d *daemon) revision(t *testing.T) int64 {
	t.Helper()
	rev, err := d.db(t).Revision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// changedSince describes the writes to d's store after rev.
func (d *daemon) changedSince(t *testing.T, rev int64) []string {
	t.Helper()
	keys, err := d.db(t).ChangedSince(t.Context(), rev)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
