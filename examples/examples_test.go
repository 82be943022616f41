// Package examples_test keeps the example configs honest: every example
// loads as sipfleet loads it, every dispatcher list parses, and
// reference.yaml names every key the config structs have, so a key added
// to the code without its documentation fails the build.
package examples_test

import (
	"encoding"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/dispatcher"
)

// TestExamplesLoad: each examples/*.yaml passes `sipfleet validate`.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if _, err := config.Load(f); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestDispatcherListsParse: each examples/*.list reads as the LB reads it.
func TestDispatcherListsParse(t *testing.T) {
	files, err := filepath.Glob("*.list")
	if err != nil || len(files) == 0 {
		t.Fatalf("no lists: %v", err)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if _, err := dispatcher.ParseFile(f); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReferenceNamesEveryKey: every key path of config.Config
// ("lb.probe.mode", "listeners[].role") is set in reference.yaml, or,
// for keys that exclude another one, written there commented out as
// "# key: value" under a parent that is set.
func TestReferenceNamesEveryKey(t *testing.T) {
	data, err := os.ReadFile("reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	walkNode(doc.Content[0], "", set)
	want := keyPaths(reflect.TypeFor[config.Config](), "")
	if len(want) < 50 {
		t.Fatalf("found only %d keys in config.Config; is the walk broken?", len(want))
	}
	for _, path := range want {
		if set[path] {
			continue
		}
		parent, leaf := splitPath(path)
		commented := regexp.MustCompile(`(?m)^\s*#\s*` + regexp.QuoteMeta(leaf) + `:\s`)
		if (parent != "" && !set[parent]) || !commented.Match(data) {
			t.Errorf("reference.yaml does not document %s", path)
		}
	}
	for path := range set {
		if !slices.Contains(want, path) {
			t.Errorf("reference.yaml sets %s, which config.Config does not have", path)
		}
	}
}

// keyPaths lists the YAML key paths under the struct type t, the way the
// loader finds them: fields with a yaml tag; structs, pointers to structs
// and slices of structs are walked into; types that parse themselves
// (HostPort, DSN) and durations are values.
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !f.IsExported() {
			continue
		}
		path := prefix + key
		out = append(out, path)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			out = append(out, keyPaths(ft.Elem(), path+"[].")...)
		} else if isSection(ft) {
			out = append(out, keyPaths(ft, path+".")...)
		}
	}
	return out
}

func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Duration]() &&
		!reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// walkNode records the key paths set under n, whose own path is path;
// list items' keys go under "path[]".
func walkNode(n *yaml.Node, path string, set map[string]bool) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := n.Content[i].Value
			if path != "" {
				p = path + "." + p
			}
			set[p] = true
			walkNode(n.Content[i+1], p, set)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			walkNode(item, path+"[]", set)
		}
	}
}

func splitPath(path string) (parent, leaf string) {
	i := strings.LastIndexAny(path, ".")
	if i < 0 {
		return "", path
	}
	return strings.TrimSuffix(path[:i], "[]"), path[i+1:]
}
