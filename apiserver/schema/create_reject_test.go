package schema

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
)

func TestContainerCreateRejectsBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty", ``, "Malformed request body"},
		{"not JSON", `image=busybox`, "Malformed request body"},
		{"truncated", `{"image":"busybox"`, "Malformed request body"},
		{"trailing data", `{"image":"busybox"} {}`, "Malformed request body"},
		{"null", `null`, "a JSON object is expected, got null"},
		{"array", `[{"image":"busybox"}]`, "a JSON object is expected, got an array"},
		{"string", `"busybox"`, "got a string"},
		{"no image", `{}`, "'image' is a required property"},
		{"unknown field", `{"image":"busybox","colour":"red"}`, "'colour' was unexpected"},
		{"near miss", `{"image":"busybox","security_group":["a"]}`, "'security_group' was unexpected"},
		{"pids limit not a number", `{"image":"busybox","labels":{"io.zun.pids-limit":"lots"}}`, "io.zun.pids-limit must be a number"},
		{"pids limit zero", `{"image":"busybox","labels":{"io.zun.pids-limit":0}}`, "io.zun.pids-limit must be a number"},
		{"pids limit negative", `{"image":"busybox","labels":{"io.zun.pids-limit":"-5"}}`, "io.zun.pids-limit must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mustRefuse(t, tt.body, 40, tt.want)
		})
	}
}

