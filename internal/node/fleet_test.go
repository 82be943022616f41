package node

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sipfleet/sipfleet/internal/config"
)

func TestForRole(t *testing.T) {
	listeners := config.Listeners{
		{Name: "any"}, {Name: "pub", Role: config.RoleLB}, {Name: "priv", Role: config.RoleLB},
		{Name: "reg", Role: config.RoleRegistrar}, {Name: "prx", Role: config.RoleProxy},
	}
	tests := []struct {
		role string
		want []string
	}{
		{config.RoleLB, []string{"any", "pub", "priv"}},
		{config.RoleRegistrar, []string{"any", "reg"}},
		{config.RoleProxy, []string{"any", "prx"}},
		{config.RoleNATPing, nil},
	}
	cfg := &config.Config{Listeners: listeners, Registrar: &config.Registrar{Domain: "example.com"}}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			got := forRole(cfg, tt.role)
			var names []string
			for _, l := range got.Listeners {
				names = append(names, l.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("listeners %v, want %v", names, tt.want)
			}
			if got.Registrar != cfg.Registrar {
				t.Error("the role sections are not the file's")
			}
		})
	}
	if len(cfg.Listeners) != len(listeners) {
		t.Error("forRole changed the config it was given")
	}
}

// registrarConfig is a registrar on a kernel-chosen loopback port.
func registrarConfig(t *testing.T, dsn string, id int) *config.Config {
	t.Helper()
	cfg, err := config.Parse(fmt.Sprintf("registrar-%d.yaml", id), fmt.Appendf(nil, `admin:
  listen: 127.0.0.1:0
listeners:
  - name: private
    side: private
    listen: 127.0.0.1:0
registrar:
  db: %q
  server_id: %d
  secret: the-fleet-shares-this-secret
`, dsn, id))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestNewFleetMembers: two registrars in one node, each on its own
// socket, behind one management listener whose metrics tell them apart.
func TestNewFleetMembers(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "fleet.db")
	n, err := NewFleet([]Member{
		{Name: "registrar-1", Config: registrarConfig(t, dsn, 1)},
		{Name: "registrar-2", Config: registrarConfig(t, dsn, 2)},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := n.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	if len(n.roles) != 2 {
		t.Fatalf("%d roles, want 2", len(n.roles))
	}
	rec := httptest.NewRecorder()
	n.admin.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`sipfleet_registrar_requests_total{member="registrar-1"}`,
		`sipfleet_registrar_requests_total{member="registrar-2"}`,
		`member="registrar-1",role="registrar"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := n.Reload(ctx); err == nil {
		t.Error("a fleet reloaded, though it was not read from one file")
	}
}

func TestNewFleetRefuses(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "fleet.db")
	tests := []struct {
		name    string
		members []Member
		want    string
	}{
		{"none", nil, "at least one member"},
		{"unnamed", []Member{{Config: registrarConfig(t, dsn, 1)}}, "needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewFleet(tt.members, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestNewOnlyRoles: Options.Roles picks roles out of a file that has
// more, and asking for one it lacks is an error.
func TestNewOnlyRoles(t *testing.T) {
	cfg := registrarConfig(t, "sqlite:"+filepath.Join(t.TempDir(), "x.db"), 1)
	cfg.NATPing = &config.NATPing{}
	n, err := New(cfg, Options{Roles: []string{config.RoleRegistrar}})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.roles) != 1 || n.roles[0].name() != config.RoleRegistrar {
		t.Errorf("roles %v, want the registrar alone", n.roles)
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	if _, err := New(cfg, Options{Roles: []string{config.RoleLB}}); err == nil || !strings.Contains(err.Error(), "no lb section") {
		t.Errorf("error %v, want no lb section", err)
	}
}
