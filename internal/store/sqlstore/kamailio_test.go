package sqlstore

import (
	"strings"
	"testing"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// TestUpgrade puts a database back to Kamailio 4.4's location (8) and
// subscriber (6) versions, with the narrower columns of then, and checks
// that Migrate brings it to 9 and 7, and refuses a version it does not
// know.
func TestUpgrade(t *testing.T) {
	narrow := map[string][]string{
		"mysql": {"ALTER TABLE location MODIFY contact VARCHAR(255) DEFAULT '' NOT NULL",
			"ALTER TABLE subscriber MODIFY password VARCHAR(25) DEFAULT '' NOT NULL",
			"ALTER TABLE subscriber ADD email_address VARCHAR(64) DEFAULT '' NOT NULL",
			"DROP INDEX tcpcon_idx ON location"},
		"postgres": {"ALTER TABLE location ALTER COLUMN contact TYPE VARCHAR(255)",
			"ALTER TABLE subscriber ALTER COLUMN password TYPE VARCHAR(25)",
			"ALTER TABLE subscriber ADD email_address VARCHAR(64) DEFAULT '' NOT NULL",
			"DROP INDEX location_tcpcon_idx"},
		"sqlite": {"DROP INDEX location_tcpcon_idx"},
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s, ctx := migratedStore(t, engine), t.Context()
			downgrade := append(narrow[engine],
				"UPDATE version SET table_version = 8 WHERE table_name = 'location'",
				"UPDATE version SET table_version = 6 WHERE table_name = 'subscriber'")
			for _, q := range downgrade {
				if _, err := s.w.db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate from 8 and 6: %v", err)
			}
			v, err := s.SchemaVersions(ctx)
			if err != nil || v["location"] != 9 || v["subscriber"] != 7 {
				t.Fatalf("versions %v, %v; want location 9, subscriber 7", v, err)
			}
			long := store.Binding{AOR: store.AOR{User: "a"}, Contact: "sip:" + strings.Repeat("x", 500), Expires: time.Now().Add(time.Hour)}
			if err := s.Update(ctx, long.AOR, []store.Binding{long}, nil); err != nil {
				t.Errorf("a 504-character contact after the upgrade: %v", err)
			}
			sub := store.NewSubscriber(store.AOR{User: "a", Domain: "d"}, strings.Repeat("p", 40), true)
			if err := s.Put(ctx, sub); err != nil {
				t.Errorf("a 40-character password after the upgrade: %v", err)
			}
			if _, err := s.w.db.ExecContext(ctx, "UPDATE version SET table_version = 10 WHERE table_name = 'location'"); err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "newer") {
				t.Errorf("migrate over location 10: %v; want a refusal", err)
			}
		})
	}
}

// TestKamailioRow reads a row written the way Kamailio's usrloc writes
// it with use_domain=0 (NULL domain, received, socket and methods, text
// times) and refreshes it by its own ruid.
func TestKamailioRow(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := openStore(t, freshDSN(t, engine), store.Options{ServerID: 3})
			ctx := t.Context()
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			expires := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
			_, err := s.w.db.ExecContext(ctx, s.d.rebind(`INSERT INTO location
				(ruid, username, contact, expires, q, callid, cseq, last_modified, user_agent, instance, reg_id)
				VALUES ('uloc-5f3a-1234-1', 'kam', 'sip:kam@192.0.2.1:5060', ?, -1, 'cid@host', 7, ?, 'Kamailio UA', NULL, 0)`),
				expires.Format(sqlTimeLayout), expires.Add(-time.Hour).Format(sqlTimeLayout))
			if err != nil {
				t.Fatal(err)
			}
			aor := store.AOR{User: "kam"}
			got, err := s.Bindings(ctx, aor, time.Now())
			if err != nil || len(got) != 1 {
				t.Fatalf("bindings: %v, %v; want Kamailio's row", got, err)
			}
			b := got[0]
			if b.RUID != "uloc-5f3a-1234-1" || b.AOR != aor || !b.Expires.Equal(expires) || b.Q != store.QUnset ||
				b.Methods != 0 || b.Received != "" || b.Keepalive || b.CSeq != 7 {
				t.Errorf("read %+v", b)
			}
			b.Expires, b.CSeq = expires.Add(time.Hour), 8
			if err := s.Update(ctx, aor, []store.Binding{b}, nil); err != nil {
				t.Fatal(err)
			}
			all, err := s.List(ctx, &aor, 0)
			if err != nil || len(all) != 1 || all[0].CSeq != 8 || all[0].RUID != b.RUID {
				t.Errorf("after the refresh: %+v, %v; want the one row, cseq 8", all, err)
			}
		})
	}
}
