package images_test

import (
	"context"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/errdefs"
	"github.com/zun-go/zun/images"
	"github.com/zun-go/zun/store/dbtest"
)

// TestEtcdStore: image records and commit uploads are kept per project:
// another project finds neither, the system scope finds both; an update
// is stored, a delete is final.
func TestEtcdStore(t *testing.T) {
	s := images.NewEtcdStore(dbtest.Open(t))
	p1 := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p1", UserID: "u1"})
	p2 := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "p2", UserID: "u2"})
	all := auth.WithAllProjects(auth.System(context.Background()))

	im := &images.Image{Repo: "team/app", Tag: "1", Host: "h1", ProjectID: "p1", UserID: "u1", Status: images.Pulling}
	if err := s.Create(p1, im); err != nil {
		t.Fatal(err)
	}
	if im.UUID == "" || im.CreatedAt.IsZero() {
		t.Fatalf("created: %+v", im)
	}
	up := &images.Upload{ImageID: "5d1cf0c8-64b4-4bd8-a1e4-0d4a1c2c0b7e", Container: "c1", Host: "h1", Ref: "team/c:v1",
		ProjectID: "p1", RequestID: "req-1"}
	if err := s.CreateUpload(p1, up); err != nil {
		t.Fatal(err)
	}
	if up.CreatedAt.IsZero() {
		t.Fatalf("upload created: %+v", up)
	}
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		found bool
	}{
		{"its project", p1, true},
		{"another project", p2, false},
		{"all projects", all, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Get(tc.ctx, im.UUID)
			if tc.found != (err == nil) || (!tc.found && !errdefs.IsNotFound(err)) || (tc.found && got.Ref() != "team/app:1") {
				t.Fatalf("get: %+v, %v", got, err)
			}
			list, err := s.List(tc.ctx)
			if err != nil || (len(list) == 1) != tc.found {
				t.Fatalf("list: %d, %v", len(list), err)
			}
			ups, err := s.ListUploads(tc.ctx)
			if err != nil || (len(ups) == 1) != tc.found {
				t.Fatalf("uploads: %d, %v", len(ups), err)
			}
		})
	}
	if _, err := s.UpdateUpload(all, up.ImageID, func(u *images.Upload) error { u.Committed = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if ups, _ := s.ListUploads(p1); len(ups) != 1 || !ups[0].Committed {
		t.Fatalf("after the update: %+v", ups)
	}
	if err := s.DeleteUpload(p2, up.ImageID); !errdefs.IsNotFound(err) {
		t.Fatalf("another project's delete: %v, want not found", err)
	}
	if err := s.DeleteUpload(all, up.ImageID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUpload(all, up.ImageID, func(*images.Upload) error { return nil }); !errdefs.IsNotFound(err) {
		t.Fatalf("update of a deleted upload: %v, want not found", err)
	}
}
