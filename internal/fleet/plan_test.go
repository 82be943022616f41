package fleet

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/node"
	"github.com/sipfleet/sipfleet/internal/store"
)

const testSecret = "a-secret-of-sixteen-or-more"

func TestNewPlanLayout(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name       string
		opt        Options
		advertise  string
		private    netip.AddrPort
		proxies    []netip.AddrPort
		registrars []netip.AddrPort
	}{
		{
			name: "defaults", opt: Options{},
			advertise: "127.0.0.1:5060", private: ap("127.0.0.1:5070"),
			proxies:    []netip.AddrPort{ap("127.0.0.1:5071"), ap("127.0.0.1:5072")},
			registrars: []netip.AddrPort{ap("127.0.0.1:5081"), ap("127.0.0.1:5082")},
		},
		{
			name: "own loopback address", opt: Options{Listen: ap("127.0.0.9:40000")},
			advertise: "127.0.0.9:40000", private: ap("127.0.0.9:40010"),
			proxies:    []netip.AddrPort{ap("127.0.0.9:40011"), ap("127.0.0.9:40012")},
			registrars: []netip.AddrPort{ap("127.0.0.9:40021"), ap("127.0.0.9:40022")},
		},
		{
			name: "every interface", opt: Options{Listen: ap("0.0.0.0:5060"), Advertise: "192.0.2.7:5060"},
			advertise: "192.0.2.7:5060", private: ap("127.0.0.1:5070"),
			proxies:    []netip.AddrPort{ap("127.0.0.1:5071"), ap("127.0.0.1:5072")},
			registrars: []netip.AddrPort{ap("127.0.0.1:5081"), ap("127.0.0.1:5082")},
		},
		{
			name: "a LAN address", opt: Options{Listen: ap("192.0.2.7:5060")},
			advertise: "192.0.2.7:5060", private: ap("127.0.0.1:5070"),
			proxies:    []netip.AddrPort{ap("127.0.0.1:5071"), ap("127.0.0.1:5072")},
			registrars: []netip.AddrPort{ap("127.0.0.1:5081"), ap("127.0.0.1:5082")},
		},
		{
			name: "ipv6", opt: Options{Listen: ap("[::]:5060"), Advertise: "[2001:db8::7]:5060"},
			advertise: "[2001:db8::7]:5060", private: ap("[::1]:5070"),
			proxies:    []netip.AddrPort{ap("[::1]:5071"), ap("[::1]:5072")},
			registrars: []netip.AddrPort{ap("[::1]:5081"), ap("[::1]:5082")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Secret = testSecret
			p, err := NewPlan(tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.Advertise != tt.advertise || p.Private != tt.private ||
				!slices.Equal(p.Proxies, tt.proxies) || !slices.Equal(p.Registrars, tt.registrars) {
				t.Errorf("advertise %s, private %s, proxies %v, registrars %v;\nwant %s, %s, %v, %v",
					p.Advertise, p.Private, p.Proxies, p.Registrars, tt.advertise, tt.private, tt.proxies, tt.registrars)
			}
		})
	}
}

