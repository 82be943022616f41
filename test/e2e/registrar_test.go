package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The registrar's end-to-end tests (issue 4, "Tests"): `sipfleet
// registrar` built from this tree on a real database (SQLite in a
// temporary file; MariaDB and PostgreSQL from SIPFLEET_TEST_MYSQL and
// SIPFLEET_TEST_POSTGRES, each test in a database of its own that it
// creates and drops), driven by SIPp and by hand-built REGISTERs, its
// bindings read back with `sipfleet contacts list` and with SQL.
//
// Loopback addresses: 127.0.0.60 to .99, apart from the other e2e tests'
// (the scenario pairs use .100 to .119, `up` .120 to .129, wire_test .130
// to .142, the LB tests .150 to .237, the proxy tests .22 to .64 and .238
// to .253). Each test names its block where it starts.

// Fixed values of the registrar tests.
const (
	regDomain   = "example.com"
	regPassword = "al1ce-pa55"
	// regSecret signs the nonces; every node of a test shares it.
	regSecret = "e2e-registrar-fleet-secret"
	// regWait bounds each wait for a response from a node.
	regWait = 5 * time.Second
	// regCLITimeout bounds one sipfleet db/user/contacts command.
	regCLITimeout = 30 * time.Second
)

// The database servers, from the environment as .ci/run sets them.
const (
	envTestMySQL    = "SIPFLEET_TEST_MYSQL"
	envTestPostgres = "SIPFLEET_TEST_POSTGRES"
)

// regDB is a database of one test: the URL sipfleet is given and a
// database/sql handle on it for checks that do not go through sipfleet.
type regDB struct {
	engine string
	dsn    string
	db     *sql.DB
}

// regServerDSN gives a server's DSN from the environment; without it the
// test is skipped, or fails in CI (CI must test every engine).
func regServerDSN(t *testing.T, engine string) string {
	t.Helper()
	env := map[string]string{"mysql": envTestMySQL, "postgres": envTestPostgres}[engine]
	if dsn := os.Getenv(env); dsn != "" {
		return dsn
	}
	if testenv.InCI() {
		t.Fatalf("%s is not set; CI must test the registrar on %s", env, engine)
	}
	t.Skipf("%s is not set; skipping (in CI this fails)", env)
	return ""
}

