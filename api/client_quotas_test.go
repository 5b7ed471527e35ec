package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestQuotaCalls checks each quota call's method, path, query and body,
// and that it decodes Zun's answers.
func TestQuotaCalls(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = r.Method + " " + r.URL.RequestURI() + " " + string(b)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Query().Get("usages") == "true":
			io.WriteString(w, `{"containers": {"limit": 40, "in_use": 2}, "cpu": {"limit": 20, "in_use": 1.5}, "memory": {"limit": -1, "in_use": 1024}, "disk": {"limit": 100, "in_use": 0}}`)
		case r.Method == "DELETE":
			io.WriteString(w, "null")
		default:
			io.WriteString(w, `{"containers": 40, "cpu": 20, "memory": 51200, "disk": 100}`)
		}
	}))
	defer srv.Close()
	c, err := NewClient(Config{Endpoint: srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := int64(5)
	unlimited := int64(-1)
	want := Quota{Containers: 40, CPU: 20, Memory: 51200, Disk: 100}
	for _, tc := range []struct {
		name, want string
		call       func() (*Quota, error)
	}{
		{"get", "GET /v1/quotas/p%2F1 ", func() (*Quota, error) { return c.GetQuota(ctx, "p/1") }},
		{"defaults", "GET /v1/quotas/p1/defaults ", func() (*Quota, error) { return c.QuotaDefaults(ctx, "p1") }},
		{"update", `PUT /v1/quotas/p1 {"containers":5,"memory":-1}`, func() (*Quota, error) {
			return c.UpdateQuota(ctx, "p1", QuotaUpdate{Containers: &n, Memory: &unlimited})
		}},
		{"class get", "GET /v1/quota_classes/default ", func() (*Quota, error) { return c.GetQuotaClass(ctx, "default") }},
		{"class update", `PUT /v1/quota_classes/gold {"disk":5}`, func() (*Quota, error) {
			return c.UpdateQuotaClass(ctx, "gold", QuotaUpdate{Disk: &n})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := tc.call()
			if err != nil || *q != want {
				t.Fatalf("got %+v, %v", q, err)
			}
			if got != tc.want {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
		})
	}
	u, err := c.GetQuotaUsage(ctx, "p1")
	if err != nil || u.CPU != (QuotaUse{Limit: 20, InUse: 1.5}) || u.Memory.Limit != -1 || got != "GET /v1/quotas/p1?usages=true " {
		t.Fatalf("usage: %+v %v (sent %q)", u, err, got)
	}
	if err := c.DeleteQuota(ctx, "p1"); err != nil || got != "DELETE /v1/quotas/p1 " {
		t.Fatalf("delete: %v (sent %q)", err, got)
	}
	if _, err := c.GetQuota(ctx, " "); err == nil {
		t.Fatal("an empty project id was sent")
	}
}
