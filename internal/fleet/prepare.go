package fleet

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sipfleet/sipfleet/internal/node"
	"github.com/sipfleet/sipfleet/internal/store"
)

// Write creates the data directory and writes the plan's files into it,
// readable by the owner only: the configs hold the fleet's secret.
func (p *Plan) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	for _, f := range p.Files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	return nil
}

// Credential is a user PrepareDB made, with its password in the clear.
type Credential struct {
	User, Domain, Password string
}

// PrepareDB creates or upgrades the tables, then gives each of demo
// (user names) a new random password in the fleet's domain, adding the
// user if it is missing: a second `up --demo` prints working passwords
// again instead of ones it no longer knows.
func (p *Plan) PrepareDB(ctx context.Context, demo []string) ([]Credential, error) {
	db, err := node.OpenStore(ctx, p.DSN, store.Options{MaxConns: 1})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", p.DSN, err)
	}
	var creds []Credential
	for _, user := range demo {
		c := Credential{User: user, Domain: p.Domain, Password: Password()}
		aor := store.AOR{User: c.User, Domain: c.Domain}
		// Kept in the clear too, as `sipfleet user add` does, so that
		// SHA-256 digest works for the demo users as well.
		if err := db.Put(ctx, store.NewSubscriber(aor, c.Password, true)); err != nil {
			return nil, fmt.Errorf("add %s: %w", aor, err)
		}
		creds = append(creds, c)
	}
	return creds, nil
}

// passwordAlphabet leaves out the characters that read alike (0 O o, 1 l
// I), since a demo password is typed from the terminal into a phone.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// Password is a random password of 12 characters from passwordAlphabet,
// about 70 bits.
func Password() string {
	return randomString(12)
}

// Secret is a random nonce-signing secret for the fleet's registrars and
// proxies.
func Secret() string {
	return randomString(32)
}

// randomString draws n symbols of passwordAlphabet, rejecting the bytes
// past the alphabet's last whole multiple so that every symbol is equally
// likely.
func randomString(n int) string {
	limit := byte(256 / len(passwordAlphabet) * len(passwordAlphabet))
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails (Go 1.24)
		for _, c := range buf {
			if c < limit && len(out) < n {
				out = append(out, passwordAlphabet[int(c)%len(passwordAlphabet)])
			}
		}
	}
	return string(out)
}
