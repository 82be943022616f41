// Tests over the whole tree, in the manner of CoreDNS's meta tests: habits
// that review alone lets slip, such as package docs and the direction of
// imports, checked on every run.
package internal_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sipfleet/sipfleet"

// pkg is the part of `go list -json` output the checks read.
type pkg struct {
	ImportPath string
	Name       string
	Doc        string
	GoFiles    []string
	Deps       []string
}

// listPackages lists every package of the module with its transitive
// dependencies. -e keeps a package that does not compile in the list (with
// what could be read of it), so that a half-written package elsewhere does
// not hide the other packages' results.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-e", "-json", module+"/...").Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("go list: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		if len(p.GoFiles) > 0 { // test-only directories, like this one, have no doc to check
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

// TestPackageDocs checks that every package says what it holds, in the
// form godoc shows: "Package x ..." or, for a program, "Command x ...".
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "Command "
		}
		if !strings.HasPrefix(p.Doc, want) {
			t.Errorf("%s: package doc comment should start %q; got %q", p.ImportPath, want, p.Doc)
		}
	}
}

// importRule forbids packages matching from to depend, directly or not, on
// packages matching to. A pattern is an import path under the module; a
// trailing "/..." matches the path and everything below it.
type importRule struct {
	from, to string
	why      string
}

// importRules are DESIGN.md's layering: imports point down, the leaves
// import nothing of ours, roles never use one another, and only the
// command line's entry point uses the command line.
var importRules = []importRule{
	{"internal/sip/...", "internal/...", "sip is a leaf: the message model needs nothing of ours"},
	{"internal/config/...", "internal/...", "config is a leaf: every layer uses its value types"},
	{"internal/transport/...", "internal/role/...", "transport sits below the roles"},
	{"internal/...", "internal/cli/...", "cli sits on top; only cmd/sipfleet uses it"},
}

// roleViolations lists the roles that depend on another role.
func roleViolations(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		from, ok := roleOf(p.ImportPath)
		if !ok {
			continue
		}
		for _, d := range p.Deps {
			if to, ok := roleOf(d); ok && to != from {
				bad = append(bad, fmt.Sprintf("%s imports %s: roles never use one another", p.ImportPath, d))
			}
		}
	}
	return bad
}

// roleOf names the role a package belongs to, from internal/role/<name>/....
func roleOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, module+"/internal/role/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name, true
}

func violations(pkgs []pkg, rules []importRule) []string {
	var bad []string
	for _, p := range pkgs {
		for _, r := range rules {
			if !matches(r.from, p.ImportPath) {
				continue
			}
			for _, d := range p.Deps {
				// A package's own subpackages are part of it.
				if matches(r.to, d) && !strings.HasPrefix(d, p.ImportPath+"/") {
					bad = append(bad, fmt.Sprintf("%s imports %s: %s", p.ImportPath, d, r.why))
				}
			}
		}
	}
	return append(bad, roleViolations(pkgs)...)
}

func matches(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		full := module + "/" + base
		return path == full || strings.HasPrefix(path, full+"/")
	}
	return path == module+"/"+pattern
}

func TestImportDirection(t *testing.T) {
	for _, v := range violations(listPackages(t), importRules) {
		t.Error(v)
	}
}

// TestImportRulesCatch checks the checker on a made-up tree, since the real
// one may not yet have the packages a rule is about.
func TestImportRulesCatch(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := []pkg{
		{ImportPath: m("internal/sip"), Deps: []string{"bytes", m("internal/config")}},
		{ImportPath: m("internal/config"), Deps: []string{"go.yaml.in/yaml/v3"}},
		{ImportPath: m("internal/transport"), Deps: []string{m("internal/sip"), m("internal/role/lb")}},
		{ImportPath: m("internal/role/lb"), Deps: []string{m("internal/role/lb/dispatch"), m("internal/role/registrar")}},
		{ImportPath: m("internal/role/lb/dispatch"), Deps: []string{m("internal/sip")}},
		{ImportPath: m("cmd/sipfleet"), Deps: []string{m("internal/cli")}},
	}
	want := []string{
		m("internal/sip") + " imports " + m("internal/config"),
		m("internal/transport") + " imports " + m("internal/role/lb"),
		m("internal/role/lb") + " imports " + m("internal/role/registrar"),
	}
	got := violations(pkgs, importRules)
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w+":") }) {
			t.Errorf("missing violation %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}
