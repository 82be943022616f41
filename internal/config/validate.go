package config

import (
	"reflect"
	"strconv"
	"strings"
)

// problem is what a validate method finds: key is relative to the value
// validated ("tls_cert", "[2].name"), empty for the value itself.
type problem struct {
	key string
	msg string
}

// validator is a type with rules that span fields, checked after decoding
// and defaults.
type validator interface {
	validate() []problem
}

// check runs the validate methods of v and of everything under it. A value
// whose own keys already had errors is skipped: its rules would mostly
// report what follows from those errors.
func (d *decoder) check(v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			d.check(v.Elem(), path)
		}
		return
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			d.check(v.Field(f.index), join(path, f.key))
		}
	case reflect.Slice:
		for i := range v.Len() {
			d.check(v.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	}
	if !v.CanAddr() || d.hasErrorsUnder(path) {
		return
	}
	if val, ok := v.Addr().Interface().(validator); ok {
		for _, p := range val.validate() {
			kp := childPath(path, p.key)
			d.add(d.posOf(kp), kp, p.msg)
		}
	}
}

// hasErrorsUnder reports whether decoding found an error at path or below
// it. Problems found by validate methods do not count: they leave the
// values whole.
func (d *decoder) hasErrorsUnder(path string) bool {
	for _, e := range d.errs[:d.decoded] {
		if isUnder(e.Path, path) {
			return true
		}
	}
	return false
}

func isUnder(p, path string) bool {
	if path == "" || p == path {
		return true
	}
	rest, ok := strings.CutPrefix(p, path)
	return ok && (rest[0] == '.' || rest[0] == '[')
}

// posOf finds where a key path was written, or else where its nearest
// written parent was: a key that was left out has no line of its own.
func (d *decoder) posOf(path string) Pos {
	for path != "" {
		if p, ok := d.pos[path]; ok {
			return p
		}
		path = parentPath(path)
	}
	return d.pos[""]
}

func childPath(path, key string) string {
	if key == "" || strings.HasPrefix(key, "[") {
		return path + key
	}
	return join(path, key)
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}
