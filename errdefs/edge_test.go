package errdefs_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// The tests below read the module's source: they fail when an error
// becomes an HTTP status anywhere but here, when a service's error writer
// stops asking errdefs, or when a message is suffixed with a kind's text.

// source is one parsed non-test Go file of the module.
type source struct {
	path string // relative to the module root
	file *ast.File
}

func moduleSources(t *testing.T) (*token.FileSet, []source) {
	t.Helper()
	fset, srcs := sourcesUnder(t, "..")
	if len(srcs) < 50 {
		t.Fatalf("read only %d source files of the module", len(srcs))
	}
	return fset, srcs
}

// sourcesUnder parses the non-test Go files under dir (testdata only when
// dir is in it).
func sourcesUnder(t *testing.T, dir string) (*token.FileSet, []source) {
	t.Helper()
	root, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []source
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, source{path: filepath.ToSlash(rel), file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fset, out
}

// errorStatuses are net/http's 4xx and 5xx constants, read from its source.
func errorStatuses(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(runtime.GOROOT(), "src", "net", "http", "status.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) && isErrorStatus(vs.Values[i]) {
					out[n.Name] = true
				}
			}
		}
	}
	if !out["StatusNotFound"] || out["StatusOK"] {
		t.Fatalf("cannot read net/http's statuses: %v", out)
	}
	return out
}

func isErrorStatus(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.INT {
		return false
	}
	n, err := strconv.Atoi(lit.Value)
	return err == nil && n >= 400 && n < 600
}

// selector is x.Sel of e as "x.Sel", or "".
func selector(e ast.Expr) string {
	s, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := s.X.(*ast.Ident)
	if !ok {
		return ""
	}
	return x.Name + "." + s.Sel.Name
}

// funcs calls fn with every top-level function of the sources and its
// name (Recv.Name for a method).
func funcs(srcs []source, fn func(src source, name string, body *ast.BlockStmt)) {
	for _, src := range srcs {
		for _, d := range src.file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				t := fd.Recv.List[0].Type
				if st, ok := t.(*ast.StarExpr); ok {
					t = st.X
				}
				if id, ok := t.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
			fn(src, name, fd.Body)
		}
	}
}

// TestNoStatusMappingOutsideErrdefs fails when a function that looks at
// an error's kind (errors.Is, errors.As, an errdefs.Is helper) also gives
// an error status (returns it, sets it, writes it): that is a hand-made
// mapping from kind to status, and the one mapping is errdefs.HTTPStatus
// (or an API's, for Neutron and Cinder). Status numbers written out count
// too; a status only compared (status >= 500) or switched on is read, not
// given.
func TestNoStatusMappingOutsideErrdefs(t *testing.T) {
	statuses := errorStatuses(t)
	fset, srcs := moduleSources(t)
	for _, m := range handMade(fset, srcs, statuses) {
		t.Error(m)
	}
}

// TestHandMadeMappingsFound: the check above finds the hand-made mappings
// of testdata/handmade, and only those.
func TestHandMadeMappingsFound(t *testing.T) {
	statuses := errorStatuses(t)
	fset, srcs := sourcesUnder(t, filepath.Join("testdata", "handmade"))
	var got []string
	for _, m := range handMade(fset, srcs, statuses) {
		got = append(got, strings.Fields(m)[1])
	}
	want := []string{"statusOf", "Handler.fault", "writeKind"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("found %q, want %q", got, want)
	}
}

// handMade is the functions of srcs that look at an error's kind and
// give an error status, outside errdefs.
func handMade(fset *token.FileSet, srcs []source, statuses map[string]bool) []string {
	var out []string
	funcs(srcs, func(src source, name string, body *ast.BlockStmt) {
		if strings.HasPrefix(src.path, "errdefs/") {
			return
		}
		var inspects, names []string
		// A status compared (status >= 500) or switched on (case 404:)
		// is read, not given: only a status given is a mapping.
		read := map[ast.Node]bool{}
		ast.Inspect(body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				switch n.Op {
				case token.EQL, token.NEQ, token.LSS, token.GTR, token.LEQ, token.GEQ:
					read[n.X], read[n.Y] = true, true
				}
			case *ast.SwitchStmt:
				if n.Tag != nil {
					for _, c := range n.Body.List {
						for _, e := range c.(*ast.CaseClause).List {
							read[e] = true
						}
					}
				}
			}
			return true
		})
		ast.Inspect(body, func(n ast.Node) bool {
			if read[n] {
				return false
			}
			switch n := n.(type) {
			case *ast.CallExpr:
				switch s := selector(n.Fun); {
				case s == "errors.Is", s == "errors.As", strings.HasPrefix(s, "errdefs.Is"), s == "errdefs.KindOf", s == "errdefs.Name":
					inspects = append(inspects, s)
				}
			case *ast.SelectorExpr:
				if s := selector(n); strings.HasPrefix(s, "http.") && statuses[n.Sel.Name] {
					names = append(names, s+" at "+fset.Position(n.Pos()).String())
				}
			case *ast.BasicLit:
				if isErrorStatus(n) {
					names = append(names, n.Value+" at "+fset.Position(n.Pos()).String())
				}
			}
			return true
		})
		if len(inspects) > 0 && len(names) > 0 {
			out = append(out, fmt.Sprintf("%s: %s looks at an error's kind (%s) and gives an error status (%s): map kinds to statuses with errdefs.HTTPStatus",
				src.path, name, inspects[0], strings.Join(names, ", ")))
		}
	})
	return out
}

