package node

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sipfleet/sipfleet/internal/config"
	"github.com/sipfleet/sipfleet/internal/store"
)

// TestLoadListFromDB: the LB reads Kamailio's dispatcher table as it
// reads a dispatcher.list file.
func TestLoadListFromDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fleet.db")
	dsn := "sqlite:" + path
	ctx := context.Background()
	s, err := OpenStore(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, r := range []struct {
		set  int
		dst  string
		prio int
		attr string
	}{{1, "sip:127.0.0.1:5071", 0, "weight=50"}, {1, "sip:127.0.0.1:5072", 0, ""}, {2, "sip:127.0.0.1:5081", 10, "duid=reg1"}} {
		_, err := db.Exec(`INSERT INTO dispatcher (setid, destination, flags, priority, attrs, description) VALUES (?, ?, 0, ?, ?, '')`,
			r.set, r.dst, r.prio, r.attr)
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := loadList(ctx, &config.LB{DispatcherDB: config.DSN(dsn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Entries) != 3 || list.Entries[2].SetID != 2 || list.Entries[2].Attrs.DUID != "reg1" || list.Entries[0].Attrs.Weight != 50 {
		t.Fatalf("entries %+v", list.Entries)
	}
	if _, err := loadList(ctx, &config.LB{DispatcherDB: config.DSN("sqlite:" + filepath.Join(t.TempDir(), "none", "x.db"))}); err == nil {
		t.Fatal("a missing database loaded")
	}
}
