package schema

import (
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
	"github.com/zun-go/zun/errdefs"
)

func TestContainerUpdate(t *testing.T) {
	t.Parallel()
	req, err := ContainerUpdate([]byte(`{"cpu":"2.5","memory":1024,"name":"new-name","auto_heal":"True"}`), api.V(40), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if *req.CPU != 2.5 || *req.Memory != 1024 || *req.Name != "new-name" || !*req.AutoHeal {
		t.Fatalf("got cpu %g memory %d name %q auto_heal %v", *req.CPU, *req.Memory, *req.Name, *req.AutoHeal)
	}
	req, err = ContainerUpdate([]byte(`{"memory":"256"}`), api.V(1), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if req.CPU != nil || req.Name != nil || req.AutoHeal != nil || *req.Memory != 256 {
		t.Fatalf("only memory asked for, got %+v", req)
	}
	req, err = ContainerUpdate([]byte(`{"auto_heal":false}`), api.V(1), DefaultLimits())
	if err != nil || *req.AutoHeal {
		t.Fatalf("auto_heal false: %+v, %v", req, err)
	}
}

func TestContainerUpdateRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body, want string }{
		{"empty body", ``, "Malformed request body"},
		{"empty object", `{}`, "at least one of cpu, memory, name or auto_heal"},
		{"array", `[]`, "a JSON object is expected"},
		{"unknown", `{"image":"busybox"}`, "'image' was unexpected"},
		{"unknown with a known one", `{"cpu":1,"command":["x"]}`, "'command' was unexpected"},
		{"cpu null", `{"cpu":null}`, "'cpu'"},
		{"cpu too big", `{"cpu":17}`, "'cpu'"},
		{"cpu word", `{"cpu":"lots"}`, "'cpu'"},
		{"memory null", `{"memory":null}`, "'memory'"},
		{"memory 12X", `{"memory":"12X"}`, "'memory'"},
		{"memory too small", `{"memory":1}`, "'memory'"},
		{"name null", `{"name":null}`, "'name'"},
		{"name bad", `{"name":"a b"}`, "'name'"},
		{"auto_heal word", `{"auto_heal":"yes"}`, "'auto_heal'"},
		{"auto_heal null", `{"auto_heal":null}`, "'auto_heal'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ContainerUpdate([]byte(tt.body), api.V(40), DefaultLimits())
			if err == nil || !errdefs.IsInvalid(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ContainerUpdate(%s) error %v, want ErrInvalid mentioning %q", tt.body, err, tt.want)
			}
		})
	}
}