// regFreshDB makes an empty database for the test, dropped when it ends:
// a temporary file for SQLite, a database named sf_e2e_<random> on the
// server for MariaDB and PostgreSQL. The tables are not created; that is
// `sipfleet db migrate` (regMigrate).
func regFreshDB(t *testing.T, engine string) *regDB {
	t.Helper()
	if engine == "sqlite" {
		path := filepath.Join(t.TempDir(), "sipfleet.db")
		d := &regDB{engine: engine, dsn: "sqlite:" + path}
		d.db = regOpenSQL(t, "sqlite", path+"?_busy_timeout=5000")
		return d
	}
	base, err := url.Parse(regServerDSN(t, engine))
	if err != nil {
		t.Fatalf("%s server DSN: %v", engine, err)
	}
	admin := regOpenSQL(t, regDriver(engine), regDriverDSN(t, base))
	name := "sf_e2e_" + regRandom(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		drop := "DROP DATABASE IF EXISTS " + name
		if engine == "postgres" {
			drop += " WITH (FORCE)"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, drop); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	d := &regDB{engine: engine, dsn: u.String()}
	d.db = regOpenSQL(t, regDriver(engine), regDriverDSN(t, &u))
	return d
}

func regDriver(engine string) string {
	if engine == "mysql" {
		return "mysql"
	}
	return "pgx"
}

// regDriverDSN turns sipfleet's mysql:// URL into the MySQL driver's DSN;
// pgx takes the postgres:// URL as it is.
func regDriverDSN(t *testing.T, u *url.URL) string {
	t.Helper()
	if u.Scheme != "mysql" {
		return u.String()
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	port := u.Port()
	if port == "" {
		port = "3306"
	}
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Hostname()+":"+port, strings.TrimPrefix(u.Path, "/")
	cfg.ParseTime, cfg.Loc, cfg.Timeout = true, time.UTC, 10*time.Second
	return cfg.FormatDSN()
}

// regOpenSQL opens a small pool, closed when the test ends (before the
// database it is on is dropped: cleanups run last first).
func regOpenSQL(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	db.SetMaxOpenConns(2)
	t.Cleanup(func() { db.Close() })
	return db
}

func regRandom(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// regRow is one row of the location table, as the checks read it.
type regRow struct {
	User, Domain, Contact, Received, Path, CallID string
	CSeq, CFlags, Keepalive, ServerID             int
}

// rows reads the whole location table, in id order.
func (d *regDB) rows(t *testing.T) []regRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs, err := d.db.QueryContext(ctx, `SELECT username, COALESCE(domain, ''), contact, COALESCE(received, ''),
		COALESCE(path, ''), callid, cseq, cflags, keepalive, server_id FROM location ORDER BY id`)
	if err != nil {
		t.Fatalf("read location: %v", err)
	}
	defer rs.Close()
	var out []regRow
	for rs.Next() {
		var r regRow
		if err := rs.Scan(&r.User, &r.Domain, &r.Contact, &r.Received, &r.Path, &r.CallID, &r.CSeq,
			&r.CFlags, &r.Keepalive, &r.ServerID); err != nil {
			t.Fatalf("read location: %v", err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("read location: %v", err)
	}
	return out
}

// regCLI runs a sipfleet command to its end and returns its standard
// output; a non-zero exit fails the test.
func regCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), regCLITimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, testenv.BuildSipfleet(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sipfleet %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// regMigrate creates the tables and the subscribers, each with
// regPassword, as an operator does before starting the nodes.
func regMigrate(t *testing.T, d *regDB, users ...string) {
	t.Helper()
	if out := regCLI(t, "db", "migrate", "--db", d.dsn); !strings.Contains(out, "location 9, subscriber 7") {
		t.Fatalf("db migrate said %q", out)
	}
	for _, u := range users {
		regCLI(t, "user", "add", "--db", d.dsn, u+"@"+regDomain, regPassword)
	}
}

// regContacts is `sipfleet contacts list --db DSN [aor]`.
func regContacts(t *testing.T, d *regDB, aor string) string {
	t.Helper()
	args := []string{"contacts", "list", "--db", d.dsn}
	if aor != "" {
		args = append(args, aor)
	}
	return regCLI(t, args...)
}

// regOptions is what a test sets in a registrar's config.
type regOptions struct {
	ip           netip.Addr
	dsn          string
	auth         bool
	serverID     int           // 1 when zero
	queryTimeout time.Duration // 3s when zero
	noDomain     bool          // use_domain: false (AoRs stored without their domain)
}

// regNode is a running `sipfleet registrar`.
type regNode struct {
	t      *testing.T
	node   *testenv.Node
	sip    netip.AddrPort // its UDP socket
	admin  string         // http://IP:PORT
	client *http.Client
}

// startRegistrar writes the config and starts the node, ready once its
// /readyz (which pings the database) answers 200. The digest offers MD5
// only: SIPp 3.6 answers nothing else.
func startRegistrar(t *testing.T, o regOptions) *regNode {
	t.Helper()
	if o.serverID == 0 {
		o.serverID = 1
	}
	if o.queryTimeout == 0 {
		o.queryTimeout = 3 * time.Second
	}
	r := &regNode{t: t, sip: testenv.AddrPort(o.ip, testenv.FreeUDPPort(t, o.ip))}
	adminAddr := testenv.AddrPort(o.ip, testenv.FreeTCPPort(t, o.ip))
	r.admin = "http://" + adminAddr.String()
	cfg := fmt.Sprintf(`log:
  level: info
admin:
  listen: %s
listeners:
  - name: udp
    side: private
    proto: udp
    listen: %s
registrar:
  db: %q
  domain: %s
  server_id: %d
  auth: %t
  auth_algorithms: [MD5]
  secret: %s
  query_timeout: %s
  use_domain: %t
`, adminAddr, r.sip, o.dsn, regDomain, o.serverID, o.auth, regSecret, o.queryTimeout, !o.noDomain)
	path := testenv.WriteFile(t, fmt.Sprintf("registrar-%d.yaml", o.serverID), cfg)
	r.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	r.node = testenv.StartNode(t, r.admin+"/readyz", "registrar", "--config", path)
	return r
}

// get fetches an admin path and returns the status code and body.
func (r *regNode) get(path string) (int, string) {
	r.t.Helper()
	resp, err := r.client.Get(r.admin + path)
	if err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// counter reads sipfleet_registrar_NAME_total from /metrics.
func (r *regNode) counter(name string) int {
	r.t.Helper()
	_, body := r.get("/metrics")
	full := "sipfleet_registrar_" + name + "_total "
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, full); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				r.t.Fatalf("metric %q: %v", line, err)
			}
			return int(f)
		}
	}
	r.t.Fatalf("%s not in /metrics", strings.TrimSpace(full))
	return 0
}

// regUA is a hand-driven phone: one Call-ID, CSeq counting up, as a UA's
// REGISTERs and refreshes are (RFC 3261 §10.2.4).
type regUA struct {
	t       *testing.T
	c       *testenv.SIPClient
	user    string
	contact string
	callID  string
	tag     string
	cseq    int
	// The last challenge, answered with nc counting up (RFC 7616 §3.4:
	// a UA may reuse a nonce until it is told stale).
	challenge []byte
	nc        uint32
	password  string
}

func newRegUA(t *testing.T, ip netip.Addr, user string) *regUA {
	t.Helper()
	c := testenv.NewSIPClient(t, testenv.AddrPort(ip, 0))
	return &regUA{t: t, c: c, user: user, contact: fmt.Sprintf("sip:%s@%s", user, c.Addr()),
		callID: regRandom(8) + "@" + c.Addr().Addr().String(), tag: regRandom(4), password: regPassword}
}

// request builds the next REGISTER (CSeq counted up) with an Expires
// header and extra header lines; contact "" sends none (a query).
func (u *regUA) request(contact string, expires int, extra ...string) []byte {
	u.cseq++
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\n", regDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\n", u.c.Addr(), regRandom(6))
	fmt.Fprintf(&b, "Max-Forwards: 70\nFrom: <sip:%[1]s@%[2]s>;tag=%[3]s\nTo: <sip:%[1]s@%[2]s>\n", u.user, regDomain, u.tag)
	fmt.Fprintf(&b, "Call-ID: %s\nCSeq: %d REGISTER\n", u.callID, u.cseq)
	if contact != "" {
		fmt.Fprintf(&b, "Contact: <%s>\nExpires: %d\n", contact, expires)
	}
	for _, h := range extra {
		b.WriteString(h + "\n")
	}
	b.WriteString("User-Agent: sipfleet-e2e-ua\nContent-Length: 0\n\n")
	return testenv.CRLF(b.String())
}

