package capsule

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/zun-go/zun/apiserver/schema"
	"github.com/zun-go/zun/errdefs"
)

// FuzzParse checks that no template makes Parse panic, that every
// refusal is an ErrInvalid, and that what it accepts builds records
// within the limits, with one member per container and every mount on a
// volume of the capsule.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"web.yaml", "init.yaml", "create-req.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(j))
	}
	for _, seed := range []string{
		`{"kind":"capsule","metadata":{},"spec":{"containers":[{"image":"busybox"}]}}`,
		`{"kind":"capsule","metadata":{"name":null},"spec":{"containers":[{"image":"busybox","ports":[{"containerPort":"80"}]}],"initContainers":[{"image":"busybox"}]}}`,
		`"{\"kind\":\"capsule\"}"`, `[]`, `null`, `{`, ``,
	} {
		f.Add(seed)
	}
	l := schema.DefaultLimits()
	f.Fuzz(func(t *testing.T, tpl string) {
		s, err := ParseWithLimits(tpl, l)
		if err != nil {
			if !errdefs.IsInvalid(err) {
				t.Fatalf("Parse(%q): %v is not ErrInvalid", tpl, err)
			}
			return
		}
		c, members := Build(s, BuildOptions{ProjectID: "p", UserID: "u", Limits: l, Now: time.Now()})
		if len(members) != len(s.Containers)+len(s.InitContainers) || len(c.Capsule.Containers) != len(s.Containers) || len(s.Containers) == 0 {
			t.Fatalf("Parse(%q): %d members of %d containers and %d init containers", tpl, len(members), len(s.Containers), len(s.InitContainers))
		}
		volumes := map[string]bool{}
		for _, v := range c.Capsule.Volumes {
			volumes[v.VolumeID] = true
		}
		if len(c.Mounts) != len(c.Capsule.Volumes) {
			t.Fatalf("Parse(%q): %d mounts on the capsule's record for %d volumes", tpl, len(c.Mounts), len(c.Capsule.Volumes))
		}
		for _, m := range members {
			if m.CPU < l.MinCPU || m.CPU > l.MaxCPU || m.Memory < l.MinMemory || m.Memory > l.MaxMemory {
				t.Fatalf("Parse(%q): member %s cpu %g memory %d outside the limits", tpl, m.Name, m.CPU, m.Memory)
			}
			if _, err := schema.ImageRef(m.Image); err != nil {
				t.Fatalf("Parse(%q): accepted image %q: %v", tpl, m.Image, err)
			}
			if m.CapsuleID != c.UUID {
				t.Fatalf("Parse(%q): member %s has capsule id %q, want %s", tpl, m.Name, m.CapsuleID, c.UUID)
			}
			for _, mnt := range m.Mounts {
				if !volumes[mnt.VolumeID] {
					t.Fatalf("Parse(%q): member %s mounts %q, not a volume of the capsule", tpl, m.Name, mnt.VolumeID)
				}
			}
		}
	})
}
