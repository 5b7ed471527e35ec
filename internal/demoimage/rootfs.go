package demoimage

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Accounts of the image: root only.
const (
	passwd = "root:x:0:0:root:/root:/bin/sh\n"
	group  = "root:x:0:\n"
)

// listApplets asks busybox for the applets it was built with.
func listApplets(ctx context.Context, busybox string) ([]string, error) {
	out, err := exec.CommandContext(ctx, busybox, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("list applets of %s (is busybox-static installed?): %w", busybox, err)
	}
	var applets []string
	for _, name := range strings.Fields(string(out)) {
		if name != "busybox" && !strings.Contains(name, "/") {
			applets = append(applets, name)
		}
	}
	if len(applets) == 0 {
		return nil, fmt.Errorf("%s --list printed no applets", busybox)
	}
	return applets, nil
}

// writeRootfs writes the image's root file system as an uncompressed tar:
// the busybox binary at bin/busybox, a symlink to it per applet in bin/,
// tmp/, root/ and the account files in etc/.
func writeRootfs(w io.Writer, busybox string, applets []string) error {
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	// A fixed time keeps the layer the same from one build to the next.
	mtime := time.Unix(0, 0)
	tw := tar.NewWriter(w)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mtime})
	}
	file := func(name string, mode int64, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}

	for _, d := range []struct {
		name string
		mode int64
	}{{"bin/", 0o755}, {"etc/", 0o755}, {"root/", 0o700}, {"tmp/", 0o1777}} {
		if err := dir(d.name, d.mode); err != nil {
			return err
		}
	}
	if err := file("bin/busybox", 0o755, bin); err != nil {
		return err
	}
	for _, name := range applets {
		hdr := &tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + name, Linkname: "busybox", Mode: 0o777, ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
	}
	if err := file("etc/passwd", 0o644, []byte(passwd)); err != nil {
		return err
	}
	if err := file("etc/group", 0o644, []byte(group)); err != nil {
		return err
	}
	return tw.Close()
}
