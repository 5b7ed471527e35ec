package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/zun-go/zun/auth"
	"github.com/zun-go/zun/container"
	"github.com/zun-go/zun/store"
	"github.com/zun-go/zun/store/dbtest"
)

// BenchmarkList measures List on 10,000 containers in one project, among
// 5,000 of other projects, from the in-memory index.
func BenchmarkList(b *testing.B) {
	db := dbtest.Open(b)
	s := store.Containers(db, store.ContainerOptions{})
	projects := map[string]int{"big": 10000}
	for i := range 5 {
		projects[fmt.Sprintf("other-%d", i)] = 1000
	}
	var middle string
	for project, n := range projects {
		uuids := populate(b, s, project, n)
		if project == "big" {
			middle = uuids[n/2]
		}
	}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: "big"})
	tests := []struct {
		name string
		opts container.ListOptions
		want int
	}{
		{"page of 50", container.ListOptions{Limit: 50}, 50},
		{"page of 50 after a marker", container.ListOptions{Limit: 50, Marker: middle}, 50},
		{"page of 50 by status", container.ListOptions{Limit: 50, Filters: map[string]string{"status": "Running"}}, 50},
		{"page of 50 sorted by name", container.ListOptions{Limit: 50, SortKey: "name", SortDir: "desc"}, 50},
		{"page of 50 sorted by name after a marker", container.ListOptions{Limit: 50, SortKey: "name", Marker: middle}, 50},
		{"one name", container.ListOptions{Filters: map[string]string{"name": "c-big-77"}}, 1},
		{"full list", container.ListOptions{}, 10000},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				list, err := s.List(ctx, tt.opts)
				if err != nil || len(list) != tt.want {
					b.Fatalf("list: %v, %d containers, want %d", err, len(list), tt.want)
				}
			}
		})
	}
}

// populate creates n containers in project, 16 at a time, and returns
// their uuids in creation order (roughly).
func populate(b *testing.B, s *store.ContainerStore, project string, n int) []string {
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{ProjectID: project, UserID: "u"})
	uuids := make([]string, n)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				c := &container.Container{
					Name: fmt.Sprintf("c-%s-%d", project, i), ProjectID: project, UserID: "u",
					Image: "busybox", Memory: 512, CPU: 1, Status: []container.Status{container.Running, container.Stopped}[i%2],
					Labels: map[string]string{"app": "bench"}, Command: []string{"sleep", "3600"},
				}
				if err := s.Create(ctx, c); err != nil {
					b.Errorf("create: %v", err)
					return
				}
				uuids[i] = c.UUID
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return uuids
}
