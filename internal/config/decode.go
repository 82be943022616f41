package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// maxErrors bounds the problems reported for one file: past it, the file
// is likely not a sipfleet config at all, and more lines would only bury
// the first ones.
const maxErrors = 100

// maxNodes bounds the nodes one file may expand to, so that aliases that
// refer to aliases cannot make a small file decode for ever.
const maxNodes = 100_000

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decoder fills a struct from a YAML node tree, collecting every problem
// instead of stopping at the first.
type decoder struct {
	file  string
	errs  Errors
	pos   map[string]Pos // where each key path (or list item) was written
	nodes int            // nodes visited so far, against maxNodes
	// dropped counts the problems past maxErrors.
	dropped int
	// decoded is how many of errs the decoding found; the rest come from
	// validate methods.
	decoded int
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]Pos{}}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.add(d.at(n), path, fmt.Sprintf(format, args...))
}

func (d *decoder) add(pos Pos, path, msg string) {
	if len(d.errs) == maxErrors {
		d.dropped++
		return
	}
	d.errs = append(d.errs, &Error{Pos: pos, Path: path, Msg: msg})
}

// result is the problems found, in file order, with a last line that
// counts those past maxErrors.
func (d *decoder) result() Errors {
	d.errs.sort()
	if d.dropped > 0 {
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file}, Msg: fmt.Sprintf("and %d more problems", d.dropped)})
	}
	return d.errs
}

func (d *decoder) at(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

// value decodes n into v, whose key path is path and whose field rules are r.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string, r rules) {
	n, ok := d.resolve(n, path)
	if !ok {
		return
	}
	t := v.Type()
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		d.text(n, v, path)
	case t == durationType:
		d.duration(n, v, path, r)
	case t.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), path, r)
	case t.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case t.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case t.Kind() == reflect.String:
		d.string(n, v, path, r)
	case t.Kind() == reflect.Bool:
		d.bool(n, v, path)
	case isInt(t.Kind()) || isUint(t.Kind()):
		d.int(n, v, path, r)
	default:
		panic(fmt.Sprintf("config: %s: unsupported field type %s", path, t))
	}
}

// resolve follows aliases and counts the node against maxNodes.
func (d *decoder) resolve(n *yaml.Node, path string) (*yaml.Node, bool) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.nodes++
	if d.nodes == maxNodes {
		d.errorf(n, path, "the file expands to more than %d values; are aliases nested?", maxNodes)
	}
	return n, d.nodes < maxNodes
}

// mapping decodes a YAML mapping into the struct v. A null value (the key
// written with nothing after it) is an empty mapping: "lb:" alone turns the
// role on with its defaults.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		d.entry(n.Content[i], n.Content[i+1], v, path, fields, seen)
	}
	for _, f := range fields {
		if _, ok := seen[f.key]; !ok {
			d.absent(n, v.Field(f.index), join(path, f.key), f)
		}
	}
}

// entry decodes one key and its value into the matching field of v.
func (d *decoder) entry(k, val *yaml.Node, v reflect.Value, path string, fields []field, seen map[string]*yaml.Node) {
	if k.Kind != yaml.ScalarNode {
		d.errorf(k, path, "a key must be a plain name, not %s", describe(k))
		return
	}
	kp := join(path, k.Value)
	if k.Tag == "!!merge" {
		d.errorf(k, path, "merge keys (<<) are not supported; write the keys out")
		return
	}
	if first, dup := seen[k.Value]; dup {
		d.errorf(k, kp, "duplicate key (first at line %d)", first.Line)
		return
	}
	seen[k.Value] = k
	f, ok := lookupField(fields, k.Value)
	if !ok {
		d.errorf(k, kp, "unknown key%s", suggest(k.Value, fields))
		return
	}
	d.pos[kp] = d.at(k)
	d.value(val, v.Field(f.index), kp, f.rules)
}

// absent handles a field whose key the file does not have: a required key
// is an error, a default is decoded as if written, and a section that is
// always there (a struct, not a pointer) still gets its own defaults.
func (d *decoder) absent(parent *yaml.Node, v reflect.Value, path string, f field) {
	switch {
	case f.rules.required:
		// The key has no line; point at the section it is missing from.
		d.add(d.posOf(parentPath(path)), path, "missing required key")
	case f.hasDefault:
		d.value(defaultNode(f.def, parent), v, path, f.rules)
	case v.Kind() == reflect.Struct && !reflect.PointerTo(v.Type()).Implements(textUnmarshalerType):
		d.mapping(&yaml.Node{Kind: yaml.MappingNode, Line: parent.Line, Column: parent.Column}, v, path)
	}
}

// defaultNode parses a `default` tag the way the value would be parsed in a
// file, so that "500ms" and "65535" get the tags a file would give them.
func defaultNode(def string, at *yaml.Node) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(def), &doc); err != nil || len(doc.Content) != 1 {
		panic(fmt.Sprintf("config: bad default %q", def))
	}
	n := doc.Content[0]
	n.Line, n.Column = at.Line, at.Column
	return n
}

// sequence decodes a YAML list into the slice v; null is an empty list.
func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		d.pos[ip] = d.at(item)
		d.value(item, s.Index(i), ip, rules{})
	}
	v.Set(s)
}

// join appends a key to a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", truncate(n.Value, 40))
	default:
		return "an empty document"
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
