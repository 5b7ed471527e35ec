package main

import "testing"

const project = "7f3e1c2a9b8d4e5f8a6b0c1d2e3f4a5b"

func TestQuotaCommands(t *testing.T) {
	quotaPath := "/v1/quotas/" + project
	forbidden := reply{status: 403, body: `{"errors":[{"request_id":"req-1","code":"container.forbidden","status":403,"title":"Policy doesn't allow quota:update to be performed.","detail":"Policy doesn't allow quota:update to be performed.","links":[]}]}`}
	runGolden(t, []cliCase{
		{name: "quota_show", args: []string{"quota", "show", project}, routes: routes("GET "+quotaPath, reply{body: "@quota"})},
		{name: "quota_show_usages", args: []string{"quota", "show", "--usages", project}, routes: routes("GET "+quotaPath, reply{body: "@quota_usages"})},
		{name: "quota_show_json", args: []string{"--json", "quota", "show", project}, routes: routes("GET "+quotaPath, reply{body: "@quota"})},
		{name: "quota_update", args: []string{"quota", "update", "--containers", "10", "--memory", "-1", project}, routes: routes("PUT "+quotaPath, reply{body: "@quota"})},
		{name: "quota_update_forbidden", args: []string{"quota", "update", "--cpu", "1", project}, routes: routes("PUT "+quotaPath, forbidden)},
		{name: "usage_quota_update_nothing", args: []string{"quota", "update", project}},
		{name: "usage_quota_update_negative", args: []string{"quota", "update", "--disk", "-2", project}},
		{name: "quota_delete", args: []string{"quota", "delete", project}, routes: routes("DELETE "+quotaPath, reply{body: "null"})},
		{name: "quota_defaults", args: []string{"quota", "defaults", project}, routes: routes("GET "+quotaPath+"/defaults", reply{body: "@quota"})},
		{name: "quota_class_show", args: []string{"quota-class", "show", "default"}, routes: routes("GET /v1/quota_classes/default", reply{body: "@quota"})},
		{name: "quota_class_update", args: []string{"quota-class", "update", "--cpu", "40", "--disk", "0", "default"}, routes: routes("PUT /v1/quota_classes/default", reply{body: "@quota"})},
	})
}
