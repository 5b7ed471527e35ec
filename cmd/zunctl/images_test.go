package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"strings"
	"testing"
)

const (
	pullUUID  = "3b6f1c9e-2a4d-4e8b-9c1f-5d7a8e0b2c41"
	pullPath  = "/v1/images/" + pullUUID
	storeID   = "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"
	storePath = "/image/v2/images/" + storeID
	mib       = 1 << 20
)

// pullingAt is the record of the busybox pull once the host has done
// bytes of total.
func pullingAt(done, total int64) reply {
	return reply{body: fmt.Sprintf(`{"uuid":%q,"repo":"busybox","tag":"1.36","image_id":null,"size":null,"host":"node-1",`+
		`"project_id":"9f8e7d6c5b4a49382716f5e4d3c2b1a0","image_pull_policy":"always","status":"Pulling","status_reason":null,`+
		`"progress":{"done":%d,"total":%d},"links":[]}`, pullUUID, done, total)}
}

func TestImageCommands(t *testing.T) {
	forbidden := reply{status: 403, body: `{"errors":[{"request_id":"req-1","code":"container.forbidden","status":403,"title":"Policy doesn't allow image:get_all to be performed.","detail":"Policy doesn't allow image:get_all to be performed.","links":[]}]}`}
	inUse := reply{status: 409, body: `{"errors":[{"request_id":"req-2","code":"container.conflict","status":409,"title":"Image busybox:1.36 is in use by container web.","detail":"Image busybox:1.36 is in use by container web.","links":[]}]}`}
	runGolden(t, []cliCase{
		{
			name: "image_pull",
			args: []string{"image", "pull", "--host", "node-1", "busybox:1.36"},
			routes: routes(
				"POST /v1/images", reply{status: 202, body: "@image_pulling"},
				"GET "+pullPath, []reply{{body: "@image_pulling"}, pullingAt(mib, 0), pullingAt(10*mib, 40*mib), pullingAt(30*mib, 40*mib), {body: "@image_pulled"}},
			),
		},
		{
			name: "image_pull_error",
			args: []string{"image", "pull", "--host", "node-1", "--policy", "IfNotPresent", "busybox:1.36"},
			routes: routes(
				"POST /v1/images", reply{status: 202, body: "@image_pulling"},
				"GET "+pullPath, []reply{pullingAt(12*mib, 40*mib), {body: "@image_error"}},
			),
		},
		{
			name:   "image_pull_no_wait",
			args:   []string{"--json", "image", "pull", "--no-wait", "--host", "node-1", "busybox:1.36"},
			routes: routes("POST /v1/images", reply{status: 202, body: "@image_pulling"}),
		},
		{name: "usage_image_pull_no_host", args: []string{"image", "pull", "busybox"}},
		{name: "usage_image_pull_policy", args: []string{"image", "pull", "--host", "node-1", "--policy", "sometimes", "busybox"}},
		{name: "image_list", args: []string{"image", "list"}, routes: routes("GET /v1/images", reply{body: "@images"})},
		{name: "image_list_forbidden", args: []string{"image", "ls"}, routes: routes("GET /v1/images", forbidden)},
		{name: "image_show", args: []string{"image", "show", pullUUID}, routes: routes("GET "+pullPath, pullingAt(10*mib, 40*mib))},
		{
			name:   "image_delete_several",
			args:   []string{"image", "delete", pullUUID, "c0ffee00-1234-4567-89ab-cdef01234567"},
			routes: routes("DELETE "+pullPath, inUse, "DELETE /v1/images/c0ffee00-1234-4567-89ab-cdef01234567", reply{status: 204}),
		},
	})
}

