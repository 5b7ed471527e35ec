package glance_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

// TestErrorAnswers: Glance's error document carries the status errdefs
// gives the error's kind, as its status and its code, and the message as
// written. A JSON body over our limit is a 413, on a create as on a patch
// (Glance sets none of its own; 413 is what OpenStack's size-limit
// middleware answers).
func TestErrorAnswers(t *testing.T) {
	e := newEnv(t, 10)
	id := e.mustCreate("alice", `{"name":"big","container_format":"docker","disk_format":"raw"}`)["id"].(string)
	big := strings.Repeat("x", 256<<10) // with the JSON around it, one body over the 256 KiB limit
	tests := []struct {
		name, method, path, contentType, body string
		status                                int
		msg                                   string
	}{
		{"wrong method", "POST", "/v2/images/" + id, "application/json", "", 405, "The method POST is not allowed for this resource."},
		{"unknown path", "GET", "/v2/nowhere", "", "", 404, "The resource could not be found."},
		{"over the size cap", "PUT", "/v2/images/" + id + "/file", "application/octet-stream", strings.Repeat("x", 11), 413,
			"Image exceeds the size cap of 10 bytes."},
		{"upload as text", "PUT", "/v2/images/" + id + "/file", "text/plain", "x", 415,
			`Unsupported Content-Type "text/plain": send application/octet-stream.`},
		{"reserved attribute", "POST", "/v2/images", "application/json", `{"name":"x","deleted":true}`, 403, "Attribute 'deleted' is reserved."},
		{"create body over its limit", "POST", "/v2/images", "application/json", `{"name":"` + big + `"}`, 413,
			"The request body is larger than 262144 bytes."},
		{"patch body over its limit", "PATCH", "/v2/images/" + id, "application/openstack-images-v2.1-json-patch",
			`[{"op":"replace","path":"/name","value":"` + big + `"}]`, 413, "The request body is larger than 262144 bytes."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, raw := e.do("alice", tc.method, tc.path, tc.contentType, strings.NewReader(tc.body))
			var doc struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil || code != tc.status || doc.Code != tc.status || doc.Message != tc.msg {
				t.Fatalf("%d %s, want %d %q", code, raw, tc.status, tc.msg)
			}
			for _, k := range errdefs.Kinds() {
				if strings.HasSuffix(doc.Message, ": "+k.Err.Error()) {
					t.Errorf("message %q carries the kind %q", doc.Message, k.Err)
				}
			}
		})
	}
}
