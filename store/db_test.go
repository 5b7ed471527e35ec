package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	long := "/tmp/" + strings.Repeat("d", 120)
	tests := []struct {
		name string
		cfg  store.Config
		ok   bool
	}{
		{"embedded", store.Config{DataDir: "/var/lib/zun"}, true},
		{"external", store.Config{Endpoints: []string{"http://10.0.0.1:2379"}}, true},
		{"nothing", store.Config{}, false},
		{"empty endpoint", store.Config{Endpoints: []string{""}}, false},
		{"prefix without slash", store.Config{DataDir: "/d", Prefix: "zun"}, false},
		{"prefix with trailing slash", store.Config{DataDir: "/d", Prefix: "/zun/"}, false},
		{"socket path too long", store.Config{DataDir: long}, false},
		{"long data dir, TCP URLs", store.Config{DataDir: long, ClientURL: "http://127.0.0.1:0", PeerURL: "http://127.0.0.1:0"}, true},
		{"client URL without port", store.Config{DataDir: "/d", ClientURL: "http://127.0.0.1"}, false},
		{"client URL of another scheme", store.Config{DataDir: "/d", ClientURL: "https://127.0.0.1:2379"}, false},
		{"negative duration", store.Config{DataDir: "/d", DialTimeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// fill stores n containers named c0.. in project p, each with an action.
func fill(t *testing.T, s *store.ContainerStore, project string, n int) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: project})
	for i := range n {
		c := &container.Container{Name: fmt.Sprintf("c%d", i), ProjectID: project, Image: "busybox", Status: container.Created}
		if err := s.Create(ctx, c); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := s.StartAction(ctx, &container.Action{Action: container.ActCreate, ContainerUUID: c.UUID, RequestID: "req"}); err != nil {
			t.Fatalf("start action: %v", err)
		}
	}
}

// check verifies what fill stored, through a new store on db.
func check(t *testing.T, db *store.DB, project string, n int) {
	t.Helper()
	s := store.Containers(db, store.ContainerOptions{NameScope: store.NameScopeProject})
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: project})
	list, err := s.List(ctx, container.ListOptions{})
	if err != nil || len(list) != n {
		t.Fatalf("list: %v, %d containers, want %d", err, len(list), n)
	}
	for _, c := range list {
		if actions, err := s.ListActions(ctx, c.UUID); err != nil || len(actions) != 1 {
			t.Fatalf("actions of %s: %v %d, want 1", c.Name, err, len(actions))
		}
	}
	dup := &container.Container{Name: "C0", ProjectID: project, Image: "busybox"}
	if err := s.Create(ctx, dup); !errdefs.IsConflict(err) {
		t.Fatalf("create a taken name: got %v, want ErrConflict", err)
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	dir := dbtest.TempDir(t)
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	fill(t, store.Containers(db, store.ContainerOptions{NameScope: store.NameScopeProject}), "p", 5)
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	db, err = store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	check(t, db, "p", 5)
}

// TestOpenFails checks that Open fails at once, without hanging or
// disturbing a running member, when it cannot work.
func TestOpenFails(t *testing.T) {
	t.Parallel()
	running := dbtest.TempDir(t)
	db, err := store.Open(context.Background(), store.Config{DataDir: running, UnsafeNoFsync: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	tests := []struct {
		name string
		cfg  store.Config
	}{
		{"data dir in use", store.Config{DataDir: running}},
		{"unreachable cluster", store.Config{Endpoints: []string{"unix:///nonexistent/etcd.sock"}, DialTimeout: 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := store.Open(ctx, tt.cfg); !errdefs.IsUnavailable(err) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
		})
	}
	fill(t, store.Containers(db, store.ContainerOptions{NameScope: store.NameScopeProject}), "p", 1)
	check(t, db, "p", 1)
}

// TestCrashRecovery kills a process writing to an embedded member with
// SIGKILL and checks that reopening its data dir recovers every write.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	dir := dbtest.TempDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), "ZUN_STORE_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() && lines.Text() != "written" {
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	cmd.Wait()
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	check(t, db, "p", 10)
}

// TestCrashChild is TestCrashRecovery's writer process.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("ZUN_STORE_CRASH_DIR")
	if dir == "" {
		t.Skip("run by TestCrashRecovery")
	}
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	fill(t, store.Containers(db, store.ContainerOptions{NameScope: store.NameScopeProject}), "p", 10)
	fmt.Println("written")
	select {} // until killed
}

