package registrar

import (
	"strings"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// register is what the rules need from one REGISTER, read once.
type register struct {
	aor       store.AOR
	realm     string // the AoR's domain, also when use_domain stores none
	callID    string
	cseq      int
	star      bool
	contacts  []contactReq
	path      string // the Path values, comma-joined, as received
	received  string // the first Path URI's received= (unescaped), or ""
	supPath   bool
	outbound  bool // the UA registers RFC 5626 flows
	firstOB   bool // the first Path URI carries ;ob (or there is no Path)
	userAgent string
	now       time.Time
}

// contactReq is one Contact of the request.
type contactReq struct {
	uri      sip.URI
	expires  time.Duration
	q        float64 // -1: not given
	instance string
	regID    int
}

// failure is a REGISTER refused before any binding is touched.
type failure struct {
	status      int
	reason      string
	minExpires  time.Duration // 423
	unsupported string        // 420
}

// parseRegister reads a REGISTER against the rules (RFC 3261 §10.3 steps
// 1, 5, 6 and the expiry part of 7).
func parseRegister(m *sip.Msg, rules *Rules, now time.Time) (*register, *failure) {
	r := &register{now: now, callID: string(m.CallID())}
	seq, _, err := m.CSeq()
	if err != nil {
		return nil, &failure{status: 400, reason: sip.ReasonOf(err)}
	}
	r.cseq = int(seq)
	if f := r.readAOR(m, rules); f != nil {
		return nil, f
	}
	if f := r.readPath(m, rules); f != nil {
		return nil, f
	}
	if f := r.readContacts(m, rules); f != nil {
		return nil, f
	}
	if ua, ok := m.Get(sip.HdrUserAgent); ok {
		r.userAgent = string(ua)
	}
	return r, nil
}

// readAOR takes the address-of-record from To (§10.3 step 5): it must be
// a SIP or SIPS URI (RFC 4475 §3.3.4) in a domain this registrar serves
// (step 1).
func (r *register) readAOR(m *sip.Msg, rules *Rules) *failure {
	to, err := m.To()
	if err != nil {
		return &failure{status: 400, reason: sip.ReasonOf(err)}
	}
	if !to.URI.IsSIP() {
		return &failure{status: 400, reason: "To is not a SIP AoR"}
	}
	user, err := sip.Unescape(nil, to.URI.User)
	if err != nil || len(user) == 0 {
		return &failure{status: 400, reason: "bad AoR user"}
	}
	domain := strings.ToLower(string(to.URI.Host))
	if !rules.serves(domain) {
		return &failure{status: 404, reason: "Domain Not Served"}
	}
	r.realm = domain
	r.aor = store.AOR{User: string(user), Domain: domain}
	if !rules.UseDomain {
		r.aor.Domain = "" // Kamailio's use_domain=0: rows carry no domain
	}
	return nil
}

func (rules *Rules) serves(domain string) bool {
	if len(rules.Domains) == 0 {
		return true
	}
	for _, d := range rules.Domains {
		if d == domain {
			return true
		}
	}
	return false
}

// readPath applies RFC 3327 §5.3 and the path_* settings.
func (r *register) readPath(m *sip.Msg, rules *Rules) *failure {
	r.supPath = m.HasOptionTag(sip.HdrSupported, "path")
	r.outbound = m.HasOptionTag(sip.HdrSupported, "outbound")
	r.firstOB = true
	if m.Count(sip.HdrPath) == 0 || !rules.UsePath {
		return nil
	}
	if rules.PathMode == PathRequire && !r.supPath {
		return &failure{status: 420, reason: "Bad Extension", unsupported: "path"}
	}
	var vals []string
	m.Values(sip.HdrPath, func(v []byte) bool { vals = append(vals, string(v)); return true })
	r.path = strings.Join(vals, ",")
	first := true
	err := m.NameAddrs(sip.HdrPath, func(n sip.NameAddr) bool {
		if first {
			r.firstOB = n.URI.Params.Has("ob")
			if v, ok := n.URI.Params.Get("received"); ok && rules.PathUseReceived {
				if u, err := sip.Unescape(nil, sip.Unquote(v)); err == nil {
					r.received = string(u)
				}
			}
		}
		first = false
		return false
	})
	if err != nil {
		return &failure{status: 400, reason: sip.ReasonOf(err)}
	}
	return nil
}

// readContacts resolves every Contact's expiry (§10.3 step 7: the contact
// parameter, else Expires, else the default; clamped to the maximum; below
// the minimum and not zero is 423) and checks "*" (step 6).
func (r *register) readContacts(m *sip.Msg, rules *Rules) *failure {
	hdrExp, hasHdrExp, err := m.Expires()
	if err != nil {
		return &failure{status: 400, reason: "bad Expires"}
	}
	var fail *failure
	err = m.NameAddrs(sip.HdrContact, func(n sip.NameAddr) bool {
		if n.Star {
			r.star = true
			return true
		}
		c := contactReq{uri: n.URI, q: store.QUnset}
		exp, ok, perr := n.Expires()
		switch {
		case perr != nil:
			fail = &failure{status: 400, reason: "bad Contact expires"}
			return false
		case ok:
			c.expires = time.Duration(exp) * time.Second
		case hasHdrExp:
			c.expires = time.Duration(hdrExp) * time.Second
		default:
			c.expires = rules.DefaultExpires
		}
		if c.expires > rules.MaxExpires && rules.MaxExpires > 0 {
			c.expires = rules.MaxExpires
		}
		if c.expires != 0 && c.expires < rules.MinExpires {
			fail = &failure{status: 423, reason: "Interval Too Brief", minExpires: rules.MinExpires}
			return false
		}
		if q, ok, qerr := n.Q(); qerr != nil {
			fail = &failure{status: 400, reason: "bad Contact q"}
			return false
		} else if ok {
			c.q = float64(q) / 1000
		}
		if f := c.readOutbound(&n); f != nil {
			fail = f
			return false
		}
		r.contacts = append(r.contacts, c)
		return true
	})
	if err != nil {
		return &failure{status: 400, reason: sip.ReasonOf(err)}
	}
	if fail != nil {
		return fail
	}
	if r.star && (len(r.contacts) > 0 || !hasHdrExp || hdrExp != 0) {
		return &failure{status: 400, reason: "Contact * needs Expires: 0 and no other Contact"}
	}
	return nil
}

// readOutbound reads +sip.instance and reg-id (RFC 5626 §4.2, §6).
func (c *contactReq) readOutbound(n *sip.NameAddr) *failure {
	if v, ok := n.Params.Get("+sip.instance"); ok {
		c.instance = string(sip.Unquote(v))
	}
	v, ok := n.Params.Get("reg-id")
	if !ok {
		return nil
	}
	id := 0
	for _, d := range v {
		if d < '0' || d > '9' || id > 1<<20 {
			return &failure{status: 400, reason: "bad reg-id"}
		}
		id = id*10 + int(d-'0')
	}
	if id == 0 || c.instance == "" {
		return &failure{status: 400, reason: "reg-id without +sip.instance"}
	}
	c.regID = id
	return nil
}
