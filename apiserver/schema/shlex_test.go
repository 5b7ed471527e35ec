package schema

import (
	"slices"
	"testing"
)

// The expectations are Python 3's shlex.split on the same input.
func TestShellSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{"", nil, nil},
		{"  \t", nil, nil},
		{"ls -l /", []string{"ls", "-l", "/"}, nil},
		{"  lead and  trail  ", []string{"lead", "and", "trail"}, nil},
		{"x\ty\rz\nw", []string{"x", "y", "z", "w"}, nil},
		{"a\vb", []string{"a\vb"}, nil}, // \v is not a separator
		{`a "" b`, []string{"a", "", "b"}, nil},
		{`''`, []string{""}, nil},
		{`a 'b c'd`, []string{"a", "b cd"}, nil},
		{`a"b c"d`, []string{"ab cd"}, nil},
		{`sh -c 'echo "hi there"'`, []string{"sh", "-c", `echo "hi there"`}, nil},
		{`"nginx" "-g" "daemon off;"`, []string{"nginx", "-g", "daemon off;"}, nil},
		{`"a\$b"`, []string{`a\$b`}, nil},
		{`"a\\b"`, []string{`a\b`}, nil},
		{`"a\"b"`, []string{`a"b`}, nil},
		{`"\q"`, []string{`\q`}, nil},
		{`'a\'`, []string{`a\`}, nil},
		{`'\q'`, []string{`\q`}, nil},
		{`\q`, []string{"q"}, nil},
		{`a\ b`, []string{"a b"}, nil},
		{"a\\\nb", []string{"a\nb"}, nil},
		{`\"x\"`, []string{`"x"`}, nil},
		{"echo $HOME; ls|wc", []string{"echo", "$HOME;", "ls|wc"}, nil},
		{"# not a comment", []string{"#", "not", "a", "comment"}, nil},
		{"héllo wörld", []string{"héllo", "wörld"}, nil},
		{`it's`, nil, errNoClosing},
		{`"unterminated`, nil, errNoClosing},
		{`"a\"`, nil, errNoClosing},
		{`trail\`, nil, errNoEscaped},
		{`"esc at end\`, nil, errNoEscaped},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := shellSplit(tt.in)
			if err != tt.err {
				t.Fatalf("shellSplit(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("shellSplit(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