func TestImageStoreCommands(t *testing.T) {
	tarball := strings.Repeat("zun!", mib/4)
	download := func(sum string) reply {
		return reply{body: tarball, ctype: "application/octet-stream", header: map[string]string{"Content-MD5": sum, "Content-Length": "1048576"}}
	}
	tooLarge := reply{status: 413, body: `{"code":413,"title":"Request Entity Too Large","message":"The image would exceed the storage quota of the project."}`}
	runGolden(t, []cliCase{
		{
			name:  "image_upload",
			args:  []string{"image", "upload", "--name", "demo", "--tag", "v1", "{tmp}/demo.tar"},
			files: map[string]string{"demo.tar": tarball},
			routes: routes(
				"POST /image/v2/images", reply{status: 201, body: "@glance_image_queued"},
				"PUT "+storePath+"/file", reply{status: 204},
				"GET "+storePath, reply{body: "@glance_image_active"},
			),
		},
		{
			name:  "image_upload_failure",
			args:  []string{"image", "upload", "--name", "demo", "--visibility", "shared", "{tmp}/demo.tar"},
			files: map[string]string{"demo.tar": tarball},
			routes: routes(
				"POST /image/v2/images", reply{status: 201, body: "@glance_image_queued"},
				"PUT "+storePath+"/file", tooLarge,
				"DELETE "+storePath, reply{status: 204},
			),
		},
		{name: "usage_image_upload_no_name", args: []string{"image", "upload", "demo.tar"}},
		{name: "usage_image_upload_no_file", args: []string{"image", "upload", "--name", "demo", "{tmp}/nope.tar"}},
		{name: "usage_image_upload_visibility", args: []string{"image", "upload", "--name", "demo", "--visibility", "everyone", "demo.tar"}},
		{
			name: "image_download",
			args: []string{"image", "download", "demo", "-o", "{tmp}/demo.tar"},
			routes: routes(
				"GET /image/v2/images", reply{body: "@glance_images_demo"},
				"GET "+storePath+"/file", download(fmt.Sprintf("%x", md5.Sum([]byte(tarball)))),
			),
		},
		{
			name:   "image_download_mismatch",
			args:   []string{"image", "download", storeID, "--file", "{tmp}/demo.tar"},
			routes: routes("GET "+storePath+"/file", download("0123456789abcdef0123456789abcdef")),
		},
		{
			name:   "image_download_unknown_name",
			args:   []string{"image", "download", "nope", "-o", "{tmp}/demo.tar"},
			routes: routes("GET /image/v2/images", reply{body: `{"images":[],"first":"/v2/images?name=nope","schema":"/v2/schemas/images"}`}),
		},
		{name: "usage_image_download_no_file", args: []string{"image", "download", "demo"}},
		{
			name:   "image_store_list",
			args:   []string{"image", "store-list"},
			routes: routes("GET /image/v2/images", []reply{{body: "@glance_images_page1"}, {body: "@glance_images_page2"}}),
		},
		{
			name:   "image_store_list_endpoint_flag",
			args:   []string{"image", "store-list", "--name", "demo", "--image-endpoint", "{srv}/glance/v2"},
			routes: routes("GET /glance/v2/images", reply{body: "@glance_images_demo"}),
		},
		{
			name:   "image_store_list_endpoint_env",
			args:   []string{"--json", "image", "store-list"},
			env:    map[string]string{envImageEndpoint: "{srv}/glance"},
			routes: routes("GET /glance/v2/images", reply{body: "@glance_images_demo"}),
		},
		{name: "image_store_show", args: []string{"image", "store-show", storeID}, routes: routes("GET "+storePath, reply{body: "@glance_image_active"})},
		{
			name: "image_store_delete",
			args: []string{"image", "store-delete", "demo", "nope"},
			routes: routes(
				"GET /image/v2/images", []reply{{body: "@glance_images_demo"}, {body: `{"images":[],"first":"/v2/images?name=nope","schema":"/v2/schemas/images"}`}},
				"DELETE "+storePath, reply{status: 204},
			),
		},
	})
}

func TestImageHelp(t *testing.T) {
	runGolden(t, []cliCase{
		{name: "help_image", args: []string{"image"}},
		{name: "help_image_upload", args: []string{"image", "upload", "--help"}},
	})
}

// TestImageStoreUnreachable checks that a network error of the image store
// points at the image store's endpoint, not the container service's.
func TestImageStoreUnreachable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{envEndpoint: "http://127.0.0.1:1/v1"}
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	code := a.run(context.Background(), []string{"image", "store-list", "--image-endpoint", "http://127.0.0.1:1/glance"})
	want := "Is the image store running at http://127.0.0.1:1/glance? Set --image-endpoint or ZUN_IMAGE_ENDPOINT."
	if code != 1 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr.String(), want)
	}
}