// authorization answers the last challenge with the next nonce-count.
func (u *regUA) authorization() string {
	u.t.Helper()
	if u.challenge == nil {
		u.t.Fatal("no challenge to answer")
	}
	u.nc++
	v, err := auth.Answer(u.challenge, u.user, u.password, "REGISTER", "sip:"+regDomain, u.nc, regRandom(4))
	if err != nil {
		u.t.Fatalf("answer %s: %v", u.challenge, err)
	}
	return "Authorization: " + v
}

// do sends one REGISTER to a node and returns its final response; a 401
// is kept as the challenge to answer next.
func (u *regUA) do(to netip.AddrPort, msg []byte) *sip.Msg {
	u.t.Helper()
	u.c.Send(to, msg)
	m := regFinal(u.t, u.c, u.cseq)
	if m.StatusCode() == 401 {
		v, ok := m.Get(sip.HdrWWWAuthenticate)
		if !ok {
			u.t.Fatalf("401 without WWW-Authenticate:\n%s", m.Bytes())
		}
		u.challenge, u.nc = slices.Clone(v), 0
	}
	return m
}

// register registers the UA's contact with a node for expires seconds,
// answering a challenge if it gets one, and wants a 200.
func (u *regUA) register(to netip.AddrPort, expires int) *sip.Msg {
	u.t.Helper()
	var extra []string
	if u.challenge != nil {
		extra = append(extra, u.authorization())
	}
	m := u.do(to, u.request(u.contact, expires, extra...))
	if m.StatusCode() == 401 {
		m = u.do(to, u.request(u.contact, expires, u.authorization()))
	}
	if m.StatusCode() != 200 {
		u.t.Fatalf("REGISTER %s to %s: %s\n%s", u.contact, to, m.StartLine(), m.Bytes())
	}
	return m
}

