package config

import (
	"encoding"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// scalar reports whether n holds a single value, and says what it expected
// when it does not; null counts as missing.
func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	switch {
	case isNull(n):
		d.errorf(n, path, "missing value: expected %s", want)
		return false
	case n.Kind != yaml.ScalarNode:
		d.errorf(n, path, "expected %s, got %s", want, describe(n))
		return false
	}
	return true
}

// text decodes a value type that parses itself (HostPort, DSN); its error
// says what is wrong in its own words.
func (d *decoder) text(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "a single value") {
		return
	}
	u := v.Addr().Interface().(encoding.TextUnmarshaler)
	if err := u.UnmarshalText([]byte(n.Value)); err != nil {
		d.errorf(n, path, "%s", err.Error())
	}
}

func (d *decoder) string(n *yaml.Node, v reflect.Value, path string, r rules) {
	if !d.scalar(n, path, "a string") {
		return
	}
	s := n.Value
	switch {
	case r.required && s == "":
		d.errorf(n, path, "must not be empty")
	case len(r.oneof) > 0 && !slices.Contains(r.oneof, s):
		d.errorf(n, path, "%q is not one of: %s", truncate(s, 40), strings.Join(r.oneof, ", "))
	default:
		v.SetString(s)
	}
}

func (d *decoder) bool(n *yaml.Node, v reflect.Value, path string) {
	if !d.scalar(n, path, "true or false") {
		return
	}
	var b bool
	if n.Tag != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, path, "expected true or false, got %s", describe(n))
		return
	}
	v.SetBool(b)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string, r rules) {
	if !d.scalar(n, path, "a duration") {
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, "bad duration %q: want a number with a unit, as in 500ms or 2s", truncate(n.Value, 40))
		return
	}
	lo, hi := durationBound(r.min), durationBound(r.max)
	if (lo != nil && dur < *lo) || (hi != nil && dur > *hi) {
		d.errorf(n, path, "%s", outOfRange(dur, r))
		return
	}
	v.SetInt(int64(dur))
}

func durationBound(s string) *time.Duration {
	if s == "" {
		return nil
	}
	b, err := time.ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("config: bad duration bound %q", s))
	}
	return &b
}

// int decodes any integer kind. It works in big.Int so that a value too
// large for the field, or for int64 itself, is reported as out of range
// rather than as not a number.
func (d *decoder) int(n *yaml.Node, v reflect.Value, path string, r rules) {
	if !d.scalar(n, path, "an integer") {
		return
	}
	x, ok := yamlInt(n)
	if !ok {
		d.errorf(n, path, "expected an integer, got %s", describe(n))
		return
	}
	lo, hi := intBound(r.min), intBound(r.max)
	if (lo != nil && x.Cmp(lo) < 0) || (hi != nil && x.Cmp(hi) > 0) {
		d.errorf(n, path, "%s", outOfRange(x, r))
		return
	}
	if lo, hi := kindRange(v.Kind()); x.Cmp(lo) < 0 || x.Cmp(hi) > 0 {
		d.errorf(n, path, "must be between %v and %v, not %v", lo, hi, x)
		return
	}
	if isUint(v.Kind()) {
		v.SetUint(x.Uint64())
	} else {
		v.SetInt(x.Int64())
	}
}

// yamlInt reads an integer in the notation yaml.v3 resolves as one
// (decimal, 0x, 0o, underscores between digits). yaml.v3 tags an integer
// beyond 64 bits !!float, so digits under that tag count as an integer too.
func yamlInt(n *yaml.Node) (*big.Int, bool) {
	if n.Tag != "!!int" && n.Tag != "!!float" {
		return nil, false
	}
	return new(big.Int).SetString(n.Value, 0)
}

func intBound(s string) *big.Int {
	if s == "" {
		return nil
	}
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(fmt.Sprintf("config: bad integer bound %q", s))
	}
	return b
}

// kindRange is the range of values an integer kind can hold.
func kindRange(k reflect.Kind) (lo, hi *big.Int) {
	bits := map[reflect.Kind]uint{
		reflect.Int: 64, reflect.Int8: 8, reflect.Int16: 16, reflect.Int32: 32, reflect.Int64: 64,
		reflect.Uint: 64, reflect.Uint8: 8, reflect.Uint16: 16, reflect.Uint32: 32, reflect.Uint64: 64, reflect.Uintptr: 64,
	}[k]
	one := big.NewInt(1)
	if isUint(k) {
		return new(big.Int), new(big.Int).Sub(new(big.Int).Lsh(one, bits), one)
	}
	hi = new(big.Int).Sub(new(big.Int).Lsh(one, bits-1), one)
	return new(big.Int).Neg(new(big.Int).Add(hi, one)), hi
}

func isInt(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Int64
}

func isUint(k reflect.Kind) bool {
	return k >= reflect.Uint && k <= reflect.Uintptr
}

// outOfRange words a range violation for a value with min/max rules.
func outOfRange(v any, r rules) string {
	switch {
	case r.min != "" && r.max != "":
		return fmt.Sprintf("must be between %s and %s, not %v", r.min, r.max, v)
	case r.min != "":
		return fmt.Sprintf("must be at least %s, not %v", r.min, v)
	default:
		return fmt.Sprintf("must be at most %s, not %v", r.max, v)
	}
}
