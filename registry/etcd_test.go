package registry_test

import (
	"bytes"
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/store/dbtest"
)

// TestRegistryPasswords: passwords are sealed in etcd, opened for the
// store's callers, bound to their record, and unreadable with another key.
func TestRegistryPasswords(t *testing.T) {
	db := dbtest.Open(t)
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := registry.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	rs := registry.NewEtcdStore(db, sealer)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	r := &registry.Registry{Name: "priv", Domain: "reg.example:5000", Username: "u", Password: "very-secret-word",
		ProjectID: "p1", UserID: "u1"}
	if err := rs.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: db.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	resp, err := cli.Get(context.Background(), "", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, kv := range resp.Kvs {
		if bytes.Contains(kv.Value, []byte("very-secret-word")) {
			t.Fatalf("password in clear at %s", kv.Key)
		}
		found = found || bytes.Contains(kv.Value, []byte("reg.example:5000"))
	}
	if !found {
		t.Fatal("the registry record is not in etcd")
	}
	got, err := rs.Find(ctx, "priv")
	if err != nil || got.Password != "very-secret-word" || got.UUID != r.UUID {
		t.Fatalf("find by name: %+v %v", got, err)
	}
	if _, err := rs.Find(auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p2"}), r.UUID); !errdefs.IsNotFound(err) {
		t.Fatalf("another project found it: %v", err)
	}
	// Another key cannot open it.
	other, _ := registry.NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := registry.NewEtcdStore(db, other).Find(ctx, r.UUID); err == nil {
		t.Fatal("opened with another key")
	}
	// A sealed password is bound to its record.
	sealed, _ := sealer.Seal(r.UUID, "x")
	if _, err := sealer.Open("another-uuid", sealed); err == nil {
		t.Fatal("a sealed password opened for another record")
	}
	if _, err := rs.Update(ctx, r.UUID, func(x *registry.Registry) error { x.Password = "rotated"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := rs.Find(ctx, r.UUID); got.Password != "rotated" {
		t.Fatalf("after update: %q", got.Password)
	}
	if err := rs.Delete(ctx, r.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Find(ctx, r.UUID); !errdefs.IsNotFound(err) {
		t.Fatalf("deleted: %v", err)
	}
}