// regFinal waits for the final response to CSeq cseq, skipping
// provisional responses and late answers to earlier requests.
func regFinal(t *testing.T, c *testenv.SIPClient, cseq int) *sip.Msg {
	t.Helper()
	deadline := time.Now().Add(regWait)
	for {
		b, from, err := c.Recv(time.Until(deadline))
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("no final response to CSeq %d within %s", cseq, regWait)
		}
		if err != nil {
			t.Fatal(err)
		}
		m := new(sip.Msg)
		if err := m.Parse(b); err != nil {
			t.Fatalf("unparsable message from %s: %v\n%s", from, err, b)
		}
		if seq, _, _ := m.CSeq(); !m.IsRequest() && m.StatusCode() >= 200 && int(seq) == cseq {
			return m
		}
		t.Logf("skipped while waiting for the answer to CSeq %d: %s", cseq, m.StartLine())
	}
}

// regContactsOf lists a response's Contact URIs with their parameters.
func regContactsOf(t *testing.T, m *sip.Msg) []string {
	t.Helper()
	var out []string
	if err := m.NameAddrs(sip.HdrContact, func(na sip.NameAddr) bool {
		out = append(out, string(na.Raw))
		return true
	}); err != nil {
		t.Fatalf("Contact: %v", err)
	}
	return out
}

// regSipp runs a SIPp REGISTER scenario against a registrar and wants
// every call to succeed.
func regSipp(t *testing.T, o testenv.SippOptions, calls int) *testenv.Sipp {
	t.Helper()
	o.MaxCalls, o.Rate = calls, 20
	if o.Name == "" {
		o.Name = "phone"
	}
	s := testenv.StartSipp(t, o)
	if err := waitSipp(t, s, 30*time.Second).Check(calls, 0); err != nil {
		t.Fatalf("%s: %v", o.Name, err)
	}
	return s
}

// TestRegistrarDigest (issue 4: "end-to-end with SIPp REGISTER scenarios
// (with digest) through a real socket against each database"): on a
// freshly migrated database with one subscriber, SIPp registers alice
// three times (401, then 200 to the answer), `sipfleet contacts list`
// shows the one binding, and a REGISTER with Expires 0 removes it.
// Addresses .60 to .65.
func TestRegistrarDigest(t *testing.T) {
	testenv.RequireBinary(t, "sipp")
	for i, engine := range []string{"sqlite", "mysql", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			d := regFreshDB(t, engine)
			regMigrate(t, d, "alice")
			reg := startRegistrar(t, regOptions{ip: testenv.LoopbackIP(t, 60+2*i), dsn: d.dsn, auth: true})
			phone := testenv.SippOptions{Scenario: Scenario(t, "uac_register_auth"), Remote: reg.sip,
				Local: testenv.LoopbackIP(t, 61+2*i), Service: "alice", AuthPass: regPassword, AuthURI: regDomain,
				Keys: map[string]string{"domain": regDomain, "expires": "300"}}
			phone.Port = testenv.FreeUDPPort(t, phone.Local)
			const calls = 3
			s := regSipp(t, phone, calls)

			contact := fmt.Sprintf("sip:alice@%s;transport=UDP", s.Addr())
			if out := regContacts(t, d, "alice@"+regDomain); !strings.Contains(out, contact) || !strings.Contains(out, "sipfleet-e2e") {
				t.Errorf("contacts list alice@%s lacks %s:\n%s", regDomain, contact, out)
			}
			rows := d.rows(t)
			if len(rows) != 1 || rows[0].User != "alice" || rows[0].Domain != regDomain || rows[0].Contact != contact {
				t.Errorf("location holds %+v; want alice's one binding %s", rows, contact)
			}
			if got := reg.counter("challenged"); got != calls {
				t.Errorf("challenged %d REGISTERs, want %d", got, calls)
			}

			phone.Keys = map[string]string{"domain": regDomain, "expires": "0"}
			phone.Name = "phone-unregister"
			regSipp(t, phone, 1)
			if out := regContacts(t, d, ""); strings.Contains(out, "alice") {
				t.Errorf("after Expires 0, contacts list still shows alice:\n%s", out)
			}
			if rows := d.rows(t); len(rows) != 0 {
				t.Errorf("after Expires 0 the location table holds %+v", rows)
			}
			if got := reg.counter("registered"); got != calls+1 {
				t.Errorf("registered %d REGISTERs, want %d", got, calls+1)
			}
		})
	}
}

