package schema

import (
	"strings"
	"testing"

	"github.com/zun-go/zun/errdefs"
)

func TestImageRefAccepts(t *testing.T) {
	t.Parallel()
	sha256 := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		in   string
		want ImageReference
	}{
		{"busybox", ImageReference{Path: "busybox"}},
		{"zun/busybox:local", ImageReference{Path: "zun/busybox", Tag: "local"}},
		{"registry.example.com:5000/a/b:1.0", ImageReference{Domain: "registry.example.com:5000", Path: "a/b", Tag: "1.0"}},
		{"a@" + sha256, ImageReference{Path: "a", Digest: sha256}},
		{"ubuntu:22.04@" + sha256, ImageReference{Path: "ubuntu", Tag: "22.04", Digest: sha256}},
		{"localhost/app", ImageReference{Domain: "localhost", Path: "app"}},
		{"localhost:5000/app", ImageReference{Domain: "localhost:5000", Path: "app"}},
		{"localhost:5000", ImageReference{Path: "localhost", Tag: "5000"}},
		{"docker.io/library/nginx:latest", ImageReference{Domain: "docker.io", Path: "library/nginx", Tag: "latest"}},
		{"10.0.0.1:5000/x", ImageReference{Domain: "10.0.0.1:5000", Path: "x"}},
		{"my-registry/app", ImageReference{Path: "my-registry/app"}},
		{"a_b.c__d---e/f", ImageReference{Path: "a_b.c__d---e/f"}},
		{"UPPER/app", ImageReference{Path: "UPPER/app"}}, // a host without '.' or ':', as Zun splits it
		{"app:Tag_1.x-y", ImageReference{Path: "app", Tag: "Tag_1.x-y"}},
		{"app:_tag", ImageReference{Path: "app", Tag: "_tag"}},
		{"app:" + strings.Repeat("t", 128), ImageReference{Path: "app", Tag: strings.Repeat("t", 128)}},
		{"a@sha512:" + strings.Repeat("ab", 64), ImageReference{Path: "a", Digest: "sha512:" + strings.Repeat("ab", 64)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ImageRef(tt.in)
			if err != nil {
				t.Fatalf("ImageRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ImageRef(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Fatalf("ImageRef(%q).String() = %q, want it as written", tt.in, got.String())
			}
		})
	}
}

func TestImageRefRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"UPPER", "lowercase"},
		{"Busybox", "lowercase"},
		{"a:b:c", "not lowercase letters"},
		{":tag", "repository name is empty"},
		{"a//b", "empty path component"},
		{"/a", "empty path component"},
		{"a/", "empty path component"},
		{"a/b:", "tag"},
		{"a:.tag", "tag"},
		{"a:-tag", "tag"},
		{"a:" + strings.Repeat("t", 129), "tag"},
		{"a:t@g", "digest"},
		{"-a", "not lowercase letters"},
		{"a-", "not lowercase letters"},
		{"a..b", "not lowercase letters"},
		{"a___b", "not lowercase letters"},
		{"a_-b", "not lowercase letters"},
		{"a b", "not lowercase letters"},
		{"a@", "digest"},
		{"a@sha256", "digest"},
		{"a@md5:" + strings.Repeat("0", 32), "algorithm"},
		{"a@sha256:" + strings.Repeat("0", 63), "64 hex digits"},
		{"a@sha256:" + strings.Repeat("A", 64), "lowercase"},
		{"a@sha256:" + strings.Repeat("g", 64), "hex"},
		{"-host.com/a", "not lowercase letters"},
		{"host:port/a", "not lowercase letters"},
		{strings.Repeat("a", 256), "longer than 255"},
		{"café", "not lowercase letters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := ImageRef(tt.in)
			if err == nil {
				t.Fatalf("ImageRef(%q) accepted, want an error", tt.in)
			}
			if !errdefs.IsInvalid(err) {
				t.Fatalf("ImageRef(%q): %v is not ErrInvalid", tt.in, err)
			}
			if !strings.Contains(err.Error(), "Invalid image reference") || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("ImageRef(%q): error %q, want 'Invalid image reference' and %q", tt.in, err, tt.why)
			}
		})
	}
}