// TestErrorWritersAskErrdefs fails when a service's error writer, or a
// client's reading of a status, stops going through errdefs.
func TestErrorWritersAskErrdefs(t *testing.T) {
	want := []struct{ file, fn, call string }{
		{"apiserver/wrap.go", "Server.writeError", "errdefs.HTTPStatus"},
		{"identity/http.go", "Handler.fail", "errdefs.HTTPStatus"},
		{"network/http.go", "faultOf", "errdefs.Neutron.HTTPStatus"},
		{"volume/http.go", "faultOf", "errdefs.Cinder.HTTPStatus"},
		{"glance/http.go", "Handler.reply", "errdefs.HTTPStatus"},
		{"agentapi/agentapi.go", "writeError", "errdefs.HTTPStatus"},
		{"agentapi/agentapi.go", "wireError.err", "errdefs.Named"},
		{"api/client_errors.go", "Error.Is", "errdefs.FromHTTPStatus"},
	}
	_, srcs := moduleSources(t)
	calls := map[string]map[string]bool{} // file fn -> calls
	funcs(srcs, func(src source, name string, body *ast.BlockStmt) {
		seen := map[string]bool{}
		ast.Inspect(body, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if s := selector(c.Fun); s != "" {
					seen[s] = true
				}
				if s, ok := c.Fun.(*ast.SelectorExpr); ok && selector(s.X) != "" {
					seen[selector(s.X)+"."+s.Sel.Name] = true
				}
			}
			return true
		})
		calls[src.path+" "+name] = seen
	})
	for _, w := range want {
		t.Run(w.file+" "+w.fn, func(t *testing.T) {
			seen, ok := calls[w.file+" "+w.fn]
			if !ok {
				t.Fatalf("%s has no function %s: if the error writer moved, update this table", w.file, w.fn)
			}
			if !seen[w.call] {
				t.Errorf("%s: %s does not call %s", w.file, w.fn, w.call)
			}
		})
	}
}

// TestNoKindInMessages fails when a kind's sentinel (or a package's own
// name for one) is formatted into a message by fmt.Errorf, fmt.Sprintf or
// an errdefs helper: fmt.Errorf("...: %w", errdefs.ErrX) reads "...:
// unauthorized" on the wire. Use the kind's helper (errdefs.Unauthorizedf...).
func TestNoKindInMessages(t *testing.T) {
	fset, srcs := moduleSources(t)
	// A package's own names for a sentinel (var errNotFound =
	// errdefs.ErrNotFound) count as the sentinel.
	aliases := map[string]string{} // dir name -> sentinel
	for _, src := range srcs {
		for _, d := range src.file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, sp := range g.Specs {
				vs := sp.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) && strings.HasPrefix(selector(vs.Values[i]), "errdefs.Err") {
						aliases[filepath.Dir(src.path)+" "+n.Name] = selector(vs.Values[i])
					}
				}
			}
		}
	}
	for _, src := range srcs {
		if strings.HasPrefix(src.path, "errdefs/") {
			continue
		}
		ast.Inspect(src.file, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			fun := ""
			if ok {
				fun = selector(c.Fun)
			}
			if fun != "fmt.Errorf" && fun != "fmt.Sprintf" && !(strings.HasPrefix(fun, "errdefs.") && strings.HasSuffix(fun, "f")) {
				return true
			}
			if len(c.Args) < 2 {
				return true
			}
			for _, a := range c.Args[1:] {
				s := selector(a)
				if id, ok := a.(*ast.Ident); ok {
					s = aliases[filepath.Dir(src.path)+" "+id.Name]
				}
				if strings.HasPrefix(s, "errdefs.Err") {
					t.Errorf("%s: %s formats %s into the message; use its errdefs helper", fset.Position(c.Pos()), fun, s)
				}
			}
			return true
		})
	}
}
