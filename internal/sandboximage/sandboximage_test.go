package sandboximage

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"testing"
)

// TestProgram: /pause is a static executable whose one segment holds the
// whole file and whose entry is the loop.
func TestProgram(t *testing.T) {
	p, err := Program("amd64")
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Fatalf("class %v machine %v type %v", f.Class, f.Machine, f.Type)
	}
	if len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[0].Filesz != uint64(len(p)) {
		t.Fatalf("segments %+v, want one LOAD of the %d bytes", f.Progs, len(p))
	}
	if off := f.Entry - vaddr; off != 120 || !bytes.Equal(p[off:], code["amd64"].text) {
		t.Fatalf("entry at offset %d", off)
	}
	if _, err := Program("mips"); err == nil {
		t.Fatal("a program for mips")
	}
}

// TestTarball: the image is what `docker load` reads: a manifest naming
// Ref, its config (running /pause) and a layer holding /pause.
func TestTarball(t *testing.T) {
	b, err := Tarball("amd64")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("manifest %s: %v", files["manifest.json"], err)
	}
	m := manifest[0]
	if len(m.RepoTags) != 1 || m.RepoTags[0] != Ref || len(m.Layers) != 1 {
		t.Fatalf("manifest %+v", m)
	}
	var config struct {
		Config struct{ Cmd []string }
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(files[m.Config], &config); err != nil {
		t.Fatalf("config %q: %v", m.Config, err)
	}
	if len(config.Config.Cmd) != 1 || config.Config.Cmd[0] != "/pause" || len(config.RootFS.DiffIDs) != 1 {
		t.Fatalf("config %+v", config)
	}
	lr := tar.NewReader(bytes.NewReader(files[m.Layers[0]]))
	h, err := lr.Next()
	if err != nil || h.Name != "pause" || h.Mode&0o111 == 0 {
		t.Fatalf("layer: %+v %v", h, err)
	}
	prog, _ := io.ReadAll(lr)
	if want, _ := Program("amd64"); !bytes.Equal(prog, want) {
		t.Fatal("the layer's /pause is not the program")
	}
}