// TestRegistrarChallengeShape (issue 4: "Wrong password, unknown user and
// malformed credentials all get the same 401/403 shape"): the answers to
// no credentials, a wrong password, an unknown user and credentials with
// a forged nonce are the same response byte for byte once the nonce, the
// To tag and what the request itself carried are blanked out. Addresses
// .66 and .67.
func TestRegistrarChallengeShape(t *testing.T) {
	t.Parallel()
	d := regFreshDB(t, "sqlite")
	regMigrate(t, d, "alice")
	reg := startRegistrar(t, regOptions{ip: testenv.LoopbackIP(t, 66), dsn: d.dsn, auth: true})
	ip := testenv.LoopbackIP(t, 67)

	// Every case starts from a fresh challenge, as a UA that was just
	// challenged does.
	cases := []struct {
		name, user string
		creds      func(u *regUA) string
	}{
		{"no credentials", "alice", nil},
		{"wrong password", "alice", func(u *regUA) string { u.password = "wrong-" + regPassword; return u.authorization() }},
		{"unknown user", "mallory", func(u *regUA) string { return u.authorization() }},
		{"forged nonce", "alice", func(u *regUA) string {
			return `Authorization: Digest username="alice", realm="` + regDomain + `", nonce="` +
				strings.Repeat("A", 36) + `", uri="sip:` + regDomain + `", response="` + strings.Repeat("0", 32) +
				`", algorithm=MD5, qop=auth, nc=00000001, cnonce="abcd"`
		}},
		{"malformed", "alice", func(u *regUA) string { return `Authorization: Digest username="alice", realm=` }},
	}
	var want string
	nonces := map[string]bool{}
	for _, tc := range cases {
		u := newRegUA(t, ip, tc.user)
		first := u.do(reg.sip, u.request(u.contact, 300))
		if first.StatusCode() != 401 {
			t.Fatalf("%s: first REGISTER got %s", tc.name, first.StartLine())
		}
		m := first
		if tc.creds != nil {
			m = u.do(reg.sip, u.request(u.contact, 300, tc.creds(u)))
		}
		if m.StatusCode() != 401 {
			t.Errorf("%s: got %s, want 401", tc.name, m.StartLine())
			continue
		}
		nonce := regNonce(t, m)
		if nonces[nonce] {
			t.Errorf("%s: nonce %s was given before; want a fresh one", tc.name, nonce)
		}
		nonces[nonce] = true
		got := regBlank(m, u)
		if want == "" {
			want = got
			t.Logf("the 401's shape:\n%s", want)
		} else if got != want {
			t.Errorf("%s: the 401 differs from the one to no credentials:\n%s\nwant:\n%s", tc.name, got, want)
		}
	}
	if rows := d.rows(t); len(rows) != 0 {
		t.Errorf("unauthenticated REGISTERs stored %+v", rows)
	}
}

var regNonceRE = regexp.MustCompile(`nonce="([^"]*)"`)

