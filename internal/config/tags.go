package config

import (
	"fmt"
	"reflect"
	"strings"
)

// field is one struct field the loader fills, read from its tags.
type field struct {
	key        string // the YAML key
	index      int
	def        string // the default, in YAML form
	hasDefault bool
	rules      rules
}

// rules are the checks of a `validate` tag.
type rules struct {
	required bool
	min, max string // in the field's own notation: "1", "500ms"
	oneof    []string
}

// fieldsOf lists the fields of a struct type that have a `yaml` tag. A
// malformed tag is a bug in this package, caught by its tests, so it
// panics rather than reaching a user as a config error.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !sf.IsExported() {
			continue
		}
		def, hasDefault := sf.Tag.Lookup("default")
		r, err := parseRules(sf.Tag.Get("validate"))
		if err != nil {
			panic(fmt.Sprintf("config: field %s.%s: %v", t.Name(), sf.Name, err))
		}
		fs = append(fs, field{key: key, index: i, def: def, hasDefault: hasDefault, rules: r})
	}
	return fs
}

func parseRules(tag string) (rules, error) {
	var r rules
	if tag == "" {
		return r, nil
	}
	for rule := range strings.SplitSeq(tag, ",") {
		name, arg, _ := strings.Cut(rule, "=")
		switch name {
		case "required":
			r.required = true
		case "min":
			r.min = arg
		case "max":
			r.max = arg
		case "oneof":
			r.oneof = strings.Fields(arg)
		default:
			return r, fmt.Errorf("unknown validate rule %q", rule)
		}
	}
	return r, nil
}

// lookupField finds the field for a key; keys match exactly, since a
// config that spells a key two ways is harder to grep.
func lookupField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}
