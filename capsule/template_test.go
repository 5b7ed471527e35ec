package capsule

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/errdefs"
)

// readTemplate reads a template file of testdata as a client sends it:
// YAML or JSON, parsed into an object (python-zunclient's template_utils
// does the same). A file holding a request body gives its "template".
func readTemplate(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if tpl, ok := m["template"].(map[string]any); ok {
		return tpl
	}
	return m
}

func mustParse(t *testing.T, tpl any) *Spec {
	t.Helper()
	s, err := Parse(tpl)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestParseExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want *Spec
	}{
		{"web.yaml", &Spec{
			Kind: "capsule", CapsuleVersion: "beta", Name: "shop",
			Labels:           map[string]string{"tier": "front", "replicas": "2"},
			AvailabilityZone: "nova", RestartPolicy: "always",
			Containers: []ContainerSpec{
				{
					Name: "web", Image: "nginx:1.27", Command: []string{"nginx"}, Args: []string{"-g", "daemon off;"},
					ImagePullPolicy: "IfNotPresent", WorkDir: "/srv", Env: map[string]string{"MODE": "prod"},
					CPU: 1, Memory: 1024,
					Ports:        []PortSpec{{Name: "http", ContainerPort: 80, HostPort: 80, Protocol: "TCP"}},
					VolumeMounts: []VolumeMount{{Name: "static", MountPath: "/srv/static", ReadOnly: true}},
				},
				{
					Name: "db", Image: "mariadb", CPU: 0.5, Memory: 512,
					Ports: []PortSpec{{ContainerPort: 3306}, {ContainerPort: 53, Protocol: "UDP"}},
					VolumeMounts: []VolumeMount{
						{Name: "data", MountPath: "/var/lib/mysql"},
						{Name: "conf", MountPath: "/etc/mysql/conf.d"},
					},
				},
			},
			Volumes: []VolumeSpec{
				{Name: "static", Size: 5, AutoRemove: true},
				{Name: "data", VolumeID: "473e4a6a-99f2-4b42-88ce-5ab03a00b756"},
				{Name: "conf", VolumeID: "f4246aa1-1c87-479c-a2ab-4dbaf0c3c7bb"},
			},
		}},
		{"init.yaml", &Spec{
			Kind: "Capsule", CapsuleVersion: "Beta", Name: "seeded", RestartPolicy: "always",
			Containers: []ContainerSpec{{
				Name: "container-0", Image: "nginx",
				VolumeMounts: []VolumeMount{{Name: "site", MountPath: "/usr/share/nginx/html"}},
			}},
			InitContainers: []ContainerSpec{{
				Name: "init-container-0", Image: "busybox",
				Command:      []string{"wget", "-O", "/seed/index.html", "http://example.com/"},
				VolumeMounts: []VolumeMount{{Name: "site", MountPath: "/seed"}},
			}},
			Volumes: []VolumeSpec{{Name: "site", Size: 1}},
		}},
		{"create-req.json", &Spec{
			Kind: "capsule", Name: "demo", RestartPolicy: "always",
			Labels:      map[string]string{"app": "web"},
			Annotations: map[string]string{"key1": "value1"},
			InitContainers: []ContainerSpec{{
				Name: "init-container-0", Image: "busybox", WorkDir: "/",
				Command: []string{"wget", "-O", "/work-dir/index.html", "https://www.openstack.org/"},
				Env:     map[string]string{"ENV1": "env1-value1"},
				CPU:     0.1, Memory: 128,
				VolumeMounts: []VolumeMount{{Name: "workdir", MountPath: "/work-dir"}},
			}},
			Containers: []ContainerSpec{{
				Name: "container-0", Image: "nginx", WorkDir: "/",
				Env: map[string]string{"ENV2": "env2-value"},
				CPU: 0.5, Memory: 512,
				Ports:        []PortSpec{{ContainerPort: 80, Protocol: "TCP"}},
				VolumeMounts: []VolumeMount{{Name: "workdir", MountPath: "/usr/share/nginx/html"}},
			}},
			Volumes: []VolumeSpec{{Name: "workdir", Size: 1}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got := mustParse(t, readTemplate(t, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(tt.want, "", " ")
				t.Fatalf("Parse(%s):\n got %s\nwant %s", tt.file, g, w)
			}
		})
	}
}

// TestParseForms checks that the template is read alike as an object from
// any decoder and as a JSON string of one, as Zun takes both.
func TestParseForms(t *testing.T) {
	t.Parallel()
	obj := readTemplate(t, "create-req.json")
	want := mustParse(t, obj)
	text, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var plain any // numbers as float64, as encoding/json decodes by default
	if err := json.Unmarshal(text, &plain); err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(string(text))
	tests := []struct {
		name string
		tpl  any
	}{
		{"JSON string", string(text)},
		{"decoded object", plain},
		{"raw object", json.RawMessage(text)},
		{"raw string", json.RawMessage(quoted)},
		{"bytes", text},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mustParse(t, tt.tpl); !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse(%s) = %+v, want %+v", tt.name, got, want)
			}
		})
	}
}

func TestParseRestartPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		topLevel string // the deprecated top-level key; "" leaves it out
		spec     string // spec.restartPolicy; "" leaves it out
		want     string
	}{
		{"default", "", "", "always"},
		{"Always", "", "Always", "always"},
		{"OnFailure", "", "OnFailure", "on-failure"},
		{"Never", "", "Never", "no"},
		{"top level kept for old templates", "Never", "", "no"},
		{"spec wins over top level", "Never", "OnFailure", "on-failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := map[string]any{"containers": []any{map[string]any{"image": "busybox"}}}
			tpl := map[string]any{"kind": "capsule", "metadata": map[string]any{}, "spec": spec}
			if tt.topLevel != "" {
				tpl["restartPolicy"] = tt.topLevel
			}
			if tt.spec != "" {
				spec["restartPolicy"] = tt.spec
			}
			if got := mustParse(t, tpl).RestartPolicy; got != tt.want {
				t.Fatalf("restart policy %q (top level %q) = %q, want %q", tt.spec, tt.topLevel, got, tt.want)
			}
		})
	}
}

// TestParseAcceptsWhatZunAccepts checks the corners of Zun's schema that
// let keys and values through.
func TestParseAcceptsWhatZunAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tpl  string
	}{
		{"unknown metadata key", `{"kind":"capsule","metadata":{"namespace":"x"},"spec":{"containers":[{"image":"busybox"}]}}`},
		{"unknown spec key", `{"kind":"capsule","metadata":{},"spec":{"nodeSelector":{},"containers":[{"image":"busybox"}]}}`},
		{"unknown volume key", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v"}]}],"volumes":[{"name":"v1","cinder":{"size":1},"note":"x"}]}}`},
		{"null metadata values", `{"kind":"capsule","metadata":{"name":null,"labels":null,"annotations":null},"spec":{"containers":[{"image":"busybox"}]}}`},
		{"null volumes and init containers", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}],"volumes":null,"initContainers":null}}`},
		{"null requests and optional strings", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","name":null,"workDir":null,"env":null,"imagePullPolicy":null,"resources":{"requests":{"cpu":null,"memory":null}}}]}}`},
		{"empty resources", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","resources":{}}]}}`},
		{"boolean strings", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","stdin":"True","tty":"false"}]}}`},
		{"host port zero", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","ports":[{"containerPort":8080,"hostPort":0}]}]}}`},
		{"null availability zone", `{"kind":"capsule","metadata":{},"availabilityZone":null,"spec":{"containers":[{"image":"busybox"}]}}`},
		{"existing volume with autoRemove", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v"}]}],"volumes":[{"name":"v1","cinder":{"volumeID":"473e4a6a-99f2-4b42-88ce-5ab03a00b756","autoRemove":true}}]}}`},
		{"volume shared by two containers", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","name":"web","volumeMounts":[{"name":"v1","mountPath":"/v"}]},{"image":"busybox","name":"db","volumeMounts":[{"name":"v1","mountPath":"/v"}]}],"volumes":[{"name":"v1","cinder":{"size":1}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mustParse(t, tt.tpl)
		})
	}
}

// TestParseRefuses checks that each bad template is refused as invalid,
// with a message that names the path of the bad field.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	// c wraps one container in a template; v adds volumes.
	c := func(container string) string {
		return `{"kind":"capsule","metadata":{},"spec":{"containers":[` + container + `]}}`
	}
	cv := func(container, volumes string) string {
		return `{"kind":"capsule","metadata":{},"spec":{"containers":[` + container + `],"volumes":` + volumes + `}}`
	}
	const mount = `"volumeMounts":[{"name":"v1","mountPath":"/v"}]`
	tests := []struct {
		name string
		tpl  any
		path string // the path the message must name
	}{
		// The template as a whole.
		{"null", nil, "template"},
		{"number", 12, "template"},
		{"array", []any{}, "template"},
		{"not JSON", `{"kind":`, "template"},
		{"JSON string of an array", `[]`, "template"},
		{"unknown key", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}]},"nets":[]}`, "nets"},
		{"no kind", `{"metadata":{},"spec":{"containers":[{"image":"busybox"}]}}`, "kind"},
		{"no metadata", `{"kind":"capsule","spec":{"containers":[{"image":"busybox"}]}}`, "metadata"},
		{"no spec", `{"kind":"capsule","metadata":{}}`, "spec"},
		{"bad kind", `{"kind":"pod","metadata":{},"spec":{"containers":[{"image":"busybox"}]}}`, "kind"},
		{"bad capsuleVersion", `{"kind":"capsule","capsuleVersion":"v1","metadata":{},"spec":{"containers":[{"image":"busybox"}]}}`, "capsuleVersion"},
		{"metadata array", `{"kind":"capsule","metadata":[],"spec":{"containers":[{"image":"busybox"}]}}`, "metadata"},
		{"bad name", `{"kind":"capsule","metadata":{"name":"-x"},"spec":{"containers":[{"image":"busybox"}]}}`, "metadata.name"},
		{"labels array", `{"kind":"capsule","metadata":{"labels":["a"]},"spec":{"containers":[{"image":"busybox"}]}}`, "metadata.labels"},
		{"annotation object", `{"kind":"capsule","metadata":{"annotations":{"a":{}}},"spec":{"containers":[{"image":"busybox"}]}}`, "metadata.annotations.a"},
		{"empty availability zone", `{"kind":"capsule","metadata":{},"availabilityZone":"","spec":{"containers":[{"image":"busybox"}]}}`, "availabilityZone"},
		{"bad top-level restart policy", `{"kind":"capsule","metadata":{},"restartPolicy":"always","spec":{"containers":[{"image":"busybox"}]}}`, "restartPolicy"},
		// spec.
		{"spec string", `{"kind":"capsule","metadata":{},"spec":"x"}`, "spec"},
		{"no containers", `{"kind":"capsule","metadata":{},"spec":{}}`, "spec.containers"},
		{"empty containers", `{"kind":"capsule","metadata":{},"spec":{"containers":[]}}`, "spec.containers"},
		{"null containers", `{"kind":"capsule","metadata":{},"spec":{"containers":null}}`, "spec.containers"},
		{"bad restart policy", `{"kind":"capsule","metadata":{},"spec":{"restartPolicy":"Sometimes","containers":[{"image":"busybox"}]}}`, "spec.restartPolicy"},
		{"init containers object", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}],"initContainers":{}}}`, "spec.initContainers"},
		// A container.
		{"container string", c(`"busybox"`), "spec.containers[0]"},
		{"no image", c(`{"name":"web"}`), "spec.containers[0].image"},
		{"second container no image", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"},{"name":"b"}]}}`, "spec.containers[1].image"},
		{"bad image", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"},{"image":"Bad Image"}]}}`, "spec.containers[1].image"},
		{"unknown container key", c(`{"image":"busybox","labels":{"app":"web"}}`), "spec.containers[0].labels"},
		{"k8s key", c(`{"image":"busybox","securityContext":{}}`), "spec.containers[0].securityContext"},
		{"bad container name", c(`{"image":"busybox","name":"a"}`), "spec.containers[0].name"},
		{"command string", c(`{"image":"busybox","command":"sleep 1"}`), "spec.containers[0].command"},
		{"command null item", c(`{"image":"busybox","command":["sleep",null]}`), "spec.containers[0].command[1]"},
		{"args number", c(`{"image":"busybox","args":[1]}`), "spec.containers[0].args[0]"},
		{"env number", c(`{"image":"busybox","env":{"A":1}}`), "spec.containers[0].env.A"},
		{"workDir number", c(`{"image":"busybox","workDir":1}`), "spec.containers[0].workDir"},
		{"bad pull policy", c(`{"image":"busybox","imagePullPolicy":"sometimes"}`), "spec.containers[0].imagePullPolicy"},
		{"stdin word", c(`{"image":"busybox","stdin":"yes"}`), "spec.containers[0].stdin"},
		{"tty null", c(`{"image":"busybox","tty":null}`), "spec.containers[0].tty"},
		// Resources.
		{"resources array", c(`{"image":"busybox","resources":[]}`), "spec.containers[0].resources"},
		{"limits", c(`{"image":"busybox","resources":{"limits":{"cpu":1}}}`), "spec.containers[0].resources.limits"},
		{"unknown request", c(`{"image":"busybox","resources":{"requests":{"gpu":1}}}`), "spec.containers[0].resources.requests.gpu"},
		{"cpu too big", c(`{"image":"busybox","resources":{"requests":{"cpu":17}}}`), "spec.containers[0].resources.requests.cpu"},
		{"cpu word", c(`{"image":"busybox","resources":{"requests":{"cpu":"one"}}}`), "spec.containers[0].resources.requests.cpu"},
		{"memory unit", c(`{"image":"busybox","resources":{"requests":{"memory":"512Mi"}}}`), "spec.containers[0].resources.requests.memory"},
		{"memory too small", c(`{"image":"busybox","resources":{"requests":{"memory":3}}}`), "spec.containers[0].resources.requests.memory"},
		{"init memory float", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}],"initContainers":[{"image":"busybox","resources":{"requests":{"memory":1.5}}}]}}`, "spec.initContainers[0].resources.requests.memory"},
		// Ports.
		{"ports object", c(`{"image":"busybox","ports":{}}`), "spec.containers[0].ports"},
		{"no containerPort", c(`{"image":"busybox","ports":[{"name":"http"}]}`), "spec.containers[0].ports[0].containerPort"},
		{"containerPort zero", c(`{"image":"busybox","ports":[{"containerPort":0}]}`), "spec.containers[0].ports[0].containerPort"},
		{"containerPort too big", c(`{"image":"busybox","ports":[{"containerPort":80},{"containerPort":65536}]}`), "spec.containers[0].ports[1].containerPort"},
		{"containerPort negative", c(`{"image":"busybox","ports":[{"containerPort":-1}]}`), "spec.containers[0].ports[0].containerPort"},
		{"hostPort word", c(`{"image":"busybox","ports":[{"containerPort":80,"hostPort":"http"}]}`), "spec.containers[0].ports[0].hostPort"},
		{"protocol lower case", c(`{"image":"busybox","ports":[{"containerPort":80,"protocol":"tcp"}]}`), "spec.containers[0].ports[0].protocol"},
		{"protocol SCTP", c(`{"image":"busybox","ports":[{"containerPort":80,"protocol":"SCTP"}]}`), "spec.containers[0].ports[0].protocol"},
		{"unknown port key", c(`{"image":"busybox","ports":[{"containerPort":80,"hostIP":"0.0.0.0"}]}`), "spec.containers[0].ports[0].hostIP"},
		{"bad port name", c(`{"image":"busybox","ports":[{"containerPort":80,"name":"h"}]}`), "spec.containers[0].ports[0].name"},
		// Volume mounts.
		{"mount without path", cv(`{"image":"busybox","volumeMounts":[{"name":"v1"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[0].mountPath"},
		{"mount without name", cv(`{"image":"busybox","volumeMounts":[{"mountPath":"/v"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[0].name"},
		{"relative mount path", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"v"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[0].mountPath"},
		{"mount readOnly word", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v","readOnly":"no"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[0].readOnly"},
		{"unknown mount key", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v","subPath":"x"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[0].subPath"},
		{"undeclared volume", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v"},{"name":"v2","mountPath":"/w"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[1].name"},
		{"volume mounted twice", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v"},{"name":"v1","mountPath":"/w"}]}`, `[{"name":"v1","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[1].name"},
		{"path mounted twice", cv(`{"image":"busybox","volumeMounts":[{"name":"v1","mountPath":"/v"},{"name":"v2","mountPath":"/v/"}]}`, `[{"name":"v1","cinder":{"size":1}},{"name":"v2","cinder":{"size":1}}]`), "spec.containers[0].volumeMounts[1].mountPath"},
		// Volumes.
		{"volumes object", cv(`{"image":"busybox"}`, `{}`), "spec.volumes"},
		{"volume without cinder", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","hostPath":{"path":"/tmp"}}]`), "spec.volumes[0].cinder"},
		{"volume without name", cv(`{"image":"busybox",`+mount+`}`, `[{"cinder":{"size":1}}]`), "spec.volumes[0].name"},
		{"bad volume name", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v","cinder":{"size":1}}]`), "spec.volumes[0].name"},
		{"cinder neither id nor size", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"autoRemove":true}}]`), "spec.volumes[0].cinder"},
		{"cinder both id and size", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1,"volumeID":"473e4a6a-99f2-4b42-88ce-5ab03a00b756"}}]`), "spec.volumes[0].cinder"},
		{"short volumeID", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"volumeID":"473e4a6a"}}]`), "spec.volumes[0].cinder.volumeID"},
		{"size zero", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":0}}]`), "spec.volumes[0].cinder.size"},
		{"size fraction", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1.5}}]`), "spec.volumes[0].cinder.size"},
		{"size string", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":"1"}}]`), "spec.volumes[0].cinder.size"},
		{"autoRemove word", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1,"autoRemove":"yes"}}]`), "spec.volumes[0].cinder.autoRemove"},
		{"unknown cinder key", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1,"fsType":"ext4"}}]`), "spec.volumes[0].cinder.fsType"},
		{"volume declared twice", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1}},{"name":"v1","cinder":{"size":2}}]`), "spec.volumes[1].name"},
		{"volume not mounted", cv(`{"image":"busybox",`+mount+`}`, `[{"name":"v1","cinder":{"size":1}},{"name":"v2","cinder":{"size":2}}]`), "spec.volumes[1]"},
		// Names across the capsule.
		{"same name twice", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","name":"web"},{"image":"busybox","name":"web"}]}}`, "spec.containers[1].name"},
		{"init container named like a container", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox","name":"web"}],"initContainers":[{"image":"busybox","name":"web"}]}}`, "spec.initContainers[0].name"},
		{"name taken by an unnamed container", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"},{"image":"busybox","name":"container-0"}]}}`, "spec.containers[1].name"},
		// Init containers have the shape of containers.
		{"init container no image", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}],"initContainers":[{"image":"busybox"},{"command":["true"]}]}}`, "spec.initContainers[1].image"},
		{"init container unknown key", `{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}],"initContainers":[{"image":"busybox","restartPolicy":"Always"}]}}`, "spec.initContainers[0].restartPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse(tt.tpl)
			if err == nil {
				t.Fatalf("Parse(%v) = %+v, want an error naming %s", tt.tpl, s, tt.path)
			}
			if !errdefs.IsInvalid(err) {
				t.Fatalf("Parse(%v): error %v is not ErrInvalid", tt.tpl, err)
			}
			if !strings.Contains(err.Error(), "'"+tt.path+"'") {
				t.Fatalf("Parse(%v): error %q does not name '%s'", tt.tpl, err, tt.path)
			}
		})
	}
}

// TestDocExample keeps the example of docs/capsules.md accepted.
func TestDocExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "docs", "capsules.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/capsules.md has no yaml example")
	}
	var tpl map[string]any
	if err := yaml.Unmarshal([]byte(example), &tpl); err != nil {
		t.Fatal(err)
	}
	s := mustParse(t, tpl)
	if len(s.InitContainers) != 1 || len(s.Containers) != 1 || len(s.Volumes) != 1 {
		t.Fatalf("example = %+v, want one init container, one container, one volume", s)
	}
}
