package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/errdefs"
)

// listFixture stores ten varied containers in project A and two in B,
// and returns A's in creation order.
func listFixture(t *testing.T, s Stores) []*container.Container {
	var mine []*container.Container
	for i := range 10 {
		c := newContainer(projectA, fmt.Sprintf("c%02d", 9-i)) // names sort against creation
		c.Image = []string{"busybox", "nginx"}[i%2]
		c.Memory = int64(128 * (i%3 + 1))
		c.CPU = float64(i % 4)
		c.Host = fmt.Sprintf("host-%d", i%2+1)
		c.Status = []container.Status{container.Running, container.Stopped}[i%2]
		c.AutoRemove = i%4 == 0
		c.UserID = []string{"alice", "bob"}[i%3%2]
		if i == 3 {
			c.TaskState = container.TaskStarting
		}
		mine = append(mine, mustCreate(t, s, c))
	}
	mustCreate(t, s, newContainer(projectB, "c00"))
	mustCreate(t, s, newContainer(projectB, "other"))
	return mine
}

// testList checks filters, sorting, markers and limits, and that a list
// sees the store's own writes at once.
func testList(t *testing.T, newStore Factory) {
	s := newStore(t, Options{})
	mine := listFixture(t, s)
	ctx := as(t, projectA)
	pick := func(keep func(c *container.Container) bool) []string {
		var ids []string
		for _, c := range mine {
			if keep(c) {
				ids = append(ids, c.UUID)
			}
		}
		return ids
	}

	t.Run("filters", func(t *testing.T) {
		tests := []struct {
			filter, value string
			keep          func(c *container.Container) bool
		}{
			{"name", "c03", func(c *container.Container) bool { return c.Name == "c03" }},
			{"image", "nginx", func(c *container.Container) bool { return c.Image == "nginx" }},
			{"project_id", projectA, func(c *container.Container) bool { return true }},
			{"user_id", "bob", func(c *container.Container) bool { return c.UserID == "bob" }},
			{"memory", "256", func(c *container.Container) bool { return c.Memory == 256 }},
			{"host", "host-2", func(c *container.Container) bool { return c.Host == "host-2" }},
			{"task_state", string(container.TaskStarting), func(c *container.Container) bool { return c.TaskState == container.TaskStarting }},
			{"status", "Running", func(c *container.Container) bool { return c.Status == container.Running }},
			{"auto_remove", "true", func(c *container.Container) bool { return c.AutoRemove }},
			{"auto_remove", "false", func(c *container.Container) bool { return !c.AutoRemove }},
			{"name", "nothing", func(c *container.Container) bool { return false }},
		}
		for _, tt := range tests {
			t.Run(tt.filter+"="+tt.value, func(t *testing.T) {
				got, err := s.Containers.List(ctx, container.ListOptions{Filters: map[string]string{tt.filter: tt.value}})
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				if want := pick(tt.keep); !slices.Equal(uuids(got), want) {
					t.Fatalf("got %v, want %v", uuids(got), want)
				}
			})
		}
		got, err := s.Containers.List(ctx, container.ListOptions{Filters: map[string]string{"image": "nginx", "host": "host-2"}})
		want := pick(func(c *container.Container) bool { return c.Image == "nginx" && c.Host == "host-2" })
		if err != nil || !slices.Equal(uuids(got), want) {
			t.Fatalf("two filters: got %v %v, want %v", uuids(got), err, want)
		}
	})

	// Each order is the key, then creation; desc reverses both.
	orders := []struct {
		key     string
		compare func(a, b *container.Container) int
	}{
		{"id", func(a, b *container.Container) int { return 0 }},
		{"created_at", func(a, b *container.Container) int { return a.CreatedAt.Compare(b.CreatedAt) }},
		{"uuid", func(a, b *container.Container) int { return strings.Compare(a.UUID, b.UUID) }},
		{"name", func(a, b *container.Container) int { return strings.Compare(a.Name, b.Name) }},
		{"memory", func(a, b *container.Container) int { return cmp.Compare(a.Memory, b.Memory) }},
		{"cpu", func(a, b *container.Container) int { return cmp.Compare(a.CPU, b.CPU) }},
		{"status", func(a, b *container.Container) int { return strings.Compare(string(a.Status), string(b.Status)) }},
		{"image", func(a, b *container.Container) int { return strings.Compare(a.Image, b.Image) }},
		{"host", func(a, b *container.Container) int { return strings.Compare(a.Host, b.Host) }},
		{"user_id", func(a, b *container.Container) int { return strings.Compare(a.UserID, b.UserID) }},
		{"project_id", func(a, b *container.Container) int { return 0 }},
	}
	for _, o := range orders {
		for _, dir := range []string{"asc", "desc"} {
			t.Run("sort "+o.key+" "+dir+" in pages", func(t *testing.T) {
				want := slices.Clone(mine) // in creation order, so a stable sort breaks ties by it
				slices.SortStableFunc(want, o.compare)
				if dir == "desc" {
					slices.Reverse(want)
				}
				opts := container.ListOptions{SortKey: o.key, SortDir: dir}
				all, err := s.Containers.List(ctx, opts)
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				if !slices.Equal(uuids(all), uuids(want)) {
					t.Fatalf("got %v, want %v", uuids(all), uuids(want))
				}
				var paged []*container.Container
				for page := 0; ; page++ {
					opts.Limit = 3
					got, err := s.Containers.List(ctx, opts)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					paged = append(paged, got...)
					if len(got) < opts.Limit {
						break
					}
					opts.Marker = got[len(got)-1].UUID
				}
				if !slices.Equal(uuids(paged), uuids(want)) {
					t.Fatalf("pages: got %v, want %v", uuids(paged), uuids(want))
				}
			})
		}
	}

	t.Run("many small pages", func(t *testing.T) {
		s := newStore(t, Options{})
		var many []*container.Container
		for i := range 60 {
			c := newContainer(projectA, fmt.Sprintf("n%02d", i*37%60))
			c.Memory = int64(i % 5)
			many = append(many, mustCreate(t, s, c))
		}
		for _, o := range orders {
			if o.key != "name" && o.key != "memory" {
				continue
			}
			want := slices.Clone(many)
			slices.SortStableFunc(want, o.compare)
			slices.Reverse(want)
			opts := container.ListOptions{SortKey: o.key, SortDir: "desc", Limit: 4}
			var paged []*container.Container
			for {
				got, err := s.Containers.List(ctx, opts)
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				paged = append(paged, got...)
				if len(got) < opts.Limit {
					break
				}
				opts.Marker = got[len(got)-1].UUID
			}
			if !slices.Equal(uuids(paged), uuids(want)) {
				t.Fatalf("%s desc in pages of 4: got %v, want %v", o.key, uuids(paged), uuids(want))
			}
		}
	})

	t.Run("limit", func(t *testing.T) {
		got, err := s.Containers.List(ctx, container.ListOptions{Limit: 4})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if want := uuids(mine[:4]); !slices.Equal(uuids(got), want) {
			t.Fatalf("got %v, want %v", uuids(got), want)
		}
	})

	t.Run("bad options are invalid", func(t *testing.T) {
		theirs, err := s.Containers.List(as(t, projectB), container.ListOptions{})
		if err != nil || len(theirs) == 0 {
			t.Fatalf("list B: %v", err)
		}
		tests := []struct {
			name string
			opts container.ListOptions
		}{
			{"unknown sort key", container.ListOptions{SortKey: "nonsense"}},
			{"unknown sort dir", container.ListOptions{SortDir: "up"}},
			{"unknown marker", container.ListOptions{Marker: "0d0d0d0d-0000-4000-8000-000000000000"}},
			{"marker of another project", container.ListOptions{Marker: theirs[0].UUID}},
			{"unknown filter", container.ListOptions{Filters: map[string]string{"colour": "red"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := s.Containers.List(ctx, tt.opts); !errdefs.IsInvalid(err) {
					t.Fatalf("got %v, want ErrInvalid", err)
				}
			})
		}
	})

	t.Run("sees own writes at once", func(t *testing.T) {
		s := newStore(t, Options{})
		ctx := as(t, projectA)
		count := func(filters map[string]string) int {
			t.Helper()
			got, err := s.Containers.List(ctx, container.ListOptions{Filters: filters})
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			return len(got)
		}
		for i := range 5 {
			c := mustCreate(t, s, newContainer(projectA, "w"+strconv.Itoa(i)))
			if got := count(nil); got != i+1 {
				t.Fatalf("after create %d: listed %d", i+1, got)
			}
			if _, err := s.Containers.Update(ctx, c.UUID, func(c *container.Container) error {
				c.Status = container.Running
				return nil
			}); err != nil {
				t.Fatalf("update: %v", err)
			}
			if got := count(map[string]string{"status": "Running"}); got != 1 {
				t.Fatalf("after update: %d running, want 1", got)
			}
			if err := s.Containers.Delete(ctx, c.UUID); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if got := count(map[string]string{"status": "Running"}); got != 0 {
				t.Fatalf("after delete: %d running, want 0", got)
			}
			mustCreate(t, s, newContainer(projectA, "k"+strconv.Itoa(i)))
		}
	})
}