// TestContainerCreateRejectsFields checks that each bad value is refused
// with a message that names its field.
func TestContainerCreateRejectsFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		minor int
		field string // the fragment of the body after "image"
		want  string // the field the message must name
	}{
		{"image null", 40, ``, "'image'"},
		{"image number", 40, ``, "'image'"},
		{"name too short", 40, `"name":"a"`, "'name'"},
		{"name bad start", 40, `"name":"-web"`, "'name'"},
		{"name space", 40, `"name":"my web"`, "'name'"},
		{"name number", 40, `"name":12`, "'name'"},
		{"name too long", 40, `"name":"` + strings.Repeat("a", 256) + `"`, "'name'"},
		{"cpu too small", 40, `"cpu":0.01`, "'cpu'"},
		{"cpu too big", 40, `"cpu":"16.5"`, "'cpu'"},
		{"cpu negative", 40, `"cpu":-1`, "'cpu'"},
		{"cpu huge", 40, `"cpu":1e400`, "'cpu'"},
		{"cpu empty string", 40, `"cpu":""`, "'cpu'"},
		{"cpu word", 40, `"cpu":"one"`, "'cpu'"},
		{"cpu exponent string", 40, `"cpu":"1e0"`, "'cpu'"},
		{"cpu boolean", 40, `"cpu":true`, "'cpu'"},
		{"memory 12X", 40, `"memory":"12X"`, "'memory'"},
		{"memory unit", 40, `"memory":"512M"`, "'memory'"},
		{"memory float", 40, `"memory":512.0`, "'memory'"},
		{"memory exponent", 40, `"memory":5e2`, "'memory'"},
		{"memory too small", 40, `"memory":3`, "'memory'"},
		{"memory too big", 40, `"memory":"8193"`, "'memory'"},
		{"memory negative", 40, `"memory":-512`, "'memory'"},
		{"memory absurd", 40, `"memory":99999999999999999999999999`, "'memory'"},
		{"memory boolean", 40, `"memory":true`, "'memory'"},
		{"disk zero", 40, `"disk":0`, "'disk'"},
		{"disk too big", 40, `"disk":"161"`, "'disk'"},
		{"disk word", 40, `"disk":"ten"`, "'disk'"},
		{"cpu_policy bad", 40, `"cpu_policy":"pinned"`, "'cpu_policy'"},
		{"cpu_policy null", 40, `"cpu_policy":null`, "'cpu_policy'"},
		{"workdir number", 40, `"workdir":1`, "'workdir'"},
		{"environment array", 40, `"environment":["A=1"]`, "'environment'"},
		{"environment number value", 40, `"environment":{"A":1}`, "'environment.A'"},
		{"labels nested", 40, `"labels":{"a":{"b":"c"}}`, "'labels.a'"},
		{"labels null value", 40, `"labels":{"a":null}`, "'labels.a'"},
		{"hints string", 40, `"hints":"x"`, "'hints'"},
		{"restart not object", 40, `"restart_policy":"always"`, "'restart_policy'"},
		{"restart no Name", 40, `"restart_policy":{"MaximumRetryCount":1}`, "'restart_policy'"},
		{"restart bad Name", 40, `"restart_policy":{"Name":"sometimes"}`, "'restart_policy.Name'"},
		{"restart extra key", 40, `"restart_policy":{"Name":"no","Delay":1}`, "'restart_policy'"},
		{"restart always with count", 40, `"restart_policy":{"Name":"always","MaximumRetryCount":2}`, "'restart_policy.MaximumRetryCount'"},
		{"restart unless-stopped with count", 40, `"restart_policy":{"Name":"unless-stopped","MaximumRetryCount":"1"}`, "'restart_policy.MaximumRetryCount'"},
		{"restart negative count", 40, `"restart_policy":{"Name":"on-failure","MaximumRetryCount":-1}`, "'restart_policy.MaximumRetryCount'"},
		{"restart word count", 40, `"restart_policy":{"Name":"on-failure","MaximumRetryCount":"two"}`, "'restart_policy.MaximumRetryCount'"},
		{"interactive yes", 40, `"interactive":"yes"`, "'interactive'"},
		{"interactive null", 40, `"interactive":null`, "'interactive'"},
		{"interactive 1", 40, `"interactive":1`, "'interactive'"},
		{"tty TRUE", 40, `"tty":"TRUE"`, "'tty'"},
		{"auto_heal word", 40, `"auto_heal":"on"`, "'auto_heal'"},
		{"privileged string 1", 40, `"privileged":"1"`, "'privileged'"},
		{"auto_remove string", 40, `"auto_remove":"true"`, "'auto_remove'"},
		{"runtime number", 40, `"runtime":1`, "'runtime'"},
		{"hostname null", 40, `"hostname":null`, "'hostname'"},
		{"hostname empty", 40, `"hostname":""`, "'hostname'"},
		{"hostname space", 40, `"hostname":"my host"`, "'hostname'"},
		{"hostname too long", 40, `"hostname":"` + strings.Repeat("h", 256) + `"`, "'hostname'"},
		{"image_driver unknown", 40, `"image_driver":"rkt"`, "'image_driver'"},
		{"image_driver number", 40, `"image_driver":1`, "'image_driver'"},
		{"image_pull_policy unknown", 40, `"image_pull_policy":"sometimes"`, "'image_pull_policy'"},
		{"image_pull_policy ALWAYS", 40, `"image_pull_policy":"ALWAYS"`, "'image_pull_policy'"},
		{"security_groups string", 40, `"security_groups":"default"`, "'security_groups'"},
		{"security_groups empty name", 40, `"security_groups":["default",""]`, "'security_groups[1]'"},
		{"security_groups number", 40, `"security_groups":[1]`, "'security_groups[0]'"},
		{"exposed_ports array", 40, `"exposed_ports":["80"]`, "'exposed_ports'"},
		{"exposed_ports protocol", 40, `"exposed_ports":{"80/sctp":{}}`, "'exposed_ports'"},
		{"exposed_ports upper protocol", 40, `"exposed_ports":{"80/TCP":{}}`, "'exposed_ports'"},
		{"exposed_ports word", 40, `"exposed_ports":{"http":{}}`, "'exposed_ports'"},
		{"exposed_ports zero", 40, `"exposed_ports":{"0":{}}`, "'exposed_ports'"},
		{"exposed_ports too big", 40, `"exposed_ports":{"65536/udp":{}}`, "'exposed_ports'"},
		{"exposed_ports sign", 40, `"exposed_ports":{"+80":{}}`, "'exposed_ports'"},
		{"exposed_ports with security_groups", 40, `"exposed_ports":{"80":{}},"security_groups":["a"]`, "security_groups and exposed_ports"},
		{"exposed_ports null with security_groups", 40, `"exposed_ports":null,"security_groups":["a"]`, "security_groups and exposed_ports"},
		{"nets object", 40, `"nets":{"network":"a"}`, "'nets'"},
		{"nets neither", 40, `"nets":[{"v4-fixed-ip":"10.0.0.1"}]`, "'nets[0]'"},
		{"nets both", 40, `"nets":[{"network":"a","port":"b"}]`, "'nets[0]'"},
		{"nets unknown key", 40, `"nets":[{"network":"a","fixed_ip":"10.0.0.1"}]`, "'nets[0]'"},
		{"nets empty network", 40, `"nets":[{"network":""}]`, "'nets[0].network'"},
		{"nets bad v4", 40, `"nets":[{"network":"a"},{"network":"b","v4-fixed-ip":"10.0.0.256"}]`, "'nets[1].v4-fixed-ip'"},
		{"nets v6 in v4", 40, `"nets":[{"network":"a","v4-fixed-ip":"::1"}]`, "'nets[0].v4-fixed-ip'"},
		{"nets v4 in v6", 40, `"nets":[{"network":"a","v6-fixed-ip":"10.0.0.1"}]`, "'nets[0].v6-fixed-ip'"},
		{"nets leading zero", 40, `"nets":[{"network":"a","v4-fixed-ip":"010.0.0.1"}]`, "'nets[0].v4-fixed-ip'"},
		{"nets item string", 40, `"nets":["private"]`, "'nets[0]'"},
		{"mounts object", 40, `"mounts":{"source":"v","destination":"/d"}`, "'mounts'"},
		{"mounts no destination", 40, `"mounts":[{"source":"v"}]`, "'mounts[0]'"},
		{"mounts destination only", 40, `"mounts":[{"destination":"/d"}]`, "'mounts[0]'"},
		{"mounts empty destination", 40, `"mounts":[{"source":"v","destination":""}]`, "'mounts[0].destination'"},
		{"mounts unknown key", 40, `"mounts":[{"source":"v","destination":"/d","readonly":true}]`, "'mounts[0]'"},
		{"mounts bad type", 40, `"mounts":[{"type":"tmpfs","source":"v","destination":"/d"}]`, "'mounts[0].type'"},
		{"mounts bad size", 40, `"mounts":[{"size":"1G","destination":"/d"}]`, "'mounts[0].size'"},
		{"mounts zero size", 40, `"mounts":[{"size":0,"destination":"/d"}]`, "'mounts[0].size'"},
		{"mounts volume empty source", 40, `"mounts":[{"source":"","destination":"/d"}]`, "'mounts[0]'"},
		{"mounts bind not base64", 40, `"mounts":[{"type":"bind","source":"not base64!","destination":"/d"}]`, "'mounts[0].source'"},
		{"mounts bind without source", 40, `"mounts":[{"type":"bind","size":1,"destination":"/d"}]`, "'mounts[0]'"},
		{"mounts destination number", 40, `"mounts":[{"source":"v","destination":1}]`, "'mounts[0].destination'"},
		{"healthcheck string", 40, `"healthcheck":"true"`, "'healthcheck'"},
		{"healthcheck unknown key", 40, `"healthcheck":{"test":"true"}`, "'healthcheck'"},
		{"healthcheck string interval", 40, `"healthcheck":{"cmd":"true","interval":"10s"}`, "'healthcheck.interval'"},
		{"healthcheck negative retries", 40, `"healthcheck":{"cmd":"true","retries":-1}`, "'healthcheck.retries'"},
		{"healthcheck empty cmd", 40, `"healthcheck":{"cmd":""}`, "'healthcheck.cmd'"},
		{"availability_zone empty", 40, `"availability_zone":""`, "'availability_zone'"},
		{"registry short", 40, `"registry":"r"`, "'registry'"},
		{"registry null", 40, `"registry":null`, "'registry'"},
		{"host null", 40, `"host":null`, "'host'"},
		{"host bad", 40, `"host":"a/b"`, "'host'"},
		{"entrypoint string", 40, `"entrypoint":"/bin/sh -c"`, "'entrypoint'"},
		{"entrypoint number item", 40, `"entrypoint":["/bin/sh",1]`, "'entrypoint[1]'"},
		{"command array before 1.20", 19, `"command":["sh"]`, "'command'"},
		{"command string from 1.20", 20, `"command":"sh -c true"`, "'command'"},
		{"command unbalanced quote", 1, `"command":"sh -c 'echo"`, "'command'"},
		{"command trailing backslash", 1, `"command":"echo \\"`, "'command'"},
		{"command number item", 40, `"command":["sh",2]`, "'command[1]'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"image":"busybox",` + tt.field + `}`
			switch tt.name {
			case "image null":
				body = `{"image":null}`
			case "image number":
				body = `{"image":42}`
			}
			mustRefuse(t, body, tt.minor, "Invalid input", tt.want)
		})
	}
}

