package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/zun-go/zun/api"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{"plain", "/bin/sh -c", []string{"/bin/sh", "-c"}, false},
		{"extra blanks", "  a \t b  ", []string{"a", "b"}, false},
		{"single quotes", `sh -c 'echo "$HOME"'`, []string{"sh", "-c", `echo "$HOME"`}, false},
		{"double quotes", `echo "a b" "c\"d" "e\f"`, []string{"echo", "a b", `c"d`, `e\f`}, false},
		{"backslash", `a\ b c\\d`, []string{"a b", `c\d`}, false},
		{"empty quoted word", `printf ''`, []string{"printf", ""}, false},
		{"glued quotes", `pre'mid'"post"`, []string{"premidpost"}, false},
		{"round trip of QuoteCommand", api.QuoteCommand("it's", "a b", ""), []string{"it's", "a b", ""}, false},
		{"unterminated", `echo 'oops`, nil, true},
		{"trailing backslash", `echo \`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := splitWords(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("splitWords(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("splitWords(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitRepoTag(t *testing.T) {
	tests := []struct{ in, repo, tag string }{
		{"web", "web", ""},
		{"me/web:v1", "me/web", "v1"},
		{"registry:5000/me/web", "registry:5000/me/web", ""},
		{"registry:5000/me/web:v2", "registry:5000/me/web", "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			repo, tag := splitRepoTag(tt.in)
			if repo != tt.repo || tag != tt.tag {
				t.Fatalf("splitRepoTag(%q) = %q, %q; want %q, %q", tt.in, repo, tag, tt.repo, tt.tag)
			}
		})
	}
}

func TestRestartPolicy(t *testing.T) {
	tests := []struct {
		in, name, count string
		wantErr         bool
	}{
		{"no", "no", "0", false},
		{"always", "always", "0", false},
		{"unless-stopped", "unless-stopped", "0", false},
		{"on-failure", "on-failure", "0", false},
		{"on-failure:5", "on-failure", "5", false},
		{"on-failure:-1", "", "", true},
		{"always:3", "", "", true},
		{"sometimes", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := restartPolicy(tt.in)
			if tt.wantErr {
				var u usageError
				if !errors.As(err, &u) {
					t.Fatalf("restartPolicy(%q) error = %v, want a usage error", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("restartPolicy(%q): %v", tt.in, err)
			}
			if got.Name != tt.name || got.MaximumRetryCount != tt.count {
				t.Fatalf("restartPolicy(%q) = %+v, want %s:%s", tt.in, got, tt.name, tt.count)
			}
		})
	}
}

func TestKeyValues(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    string
		wantErr bool
	}{
		{"none", nil, "", false},
		{"value with equals", []string{"A=b=c", "EMPTY="}, "A=b=c,EMPTY=", false},
		{"no equals", []string{"A"}, "", true},
		{"empty key", []string{"=x"}, "", true},
		{"duplicate", []string{"A=1", "A=2"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := keyValues("label", tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("keyValues(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			var parts []string
			for _, k := range []string{"A", "EMPTY"} {
				if v, ok := m[k]; ok {
					parts = append(parts, k+"="+v)
				}
			}
			if got := strings.Join(parts, ","); got != tt.want || len(m) != len(parts) {
				t.Fatalf("keyValues(%q) = %v, want %s", tt.in, m, tt.want)
			}
		})
	}
}
