package apiserver_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zun-go/zun/apiserver"
	"github.com/zun-go/zun/registry"
	"github.com/zun-go/zun/store/dbtest"
)

func TestRegistriesAPI(t *testing.T) {
	cfg := apiserver.DefaultConfig()
	sealer, _ := registry.NewSealer(bytes.Repeat([]byte{1}, 32))
	rs := registry.NewEtcdStore(dbtest.Open(t), sealer)
	ts, _ := newStack(t, cfg, tokens{"a": alice, "b": bob, "root": root},
		func(d *apiserver.Deps) { d.Registries = rs })
	q := func(token, method, path, body string) (int, map[string]any) {
		t.Helper()
		status, raw := call(t, method, ts.URL+path, token, body)
		var v map[string]any
		_ = json.Unmarshal([]byte(raw), &v)
		return status, v
	}
	status, v := q("a", "POST", "/v1/registries", `{"registry":{"name":"priv","domain":"reg.example:5000","username":"u","password":"pw-1"}}`)
	r, _ := v["registry"].(map[string]any)
	if status != 201 || r["password"] != "***" || r["domain"] != "reg.example:5000" || r["project_id"] != "p-a" {
		t.Fatalf("create: %d %v", status, v)
	}
	id := r["uuid"].(string)
	for _, tc := range []struct{ name, body string }{
		{"no domain", `{"registry":{"name":"x1"}}`},
		{"bad name", `{"registry":{"name":"-x","domain":"r.example"}}`},
		{"one-letter name", `{"registry":{"name":"x","domain":"r.example"}}`},
		{"extra key", `{"registry":{"domain":"r.example","insecure":true}}`},
		{"number", `{"registry":{"domain":"r.example","password":123}}`},
		{"empty password", `{"registry":{"domain":"r.example","password":""}}`},
		{"domain with a path", `{"registry":{"domain":"r.example/evil"}}`},
		{"no wrapper", `{"domain":"r.example"}`},
		{"malformed", `{"registry":`},
	} {
		if got, body := q("a", "POST", "/v1/registries", tc.body); got != 400 {
			t.Errorf("%s: %d %v", tc.name, got, body)
		}
	}
	if _, v := q("a", "GET", "/v1/registries", ""); len(v["registries"].([]any)) != 1 {
		t.Fatalf("refused creates were recorded: %v", v)
	}
	// The password never comes back, in any answer.
	for _, path := range []string{"/v1/registries", "/v1/registries/" + id, "/v1/registries/priv"} {
		if status, raw := call(t, "GET", ts.URL+path, "a", ""); status != 200 || strings.Contains(raw, "pw-1") {
			t.Fatalf("GET %s: %d %s", path, status, raw)
		}
	}
	// Tenancy.
	if status, _ := q("b", "GET", "/v1/registries/"+id, ""); status != 404 {
		t.Fatalf("another project shows it: %d", status)
	}
	if _, v := q("b", "GET", "/v1/registries", ""); len(v["registries"].([]any)) != 0 {
		t.Fatalf("another project lists it: %v", v)
	}
	if status, _ := q("b", "GET", "/v1/registries?all_projects=1", ""); status != 403 {
		t.Fatalf("a member listed all projects: %d", status)
	}
	if _, v := q("root", "GET", "/v1/registries?all_projects=1", ""); len(v["registries"].([]any)) != 1 {
		t.Fatalf("admin, all projects: %v", v)
	}
	// Update, pagination, filters.
	if status, v := q("a", "PATCH", "/v1/registries/priv", `{"registry":{"name":"renamed","password":"pw-2"}}`); status != 200 ||
		v["registry"].(map[string]any)["name"] != "renamed" {
		t.Fatalf("update: %d %v", status, v)
	}
	q("a", "POST", "/v1/registries", `{"registry":{"name":"second","domain":"other.example"}}`)
	if _, v := q("a", "GET", "/v1/registries?limit=1", ""); len(v["registries"].([]any)) != 1 || v["next"] == nil {
		t.Fatalf("page of 1: %v", v)
	}
	if _, v := q("a", "GET", "/v1/registries?domain=other.example", ""); len(v["registries"].([]any)) != 1 {
		t.Fatalf("filter by domain: %v", v)
	}
	// A container names the registry; its image is put in it.
	status, v = q("a", "POST", "/v1/containers", `{"image":"team/app:1","registry":"renamed"}`)
	if status != 202 || v["image"] != "reg.example:5000/team/app:1" || v["registry_id"] != id {
		t.Fatalf("create with a registry: %d %v", status, v)
	}
	if status, _ := q("b", "POST", "/v1/containers", `{"image":"team/app:1","registry":"`+id+`"}`); status != 404 {
		t.Fatalf("another project's registry: %d", status)
	}
	if status, _ := q("a", "DELETE", "/v1/registries/"+id, ""); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := q("a", "GET", "/v1/registries/"+id, ""); status != 404 {
		t.Fatalf("deleted: %d", status)
	}
}