func TestContainerCreateRejectsImages(t *testing.T) {
	t.Parallel()
	for _, image := range []string{"", "a", "UPPER", "a:b:c", ":tag", "a//b", "a:b", "-busybox", "busybox:", "busybox@sha256:abc", strings.Repeat("a", 256)} {
		t.Run(image, func(t *testing.T) {
			t.Parallel()
			mustRefuse(t, fmt.Sprintf(`{"image":%q}`, image), 40, "'image'")
		})
	}
}

// TestContainerCreateVersionGates sends each field introduced after 1.1
// at the microversion before, which is refused naming the field and its
// version, and at its microversion, which is accepted.
func TestContainerCreateVersionGates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field string
		value string
		since int
	}{
		{"auto_remove", `false`, 3},
		{"runtime", `"runc"`, 5},
		{"hostname", `"web"`, 9},
		{"mounts", `[{"source":"v","destination":"/d"}]`, 11},
		{"privileged", `false`, 21},
		{"healthcheck", `{"cmd":"true"}`, 22},
		{"exposed_ports", `{"80":{}}`, 24},
		{"exposed_ports", `{}`, 24},
		{"cpu_policy", `"shared"`, 28},
		{"registry", `"myreg"`, 31},
		{"host", `"compute1"`, 39},
		{"entrypoint", `["/bin/sh"]`, 40},
		{"entrypoint", `null`, 40},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf(`{"image":"busybox","%s":%s}`, tt.field, tt.value)
			mustRefuse(t, body, tt.since-1,
				fmt.Sprintf("Invalid param %s because current request version is 1.%d", tt.field, tt.since-1),
				fmt.Sprintf("%s is only supported from version 1.%d", tt.field, tt.since))
			mustCreate(t, body, tt.since)
			mustCreate(t, body, 40)
		})
	}
}

