// Package sandboximage builds the image of the sandboxes that hold the
// network namespaces of containers on tenant networks (and, later, of
// capsules): a root file system with one program, /pause, that sleeps
// until it is killed.
//
// A compute host has no registry to pull from, so the agent makes the image
// itself and loads it into its engine the first time it needs a sandbox.
// /pause is a 129-byte static executable written here, not a build product:
// an ELF header, one loadable segment and a loop around the pause system
// call. Docker's "docker save" format (Tarball) carries it, so any engine
// that loads images loads it.
package sandboximage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Ref is the reference of the image; its tag changes whenever the image
// does.
const Ref = "zun/sandbox:1"

// Command is the image's command.
var Command = []string{"/pause"}

// vaddr is where the program is loaded.
const vaddr = 0x400000

// code is the machine code of each architecture the program exists for,
// as GOARCH names them.
var code = map[string]struct {
	machine uint16
	text    []byte
}{
	// loop: mov eax, 34 (pause); syscall; jmp loop
	"amd64": {machine: 62, text: []byte{0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7}},
}

// Program returns the /pause executable for arch (a GOARCH name).
func Program(arch string) ([]byte, error) {
	c, ok := code[arch]
	if !ok {
		return nil, fmt.Errorf("no sandbox program for architecture %s", arch)
	}
	const ehsize, phsize = 64, 56
	size := uint64(ehsize + phsize + len(c.text))
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	// ELF header: 64-bit, little endian, System V, an executable.
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	w(uint16(2))                       // e_type: EXEC
	w(c.machine)                       // e_machine
	w(uint32(1))                       // e_version
	w(uint64(vaddr + ehsize + phsize)) // e_entry: the code after the headers
	w(uint64(ehsize))                  // e_phoff
	w(uint64(0))                       // e_shoff: no sections
	w(uint32(0))                       // e_flags
	w(uint16(ehsize))                  // e_ehsize
	w(uint16(phsize))                  // e_phentsize
	w(uint16(1))                       // e_phnum
	w(uint16(0))                       // e_shentsize
	w(uint16(0))                       // e_shnum
	w(uint16(0))                       // e_shstrndx
	// One loadable segment, readable and executable: the whole file.
	w(uint32(1))      // p_type: LOAD
	w(uint32(5))      // p_flags: R+X
	w(uint64(0))      // p_offset
	w(uint64(vaddr))  // p_vaddr
	w(uint64(vaddr))  // p_paddr
	w(size)           // p_filesz
	w(size)           // p_memsz
	w(uint64(0x1000)) // p_align
	b.Write(c.text)
	return b.Bytes(), nil
}

// Tarball returns the image for arch in Docker's "docker save" format,
// tagged Ref.
func Tarball(arch string) ([]byte, error) {
	prog, err := Program(arch)
	if err != nil {
		return nil, err
	}
	epoch := time.Unix(0, 0).UTC()
	var layer bytes.Buffer
	lt := tar.NewWriter(&layer)
	if err := lt.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(prog)), ModTime: epoch,
		Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := lt.Write(prog); err != nil {
		return nil, err
	}
	if err := lt.Close(); err != nil {
		return nil, err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	layerID := hex.EncodeToString(layerSum[:])
	config, err := json.Marshal(map[string]any{
		"architecture": arch,
		"os":           "linux",
		"created":      epoch,
		"config":       map[string]any{"Cmd": Command},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerID}},
	})
	if err != nil {
		return nil, err
	}
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest, err := json.Marshal([]map[string]any{{
		"Config": configName, "RepoTags": []string{Ref}, "Layers": []string{layerID + "/layer.tar"},
	}})
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{configName, config}, {layerID + "/layer.tar", layer.Bytes()}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch,
			Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