// TestNewPlanMembers: each member is one role on its own sockets, the
// backends come first, the LB's destinations are the backends, and the
// registrars and proxies share the database, domain and secret.
func TestNewPlanMembers(t *testing.T) {
	dir := t.TempDir()
	p, err := NewPlan(Options{DataDir: dir, Domain: "example.com", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range p.Members {
		names = append(names, m.Name)
	}
	if want := []string{"registrar-1", "registrar-2", "proxy-1", "proxy-2", "lb"}; !slices.Equal(names, want) {
		t.Fatalf("members %v, want %v", names, want)
	}
	if p.DSN != "sqlite:"+filepath.Join(dir, "sipfleet.db") {
		t.Errorf("DSN %s", p.DSN)
	}
	for i, m := range p.Members {
		c := m.Config
		if roles := c.Roles(); len(roles) != 1 || !strings.HasPrefix(m.Name, roles[0]) {
			t.Errorf("%s runs %v", m.Name, roles)
		}
		if c.Admin.Listen.String() != "127.0.0.1:9060" {
			t.Errorf("%s: admin %s", m.Name, c.Admin.Listen)
		}
		switch {
		case c.Registrar != nil:
			r := c.Registrar
			if string(r.DB) != p.DSN || r.Domain != "example.com" || r.Secret != testSecret || r.ServerID != i+1 {
				t.Errorf("%s: %+v", m.Name, r)
			}
		case c.Proxy != nil:
			x := c.Proxy
			if string(x.DB) != p.DSN || x.Domain != "example.com" || x.Secret != testSecret || !slices.Equal(x.Edges, []string{"127.0.0.1:5070"}) {
				t.Errorf("%s: %+v", m.Name, x)
			}
		case c.LB != nil:
			if len(c.Listeners) != 3 || c.LB.DispatcherList != filepath.Join(dir, "dispatcher.list") {
				t.Errorf("lb: listeners %+v, list %s", c.Listeners, c.LB.DispatcherList)
			}
		}
	}
	list := string(fileOf(t, p, "dispatcher.list"))
	for _, want := range []string{"1 sip:127.0.0.1:5071 0 0 duid=proxy-1\n", "1 sip:127.0.0.1:5072 ", "2 sip:127.0.0.1:5081 0 0 duid=registrar-1\n", "2 sip:127.0.0.1:5082 "} {
		if !strings.Contains(list, want) {
			t.Errorf("dispatcher.list lacks %q:\n%s", want, list)
		}
	}
}

func fileOf(t *testing.T, p *Plan, name string) []byte {
	t.Helper()
	for _, f := range p.Files {
		if f.Name == name {
			return f.Content
		}
	}
	t.Fatalf("no file %s", name)
	return nil
}

func TestNewPlanRefuses(t *testing.T) {
	ap := netip.MustParseAddrPort
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"port 0", Options{Listen: ap("127.0.0.1:0"), Secret: testSecret}, "give a port"},
		{"no room", Options{Listen: ap("127.0.0.1:65520"), Secret: testSecret}, "no room"},
		{"wildcard", Options{Listen: ap("0.0.0.0:5060"), Secret: testSecret}, "advertise"},
		{"short secret", Options{Secret: "short"}, "secret"},
		{"bad domain", Options{Domain: "example.com\nlb:", Secret: testSecret}, "domain"},
		{"user in domain", Options{Domain: "alice@example.com", Secret: testSecret}, "domain"},
		{"bad advertise", Options{Listen: ap("0.0.0.0:5060"), Advertise: "nowhere", Secret: testSecret}, "advertise"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPlan(tt.opt); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one about %q", err, tt.want)
			}
		})
	}
}

// TestPrepareDB: the files are written, the tables made, and the demo
// users get fresh passwords each time, so the printed ones always work.
func TestPrepareDB(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p, err := NewPlan(Options{DataDir: dir, Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "lb.yaml")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lb.yaml: %v %v; want mode 0600", fi, err)
	}
	ctx := context.Background()
	first, err := p.PrepareDB(ctx, []string{"alice", "bob"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.PrepareDB(ctx, []string{"alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || len(second) != 1 || first[0].Password == second[0].Password {
		t.Fatalf("credentials %+v then %+v", first, second)
	}
	db, err := node.OpenStore(ctx, p.DSN, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := db.Get(ctx, "alice", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if want := store.NewSubscriber(store.AOR{User: "alice", Domain: "localhost"}, second[0].Password, true); s != want {
		t.Errorf("alice is %+v, want %+v", s, want)
	}
}

func TestPassword(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Password()
		if len(p) != 12 || strings.Trim(p, passwordAlphabet) != "" || seen[p] {
			t.Fatalf("password %q: want 12 new characters of the alphabet", p)
		}
		seen[p] = true
	}
}
