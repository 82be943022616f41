package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Load reads and checks the config file at path. On problems in the file
// the error is Errors, listing every one of them; other failures, such as
// an unreadable file, are plain wrapped errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse checks the config in data; name is the file name errors carry. An
// empty document is a valid config of defaults. The error, if any, is
// Errors.
func Parse(name string, data []byte) (*Config, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	d := newDecoder(name)
	d.pos[""] = d.at(root)
	var c Config
	v := reflect.ValueOf(&c).Elem()
	d.value(root, v, "", rules{})
	d.decoded = len(d.errs)
	d.check(v, "")
	if len(d.errs) > 0 {
		return nil, d.result()
	}
	return &c, nil
}

// parseYAML returns the top node of the file's single document: a file
// with several documents is refused, since only the first would count.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, nil
	case err != nil:
		return nil, Errors{syntaxError(name, err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, Errors{syntaxError(name, err)}
	default:
		return nil, Errors{{
			Pos: Pos{File: name, Line: next.Line, Column: next.Column},
			Msg: "a config file holds one YAML document; remove the second \"---\"",
		}}
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, nil
	}
	return doc.Content[0], nil
}

var yamlLine = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 error, which carries its line in its text,
// into an Error.
func syntaxError(name string, err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Pos: Pos{File: name, Line: line}, Msg: m[2]}
	}
	return &Error{Pos: Pos{File: name}, Msg: strings.TrimPrefix(msg, "yaml: ")}
}
