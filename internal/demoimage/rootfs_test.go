package demoimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWriteRootfs(t *testing.T) {
	t.Parallel()
	busybox := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(busybox, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeRootfs(&buf, busybox, []string{"sh", "sleep"}); err != nil {
		t.Fatalf("writeRootfs: %v", err)
	}

	type entry struct {
		typ  byte
		mode int64
		link string
		data string
	}
	got := map[string]entry{}
	var names []string
	tr := tar.NewReader(&buf)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		got[hdr.Name] = entry{hdr.Typeflag, hdr.Mode, hdr.Linkname, string(data)}
	}

	want := map[string]entry{
		"bin/":        {tar.TypeDir, 0o755, "", ""},
		"etc/":        {tar.TypeDir, 0o755, "", ""},
		"root/":       {tar.TypeDir, 0o700, "", ""},
		"tmp/":        {tar.TypeDir, 0o1777, "", ""},
		"bin/busybox": {tar.TypeReg, 0o755, "", "\x7fELF not really"},
		"bin/sh":      {tar.TypeSymlink, 0o777, "busybox", ""},
		"bin/sleep":   {tar.TypeSymlink, 0o777, "busybox", ""},
		"etc/passwd":  {tar.TypeReg, 0o644, "", "root:x:0:0:root:/root:/bin/sh\n"},
		"etc/group":   {tar.TypeReg, 0o644, "", "root:x:0:\n"},
	}
	if len(got) != len(want) {
		t.Fatalf("entries: got %q, want %d entries", names, len(want))
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g != w {
			t.Errorf("entry %s: got %+v (present %v), want %+v", name, g, ok, w)
		}
	}
}

func TestListApplets(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(Busybox); err != nil {
		t.Skipf("%s is not installed (Debian package busybox-static): %v", Busybox, err)
	}
	applets, err := listApplets(t.Context(), Busybox)
	if err != nil {
		t.Fatalf("listApplets: %v", err)
	}
	for _, want := range []string{"sh", "sleep", "top", "httpd", "wget"} {
		if !slices.Contains(applets, want) {
			t.Errorf("applets: %s missing from %d applets", want, len(applets))
		}
	}
	if slices.Contains(applets, "busybox") {
		t.Errorf("applets: busybox itself is listed; it would replace the binary with a symlink")
	}
}

func TestDrain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, stream, wantErr string }{
		{"success", `{"status":"sha256:abc"}`, ""},
		{"error detail", `{"errorDetail":{"message":"bad tar"},"error":"bad tar (old)"}`, "bad tar"},
		{"error", `{"error":"no space left"}`, "no space left"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := drain(strings.NewReader(tc.stream))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("drain: got error %q, want %q", got, tc.wantErr)
			}
		})
	}
}
