package drivertest

import (
	"testing"

	"github.com/zun-go/zun/driver"
	"github.com/zun-go/zun/errdefs"
)

// testRename: a container takes a free name, and is found by it; a name
// in use is ErrConflict.
func testRename(t *testing.T, e *env) {
	r := implements[driver.Renamer](t, e.d)
	a, b := e.create(e.sleeper()), e.create(e.sleeper())
	name := e.spec(nil, nil).Name
	if err := r.Rename(e.ctx, a, name); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if st, err := e.d.Inspect(e.ctx, name); err != nil || st.ID != a {
		t.Fatalf("inspect by the new name: %+v %v", st, err)
	}
	if err := r.Rename(e.ctx, b, name); !errdefs.IsConflict(err) {
		t.Fatalf("rename to a name in use: %v, want ErrConflict", err)
	}
}

// testJoinNamespace: a container in another's network namespace
// (NetworkMode "container:NAME", as a sandbox's members are) starts while
// that one runs, and not while it is stopped; the holder is resolved to
// its id at create, which Inspect shows.
func testJoinNamespace(t *testing.T, e *env) {
	holder := e.sleeper()
	holder.NetworkMode = "none"
	hid := e.run(holder)
	member := e.sleeper()
	member.NetworkMode = "container:" + holder.Name
	mid := e.create(member)
	// As Docker: the holder is resolved once, at create.
	if st := e.inspect(mid); st.NetworkMode != "container:"+hid {
		t.Fatalf("network mode %q, want %q", st.NetworkMode, "container:"+hid)
	}
	if err := e.d.Start(e.ctx, mid); err != nil {
		t.Fatalf("start in a running holder's namespace: %v", err)
	}
	if err := e.d.Stop(e.ctx, mid, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Stop(e.ctx, hid, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Start(e.ctx, mid); err == nil {
		t.Fatal("started in the namespace of a stopped holder")
	}
}
