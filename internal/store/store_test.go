package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

func TestHA1(t *testing.T) {
	tests := []struct{ name, user, realm, password, alg, want string }{
		{"RFC 2617 §3.5", "Mufasa", "testrealm@host.com", "Circle Of Life", store.MD5, "939e7578ed9e3c518a452acee763bce9"},
		{"RFC 7616 §3.9.1", "Mufasa", "http-auth@example.org", "Circle of Life", store.SHA256, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.HA1(tt.user, tt.realm, tt.password, tt.alg)
			if err != nil || got != tt.want {
				t.Errorf("HA1 = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := store.HA1("u", "r", "p", "SHA-512-256"); err == nil {
		t.Error("unknown algorithm: no error")
	}
}

func TestNewSubscriber(t *testing.T) {
	aor := store.AOR{User: "alice", Domain: "example.com"}
	want := store.Subscriber{User: "alice", Domain: "example.com", Password: "s3cret",
		HA1: "d2d0c8958e1b1c2b989afda0efb9663e", HA1B: "bd29b5fa6d5950d315d827af71f63c91"}
	if got := store.NewSubscriber(aor, "s3cret", true); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
	want.Password = ""
	if got := store.NewSubscriber(aor, "s3cret", false); got != want {
		t.Errorf("hashes only: got %+v; want %+v", got, want)
	}
}

func TestRUID(t *testing.T) {
	alice := store.AOR{User: "alice", Domain: "example.com"}
	base := store.RUID(alice, "sip:alice@192.0.2.4", "", 0)
	if !strings.HasPrefix(base, store.RUIDPrefix) || len(base) != len(store.RUIDPrefix)+32 {
		t.Fatalf("ruid %q: want sf- and 32 hex digits", base)
	}
	const inst = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"stable", base, store.RUID(alice, "sip:alice@192.0.2.4", "", 0), true},
		{"domain without case", base, store.RUID(store.AOR{User: "alice", Domain: "EXAMPLE.com"}, "sip:alice@192.0.2.4", "", 0), true},
		{"user with case", base, store.RUID(store.AOR{User: "Alice", Domain: "example.com"}, "sip:alice@192.0.2.4", "", 0), false},
		{"another contact", base, store.RUID(alice, "sip:alice@192.0.2.5", "", 0), false},
		{"another aor", base, store.RUID(store.AOR{User: "bob", Domain: "example.com"}, "sip:alice@192.0.2.4", "", 0), false},
		{"instance without reg-id is the contact", base, store.RUID(alice, "sip:alice@192.0.2.4", inst, 0), true},
		{"outbound flow ignores the contact", store.RUID(alice, "sip:a@1", inst, 1), store.RUID(alice, "sip:a@2", inst, 1), true},
		{"another reg-id", store.RUID(alice, "sip:a@1", inst, 1), store.RUID(alice, "sip:a@1", inst, 2), false},
		{"fields do not run together", store.RUID(store.AOR{User: "a", Domain: "bc"}, "x", "", 0), store.RUID(store.AOR{User: "ab", Domain: "c"}, "x", "", 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.a == tt.b) != tt.same {
				t.Errorf("%q and %q: same %v; want %v", tt.a, tt.b, tt.a == tt.b, tt.same)
			}
		})
	}
}

func TestPartitionOf(t *testing.T) {
	counts := make([]int, store.DefaultPartitions)
	for i := range 6400 {
		p := store.PartitionOf(store.RUID(store.AOR{User: "u"}, fmt.Sprintf("sip:u%d@192.0.2.1", i), "", 0), store.DefaultPartitions)
		counts[p]++
	}
	for p, n := range counts {
		if n < 50 || n > 150 {
			t.Errorf("partition %d holds %d of 6400; want about 100", p, n)
		}
	}
	if got := store.PartitionOf("uloc-5f3a-1", 64); got != store.PartitionOf("uloc-5f3a-1", 64) || got < 0 || got >= 64 {
		t.Errorf("partition of a Kamailio ruid: %d", got)
	}
	if got := store.PartitionOf("x", 0); got != 0 {
		t.Errorf("partition among 0: %d; want 0", got)
	}
}

func TestAOR(t *testing.T) {
	tests := []struct {
		in   string
		want store.AOR
		str  string
	}{
		{"alice@example.com", store.AOR{User: "alice", Domain: "example.com"}, "alice@example.com"},
		{"sip:alice@example.com", store.AOR{User: "alice", Domain: "example.com"}, "alice@example.com"},
		{"sips:alice@example.com", store.AOR{User: "alice", Domain: "example.com"}, "alice@example.com"},
		{"alice", store.AOR{User: "alice"}, "alice"},
		{"a@b@example.com", store.AOR{User: "a@b", Domain: "example.com"}, "a@b@example.com"},
	}
	for _, tt := range tests {
		got := store.ParseAOR(tt.in)
		if got != tt.want || got.String() != tt.str {
			t.Errorf("ParseAOR(%q) = %+v (%s); want %+v (%s)", tt.in, got, got, tt.want, tt.str)
		}
	}
}

func TestBindingLive(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		expires time.Time
		live    bool
	}{
		{"permanent", time.Time{}, true},
		{"later", now.Add(time.Second), true},
		{"now", now, false},
		{"earlier", now.Add(-time.Second), false},
	}
	for _, tt := range tests {
		if got := (store.Binding{Expires: tt.expires}).Live(now); got != tt.live {
			t.Errorf("%s: live %v; want %v", tt.name, got, tt.live)
		}
	}
}