func regNonce(t *testing.T, m *sip.Msg) string {
	t.Helper()
	v, _ := m.Get(sip.HdrWWWAuthenticate)
	sm := regNonceRE.FindSubmatch(v)
	if sm == nil {
		t.Fatalf("no nonce in %s", v)
	}
	return string(sm[1])
}

// regBlank blanks out of a response what varies from request to request:
// the nonce, the To tag, and the values the request carried (user, tags,
// Call-ID, CSeq number, branch, source).
func regBlank(m *sip.Msg, u *regUA) string {
	s := string(m.Bytes())
	s = regNonceRE.ReplaceAllString(s, `nonce="NONCE"`)
	s = regexp.MustCompile(`(?m)^(To: .*;tag=)[^;\r]*`).ReplaceAllString(s, "${1}TOTAG")
	s = regexp.MustCompile(`branch=[^;\r]*`).ReplaceAllString(s, "branch=BRANCH")
	s = regexp.MustCompile(`;received=[^;\r]*`).ReplaceAllString(s, "")
	s = regexp.MustCompile(`;rport=[0-9]*`).ReplaceAllString(s, ";rport")
	s = regexp.MustCompile(`(?m)^CSeq: [0-9]+`).ReplaceAllString(s, "CSeq: N")
	for _, v := range []string{u.callID, u.tag, u.c.Addr().String(), "sip:" + u.user + "@"} {
		repl := "X"
		if strings.HasPrefix(v, "sip:") {
			repl = "sip:USER@"
		}
		s = strings.ReplaceAll(s, v, repl)
	}
	return s
}

// TestRegistrarTwoNodes (issue 4: "two registrar nodes on one database
// answering alternate REGISTERs of the same UA (nonce from node A
// accepted by node B)"): node A challenges, node B accepts the answer to
// A's nonce, then the UA's refreshes alternate between the nodes, each
// answering with the next nonce-count. Each one succeeds, and the table
// holds exactly one row, last written by the node that took the last
// refresh. Addresses .70 to .78.
func TestRegistrarTwoNodes(t *testing.T) {
	for i, engine := range []string{"mysql", "postgres", "sqlite"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			d := regFreshDB(t, engine)
			regMigrate(t, d, "alice")
			nodes := []*regNode{
				startRegistrar(t, regOptions{ip: testenv.LoopbackIP(t, 70+3*i), dsn: d.dsn, auth: true, serverID: 1}),
				startRegistrar(t, regOptions{ip: testenv.LoopbackIP(t, 71+3*i), dsn: d.dsn, auth: true, serverID: 2}),
			}
			u := newRegUA(t, testenv.LoopbackIP(t, 72+3*i), "alice")

			if m := u.do(nodes[0].sip, u.request(u.contact, 300)); m.StatusCode() != 401 {
				t.Fatalf("node A: %s, want 401", m.StartLine())
			}
			used := u.authorization()
			if m := u.do(nodes[1].sip, u.request(u.contact, 300, used)); m.StatusCode() != 200 {
				t.Fatalf("node B with node A's nonce: %s, want 200\n%s", m.StartLine(), m.Bytes())
			}
			const refreshes = 6
			for n := range refreshes {
				node := nodes[n%2]
				m := u.register(node.sip, 300)
				if got := regContactsOf(t, m); len(got) != 1 || !strings.HasPrefix(got[0], "<"+u.contact+">") {
					t.Errorf("refresh %d: 200 lists %v; want the one binding %s", n, got, u.contact)
				}
			}
			if a, b := nodes[0].counter("challenged"), nodes[1].counter("challenged"); a != 1 || b != 0 {
				t.Errorf("challenges: node A %d, node B %d; want 1 and 0 (every refresh reused the nonce)", a, b)
			}
			if a, b := nodes[0].counter("registered"), nodes[1].counter("registered"); a+b != refreshes+1 {
				t.Errorf("registered: node A %d + node B %d; want %d", a, b, refreshes+1)
			}
			rows := d.rows(t)
			if len(rows) != 1 {
				t.Fatalf("the location table holds %d rows, want 1: %+v", len(rows), rows)
			}
			last := (refreshes - 1) % 2
			if r := rows[0]; r.Contact != u.contact || r.CallID != u.callID || r.CSeq != u.cseq || r.ServerID != last+1 {
				t.Errorf("row %+v; want contact %s, Call-ID %s, CSeq %d, server_id %d", r, u.contact, u.callID, u.cseq, last+1)
			}
			// A captured Authorization replayed to the other node, with a
			// contact of the attacker's: the nonce-count is shared through
			// the database, so it is refused there too.
			if m := u.do(nodes[0].sip, u.request("sip:evil@192.0.2.1", 300, used)); m.StatusCode() != 401 {
				t.Fatalf("replayed nonce-count on the other node: %s, want 401", m.StartLine())
			}
			if rows := d.rows(t); len(rows) != 1 {
				t.Fatalf("after the replay the table holds %d rows, want 1", len(rows))
			}
		})
	}
}

