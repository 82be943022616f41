package cli_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/cli"
	"github.com/sipfleet/sipfleet/internal/store"
)

func TestContactsList(t *testing.T) {
	db := migrated(t)
	s := openDB(t, db)
	now := time.Now()
	alice := store.AOR{User: "alice", Domain: "example.com"}
	bob := store.AOR{User: "bob", Domain: "example.com"}
	put := func(aor store.AOR, b store.Binding) {
		b.AOR = aor
		if err := s.Update(t.Context(), aor, []store.Binding{b}, nil); err != nil {
			t.Fatal(err)
		}
	}
	put(alice, store.Binding{Contact: "sip:alice@192.0.2.4:5060", Expires: now.Add(time.Hour + 2*time.Second),
		Received: "sip:198.51.100.7:40000", Path: "<sip:lb;lr>", UserAgent: "Phone 1", Instance: "<urn:uuid:1>", RegID: 1})
	put(alice, store.Binding{Contact: "sip:alice@192.0.2.5", Expires: now.Add(-time.Minute)})
	put(bob, store.Binding{Contact: "sip:bob@192.0.2.9"})
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // lines of stdout, in order, each as a prefix after spaces collapse
		stderr   string
	}{
		{"all", []string{"contacts", "list", "--db", db}, cli.ExitOK, []string{
			"AOR CONTACT EXPIRES IN RECEIVED PATH USER AGENT INSTANCE",
			"alice@example.com sip:alice@192.0.2.4:5060 1h0m", // a second or two may pass
			"alice@example.com sip:alice@192.0.2.5 expired - - - -",
			"bob@example.com sip:bob@192.0.2.9 never - - - -",
		}, ""},
		{"one aor", []string{"contacts", "list", "--db", db, "sip:bob@example.com"}, cli.ExitOK, []string{
			"AOR CONTACT EXPIRES IN RECEIVED PATH USER AGENT INSTANCE",
			"bob@example.com sip:bob@192.0.2.9 never - - - -",
		}, ""},
		{"limit", []string{"contacts", "list", "--limit", "1", "--db", db}, cli.ExitOK, []string{
			"AOR CONTACT EXPIRES IN RECEIVED PATH USER AGENT INSTANCE",
			"alice@example.com sip:alice@192.0.2.4:5060",
		}, ""},
		{"config", []string{"contacts", "list", "--config", configWith(t, "proxy", db), "nobody@example.com"}, cli.ExitOK, []string{
			"AOR CONTACT EXPIRES IN RECEIVED PATH USER AGENT INSTANCE",
		}, ""},
		{"two aors", []string{"contacts", "list", "--db", db, "a@b", "c@d"}, cli.ExitUsage, nil, `unexpected argument "c@d"`},
		{"no subcommand", []string{"contacts", "--db", db}, cli.ExitUsage, nil, "missing subcommand: list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errOut, tt.wantCode, tt.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != len(tt.want) {
				t.Fatalf("stdout:\n%s\nwant %d lines", out, len(tt.want))
			}
			for i, w := range tt.want {
				if got := strings.Join(strings.Fields(lines[i]), " "); !strings.HasPrefix(got, w) {
					t.Errorf("line %d: %q; want it to start %q", i+1, got, w)
				}
			}
		})
	}
	_, out, _ := run(t, "", "contacts", "list", "--db", db, "alice@example.com")
	if want := "sip:198.51.100.7:40000 <sip:lb;lr> Phone 1 <urn:uuid:1>"; !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
		t.Errorf("alice's bindings lack %q:\n%s", want, out)
	}
}
