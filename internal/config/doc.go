// Package config loads sipfleet's YAML configuration strictly: an unknown key
// is an error, and every problem in a file is reported at once as
// "file:line: key.path: problem", the way Caddy and CoreDNS report theirs.
//
// It walks the yaml.v3 node tree against the Go structs itself instead of
// calling yaml.Unmarshal, because Unmarshal stops at the first problem (or
// gathers only type errors), drops the key paths, and with KnownFields
// reports unknown keys one at a time. The walk is generic: struct fields are
// found through their `yaml` tags, and the `default` and `validate` tags
// (required, min, max, oneof) say the rest; cross-field rules live in
// validate methods beside the types they check.
//
// The package is a leaf: it imports no other sipfleet package, so that every
// layer may use its value types (HostPort, DSN, Side, Proto).
package config
