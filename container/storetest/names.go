package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// testNames checks name uniqueness in each scope, atomic under concurrent
// creates, and kept through renames and deletes.
func testNames(t *testing.T, newStore Factory) {
	tests := []struct {
		scope string
		// Whether a second "web" may be created: as "WEB" in the same
		// project, and as "web" in another.
		sameProject, otherProject bool
	}{
		{scope: "", sameProject: true, otherProject: true},
		{scope: "project", sameProject: false, otherProject: true},
		{scope: "global", sameProject: false, otherProject: false},
	}
	for _, tt := range tests {
		t.Run("scope "+tt.scope, func(t *testing.T) {
			t.Parallel()
			s := newStore(t, Options{NameScope: tt.scope})
			mustCreate(t, s, newContainer(projectA, "web"))
			for _, c := range []struct {
				c    *container.Container
				want bool
			}{
				{newContainer(projectA, "WEB"), tt.sameProject},
				{newContainer(projectB, "web"), tt.otherProject},
			} {
				err := s.Containers.Create(as(t, c.c.ProjectID), c.c)
				if c.want && err != nil {
					t.Fatalf("create %s in %s: %v", c.c.Name, c.c.ProjectID, err)
				}
				if !c.want && !errdefs.IsConflict(err) {
					t.Fatalf("create %s in %s: got %v, want ErrConflict", c.c.Name, c.c.ProjectID, err)
				}
			}
		})
	}

	t.Run("concurrent creates of one name", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, Options{NameScope: "project"})
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				c := newContainer(projectA, "race")
				errs[i] = s.Containers.Create(as(t, projectA), c)
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !errdefs.IsConflict(err):
				t.Fatalf("create: got %v, want nil or ErrConflict", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d concurrent creates succeeded, want 1", created, n)
		}
		list, err := s.Containers.List(as(t, projectA), container.ListOptions{Filters: map[string]string{"name": "race"}})
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v, %d containers, want 1", err, len(list))
		}
	})

	t.Run("rename moves the name", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, Options{NameScope: "project"})
		ctx := as(t, projectA)
		one := mustCreate(t, s, newContainer(projectA, "one"))
		mustCreate(t, s, newContainer(projectA, "two"))
		rename := func(name string) error {
			_, err := s.Containers.Update(ctx, one.UUID, func(c *container.Container) error { c.Name = name; return nil })
			return err
		}
		steps := []struct {
			name   string
			action func() error
			ok     bool
		}{
			{"rename onto a taken name", func() error { return rename("two") }, false},
			{"rename to a free name", func() error { return rename("three") }, true},
			{"the old name is free", func() error { return s.Containers.Create(ctx, newContainer(projectA, "one")) }, true},
			{"the new name is taken", func() error { return s.Containers.Create(ctx, newContainer(projectA, "Three")) }, false},
			{"rename changing only case", func() error { return rename("THREE") }, true},
			{"still taken after a case change", func() error { return s.Containers.Create(ctx, newContainer(projectA, "three")) }, false},
		}
		for _, st := range steps {
			err := st.action()
			if st.ok && err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if !st.ok && !errdefs.IsConflict(err) {
				t.Fatalf("%s: got %v, want ErrConflict", st.name, err)
			}
		}
	})

	t.Run("delete frees the name", func(t *testing.T) {
		t.Parallel()
		s := newStore(t, Options{NameScope: "global"})
		c := mustCreate(t, s, newContainer(projectA, "web"))
		if err := s.Containers.Delete(as(t, projectA), c.UUID); err != nil {
			t.Fatalf("delete: %v", err)
		}
		mustCreate(t, s, newContainer(projectB, "web"))
	})
}

// testFind checks lookups by uuid and by name.
func testFind(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	web := mustCreate(t, s, newContainer(projectA, "web"))
	mustCreate(t, s, newContainer(projectA, "twin"))
	mustCreate(t, s, newContainer(projectA, "twin"))
	// A container named like another's uuid: the uuid wins.
	mustCreate(t, s, newContainer(projectA, web.UUID))

	tests := []struct {
		name    string
		ident   string
		want    string // uuid; "" when an error is wanted
		wantErr error
		message string
	}{
		{name: "by uuid", ident: web.UUID, want: web.UUID},
		{name: "by name", ident: "web", want: web.UUID},
		{name: "by name, other case", ident: "WEB", want: web.UUID},
		{name: "several with the name", ident: "twin", wantErr: errdefs.ErrConflict,
			message: "Multiple containers exist with same name. Please use the container uuid instead."},
		{name: "none", ident: "nope", wantErr: errdefs.ErrNotFound, message: "Container nope could not be found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Containers.Find(as(t, projectA), tt.ident)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || err.Error() != tt.message {
					t.Fatalf("find %q: got %v, want %v %q", tt.ident, err, tt.wantErr, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatalf("find %q: %v", tt.ident, err)
			}
			if got.UUID != tt.want {
				t.Fatalf("find %q: got %s, want %s", tt.ident, describe(got), tt.want)
			}
		})
	}
}