// TestSharedEtcd checks that two DBs on one etcd, the embedded member and
// a client of it, see each other's writes: the index follows the watch.
func TestSharedEtcd(t *testing.T) {
	t.Parallel()
	embedded := dbtest.Open(t)
	remote, err := store.Open(context.Background(), store.Config{Endpoints: embedded.Endpoints()})
	if err != nil {
		t.Fatalf("open remote: %v", err)
	}
	defer remote.Close()
	opts := store.ContainerOptions{NameScope: store.NameScopeGlobal}
	local, other := store.Containers(embedded, opts), store.Containers(remote, opts)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p"})
	listed := func(s *store.ContainerStore, filters map[string]string) []string {
		t.Helper()
		list, err := s.List(ctx, container.ListOptions{Filters: filters})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.Name)
		}
		return got
	}

	a := &container.Container{Name: "a", ProjectID: "p", Status: container.Created}
	if err := local.Create(ctx, a); err != nil {
		t.Fatalf("create: %v", err)
	}
	eventually(t, "the remote lists a", func() bool { return slices.Equal(listed(other, nil), []string{"a"}) })
	b := &container.Container{Name: "b", ProjectID: "p", Status: container.Created}
	if err := other.Create(ctx, b); err != nil {
		t.Fatalf("create: %v", err)
	}
	eventually(t, "the embedded lists b", func() bool { return slices.Equal(listed(local, nil), []string{"a", "b"}) })
	if _, err := other.Update(ctx, a.UUID, func(c *container.Container) error { c.Status = container.Running; return nil }); err != nil {
		t.Fatalf("update: %v", err)
	}
	eventually(t, "the embedded sees a running", func() bool {
		return slices.Equal(listed(local, map[string]string{"status": "Running"}), []string{"a"})
	})
	if err := local.Delete(ctx, b.UUID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	eventually(t, "the remote drops b", func() bool { return slices.Equal(listed(other, nil), []string{"a"}) })
	if err := other.Create(ctx, &container.Container{Name: "A", ProjectID: "p"}); !errdefs.IsConflict(err) {
		t.Fatalf("create a name taken through the other DB: got %v, want ErrConflict", err)
	}
}

// TestChangedSince: the revision moves with every write, and ChangedSince
// names the writes after a revision, deletions too; an update that
// changes nothing moves nothing.
func TestChangedSince(t *testing.T) {
	t.Parallel()
	db := dbtest.Open(t)
	ctx := t.Context()
	rev, err := db.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Txn().Create("k", map[string]int{"v": 1}).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(ctx, db, "k", func(v *map[string]int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Txn().Delete("k").Commit(ctx); err != nil {
		t.Fatal(err)
	}
	now, err := db.Revision(ctx)
	if err != nil || now != rev+2 {
		t.Fatalf("revision %d → %d (%v), want two writes", rev, now, err)
	}
	writes, err := db.ChangedSince(ctx, rev)
	if err != nil || len(writes) != 2 || !strings.HasPrefix(writes[0], "PUT k@") || !strings.HasPrefix(writes[1], "DELETE k@") {
		t.Fatalf("writes since %d: %v, %v; want a PUT and a DELETE of k", rev, writes, err)
	}
	if writes, err := db.ChangedSince(ctx, now); err != nil || len(writes) != 0 {
		t.Fatalf("writes since now: %v, %v", writes, err)
	}
}