// TestRegistrarBehindLB (issue 4: "the seed's LB→registrar flow (Path
// with received stored, NAT flag set)"): `sipfleet lb` in front of
// `sipfleet registrar`, on SQLite. With path_received always, SIPp
// registers without authentication; with path_received nat, a phone
// behind a NAT (private Via and Contact) registers with digest. Either
// way the stored binding has the LB's private socket in its Path, the
// phone's real source as received, and the NAT marks (keepalive 1,
// cflags bit 6, Kamailio's FLB_NATB by convention). Addresses .80 to .87.
func TestRegistrarBehindLB(t *testing.T) {
	testenv.RequireBinary(t, "sipp")
	cases := []struct {
		name, pathReceived, scenario string
		auth                         bool
		natIP                        string
	}{
		{"always", "always", "uac_register", false, ""},
		{"nat with digest", "nat", "uac_register_nat", true, "192.168.1.10"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base := 80 + 4*i
			d := regFreshDB(t, "sqlite")
			regMigrate(t, d, "alice")
			reg := startRegistrar(t, regOptions{ip: lbIP(t, base, 3), dsn: d.dsn, auth: tc.auth})
			lb := startLB(t, lbOptions{base: base, list: "2 sip:" + reg.sip.String() + " 0 0\n", pathReceived: tc.pathReceived})

			keys := map[string]string{"domain": regDomain, "expires": "300"}
			phone := testenv.SippOptions{Scenario: Scenario(t, tc.scenario), Remote: lb.pub, Local: lbIP(t, base, 2),
				Service: "alice", Keys: keys}
			if tc.auth {
				phone.AuthPass, phone.AuthURI = regPassword, regDomain
			}
			if tc.natIP != "" {
				keys["nat_ip"] = tc.natIP
			}
			phone.Port = testenv.FreeUDPPort(t, phone.Local)
			s := regSipp(t, phone, 2)
			contactHost := s.Addr().String()
			if tc.natIP != "" {
				contactHost = netip.AddrPortFrom(netip.MustParseAddr(tc.natIP), s.Addr().Port()).String()
			}

			rows := d.rows(t)
			if len(rows) != 1 {
				t.Fatalf("the location table holds %+v; want one binding", rows)
			}
			r := rows[0]
			received := "sip:" + s.Addr().String()
			path := fmt.Sprintf("<sip:%s;lr;received=%s>", lb.priv, received)
			if !strings.HasPrefix(r.Contact, "sip:alice@"+contactHost) {
				t.Errorf("contact %q; want sip:alice@%s", r.Contact, contactHost)
			}
			if r.Path != path || r.Received != received {
				t.Errorf("path %q, received %q; want %q and %q", r.Path, r.Received, path, received)
			}
			if r.Keepalive != 1 || r.CFlags&(1<<6) == 0 {
				t.Errorf("keepalive %d, cflags %#x; want 1 and bit 6 set (NATed)", r.Keepalive, r.CFlags)
			}
			out := regContacts(t, d, "alice@"+regDomain)
			if !strings.Contains(out, path) || !strings.Contains(out, received) {
				t.Errorf("contacts list lacks the Path or received:\n%s", out)
			}
		})
	}
}