// TestContainerCreateVersionGatesLikeZun checks the values Zun lets
// through at older microversions: python-zunclient sends empty mounts and
// nets whatever the version.
func TestContainerCreateVersionGatesLikeZun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		minor int
		body  string
	}{
		{"empty mounts", 1, `{"image":"busybox","mounts":[]}`},
		{"null mounts", 1, `{"image":"busybox","mounts":null}`},
		{"empty healthcheck", 21, `{"image":"busybox","healthcheck":{}}`},
		{"null auto_remove", 2, `{"image":"busybox","auto_remove":null}`},
		{"null runtime", 4, `{"image":"busybox","runtime":null}`},
		{"null exposed_ports", 23, `{"image":"busybox","exposed_ports":null}`},
		{"nets at 1.1", 1, `{"image":"busybox","nets":[{"network":"private"}]}`},
		{"tty at 1.1", 1, `{"image":"busybox","tty":true}`},
		{"mount type at 1.11", 11, `{"image":"busybox","mounts":[{"type":"volume","source":"v","destination":"/d"}]}`},
		{"both sg and ports before 1.20 with null ports", 19, `{"image":"busybox","security_groups":["a"],"exposed_ports":null}`},
		{"python-zunclient empties", 1, `{"image":"busybox","environment":{},"labels":{},"hints":{},"nets":[],"mounts":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mustCreate(t, tt.body, tt.minor)
		})
	}
}

func TestContainerCreateLimits(t *testing.T) {
	t.Parallel()
	l := DefaultLimits()
	l.MaxCPU, l.MaxMemory, l.DefaultCPU, l.DefaultMemory = 2, 1024, 0.5, 256
	req, err := ContainerCreate([]byte(`{"image":"busybox"}`), api.V(40), l)
	if err != nil {
		t.Fatal(err)
	}
	if req.Container.CPU != 0.5 || req.Container.Memory != 256 {
		t.Fatalf("defaults cpu %g memory %d, want 0.5 256", req.Container.CPU, req.Container.Memory)
	}
	_, err = ContainerCreate([]byte(`{"image":"busybox","memory":2048}`), api.V(40), l)
	if err == nil || !strings.Contains(err.Error(), "between 4 and 1024 MiB") {
		t.Fatalf("memory over the operator's max: error %v, want one giving the range", err)
	}
}
