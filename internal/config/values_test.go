package config

import (
	"strings"
	"testing"
)

func TestHostPortUnmarshal(t *testing.T) {
	tests := []struct {
		name, in string
		want     HostPort
		wantErr  string
	}{
		{name: "ipv4", in: "127.0.0.1:5060", want: HostPort{"127.0.0.1", 5060}},
		{name: "ipv6", in: "[::1]:5060", want: HostPort{"::1", 5060}},
		{name: "ipv6 zone", in: "[fe80::1%eth0]:5060", want: HostPort{"fe80::1%eth0", 5060}},
		{name: "dns name", in: "sip.example.com:5061", want: HostPort{"sip.example.com", 5061}},
		{name: "every interface", in: ":5060", want: HostPort{"", 5060}},
		{name: "kernel picks the port", in: "127.0.0.1:0", want: HostPort{"127.0.0.1", 0}},
		{name: "no port", in: "127.0.0.1", wantErr: "missing port"},
		{name: "bare ipv6", in: "::1:5060", wantErr: "too many colons"},
		{name: "port too big", in: "h:65536", wantErr: "port must be a number"},
		{name: "named port", in: "h:sip", wantErr: "port must be a number"},
		{name: "underscore host", in: "a_b:1", wantErr: "neither an IP"},
		{name: "label starts with hyphen", in: "-a.example:1", wantErr: "neither an IP"},
		{name: "label too long", in: strings.Repeat("a", 64) + ":1", wantErr: "neither an IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got HostPort
			err := got.UnmarshalText([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("UnmarshalText(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("UnmarshalText(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
		})
	}
}

func TestHostPortWildcard(t *testing.T) {
	for in, want := range map[string]bool{
		":5060": true, "0.0.0.0:5060": true, "[::]:5060": true,
		"127.0.0.1:5060": false, "example.com:5060": false,
	} {
		var h HostPort
		if err := h.UnmarshalText([]byte(in)); err != nil {
			t.Fatal(err)
		}
		if h.IsWildcard() != want {
			t.Errorf("%q IsWildcard() = %v, want %v", in, !want, want)
		}
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		in, scheme string
		ok         bool
	}{
		{"sqlite:./sipfleet-data/sipfleet.db", "sqlite", true},
		{"sqlite:///var/lib/sipfleet.db", "sqlite", true},
		{"mysql://root@127.0.0.1:3306/test", "mysql", true},
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres", true},
		{"sqlite:", "", false},
		{"mysql://root:pw@127.0.0.1/", "", false},
		{"postgres:///db", "", false},
		{"redis://127.0.0.1/0", "", false},
		{"%zz", "", false},
	}
	for _, tt := range tests {
		var d DSN
		err := d.UnmarshalText([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("UnmarshalText(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error %q shows the password", err)
		}
		if tt.ok && d.Scheme() != tt.scheme {
			t.Errorf("%q Scheme() = %q, want %q", tt.in, d.Scheme(), tt.scheme)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"listen", "listen", 0}, {"linsten", "listen", 1},
		{"fromat", "format", 2}, {"", "abc", 3}, {"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
