package proxy

import (
	"net/netip"
	"sync"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
	"github.com/sipfleet/sipfleet/internal/transport"
)

// call is the response context of one server transaction (RFC 3261
// §16.7): the branches forwarded for the request and the best answer so
// far. Its methods that change it hold mu; they call into the transaction
// layer only in ways that never call back into the call on the same
// goroutine (responding, cancelling), and start client transactions with
// mu released.
type call struct {
	p      *Proxy
	tx     *transaction.ServerTx
	req    *sip.Msg       // the transaction's copy of the request
	src    netip.AddrPort // where the request came from
	invite bool
	isCall bool    // an initial INVITE: its outcome is counted
	hash   [8]byte // loop-detection hash of the request (§16.6 step 8)

	mu        sync.Mutex
	pop       int         // own Route entries at the top of the request
	strict    bool        // the previous hop was a strict router (§16.4)
	rr        bool        // Record-Route the forwarded request
	groups    []group     // serial groups still to try
	pending   int         // branches without a final answer
	routing   bool        // the worker has not started branches yet
	final     bool        // a final response went upstream
	cancelled bool        // CANCEL received, or a 2xx/6xx ended the search
	best      []byte      // the best final so far, ready to send upstream (our Via removed)
	bestCode  int         // its code, or a code of our own making with best nil
	auth      []challenge // challenge headers of every 401/407 (§16.7 step 7)
	branches  []*branch
	failover  func(code int) bool // whether a code moves on to the next group
	consumed  string              // our realm once its Proxy-Authorization was checked: that one is removed
	starting  bool                // a goroutine is starting branches
}

// group is a set of targets tried in parallel.
type group []target

// target is where one branch goes.
type target struct {
	ruri    []byte // the branch's Request-URI; nil keeps the request's
	route   []byte // Route header value to put on top (a binding's Path), or nil
	dst     netip.AddrPort
	proto   transport.Proto
	gateway bool // a PSTN gateway or foreign target: avoided after a failure
}

// init attaches the call to its transaction and request; the call was
// made with the transaction (HandlePacket), possibly cancelled already.
func (c *call) init(tx *transaction.ServerTx, req *sip.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tx, c.req, c.invite = tx, req, req.Method() == sip.INVITE
	c.isCall = c.invite && len(req.ToTag()) == 0
	c.hash = loopHash(req)
	if c.isCall {
		c.p.stats.inc(cCalls)
	}
	c.p.active.Add(1)
}

// respond answers the request with a response of the proxy's own making
// and ends the call. extra headers are added.
func (c *call) respond(code int, reason string, extra []sip.Field) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.respondLocked(code, reason, extra)
}

func (c *call) respondLocked(code int, reason string, extra []sip.Field) {
	if c.final {
		return
	}
	c.routing = false
	if code >= 200 {
		c.setFinal()
		c.outcome(code)
	}
	if len(extra) == 0 {
		_ = c.tx.Respond(code, reason)
		return
	}
	_ = c.tx.RespondBytes(appendWithHeaders(c.req, code, c.tx.ToTag(), extra, reason))
}

// appendWithHeaders builds a response of the proxy's own with extra
// headers (Retry-After); the reason is the standard one unless given.
func appendWithHeaders(req *sip.Msg, code int, toTag []byte, extra []sip.Field, reason ...string) []byte {
	r := sip.ReasonPhrase(code)
	if len(reason) > 0 && reason[0] != "" {
		r = reason[0]
	}
	b := sip.AppendResponseHead(nil, req, code, r, toTag)
	for _, f := range extra {
		b = sip.AppendHeader(b, f.Name, []byte(f.Value))
	}
	return sip.AppendBody(b, nil)
}

// respondBytes sends a complete response of the proxy's own making (a
// challenge) and ends the call.
func (c *call) respondBytes(b []byte, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return
	}
	c.routing = false
	c.setFinal()
	c.outcome(code)
	_ = c.tx.RespondBytes(b)
}

// start begins forwarding: the first group now, the others in turn as
// each fails (serial forking, §16.6 and RFC 3261 §16.7 step 10's "next
// branch"). failover decides which finals move on (nil: all but 6xx).
func (c *call) start(groups []group, failover func(code int) bool) {
	c.mu.Lock()
	c.routing = false
	c.groups, c.failover = groups, failover
	if c.cancelled {
		c.groups = nil
		c.finishLocked()
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.next()
}

// next starts the next group, or sends the best answer when there is none.
// It is called without mu. One goroutine at a time starts branches; a
// branch that fails meanwhile leaves the next step to it.
func (c *call) next() {
	c.mu.Lock()
	if c.starting {
		c.mu.Unlock()
		return
	}
	for {
		if c.final || c.pending > 0 {
			break
		}
		if c.cancelled || len(c.groups) == 0 {
			c.finishLocked()
			break
		}
		g := c.groups[0]
		c.groups = c.groups[1:]
		bs := make([]*branch, len(g))
		for i, t := range g {
			bs[i] = &branch{c: c, t: t}
		}
		c.branches = append(c.branches, bs...)
		c.pending += len(bs)
		c.starting = true
		c.mu.Unlock()
		for _, b := range bs {
			c.p.startBranch(c, b)
		}
		c.mu.Lock()
		c.starting = false
	}
	c.mu.Unlock()
}

// advance is next for the transaction layer's callbacks: when another
// group is to be started it runs on a goroutine of its own, since a
// branch over TCP or TLS may dial for seconds, and the callback's
// goroutine (the timer wheel, a read loop) serves everyone else. With
// nothing left to start it only sends the final, at once.
func (c *call) advance() {
	c.mu.Lock()
	more := len(c.groups) > 0 && !c.cancelled && !c.final
	c.mu.Unlock()
	if more {
		go c.next()
		return
	}
	c.next()
}

// finishLocked sends the best final when every branch is done (§16.7
// step 6): 487 once cancelled, and 500 in place of a 503, which would tell
// the caller this proxy is overloaded. Where RFC 3261 says 408 (no branch
// answered) the proxy says 480, or 504 for gateways, and 502 where every
// gateway answered 503: an LB in front fails over to another proxy on
// 408, 500 and 503, which would only ring the same phones or try the
// same gateways again.
func (c *call) finishLocked() {
	if c.final || c.pending > 0 || c.routing {
		return
	}
	c.setFinal()
	code := c.bestCode
	switch {
	case c.cancelled && (code < 600 || code == 0):
		code = 487
		c.best = nil
	case code == 0 && c.failover != nil:
		code = 504 // gateways timed out: not this proxy's fault (an LB fails over on 408)
	case code == 0:
		code = 480 // the callee's devices did not answer: not reachable now
	case code == 408 && c.failover != nil:
		code, c.best = 504, nil
	case code == 503 && c.failover != nil:
		code, c.best = 502, nil // every gateway refused: they are the bad ones
	case code == 503:
		code, c.best = 500, nil
	}
	c.outcome(code)
	if c.best == nil {
		_ = c.tx.Respond(code, "")
		return
	}
	b := c.best
	if (code == 401 || code == 407) && len(c.auth) > 1 {
		b = c.p.withChallenges(b, c.auth)
	}
	_ = c.tx.RespondBytes(b)
}

// consider records a final response (or a failure of our own, with b nil)
// if it beats the best so far: 6xx over everything, then the lowest
// class; within 4xx a challenge, whose headers are gathered from all.
func (c *call) consider(code int, b []byte, resp *sip.Msg) {
	if code == 401 || code == 407 {
		for _, h := range []challenge{{name: "WWW-Authenticate"}, {name: "Proxy-Authenticate"}} {
			id := sip.HdrWWWAuthenticate
			if h.name == "Proxy-Authenticate" {
				id = sip.HdrProxyAuthenticate
			}
			resp.Values(id, func(v []byte) bool {
				c.auth = append(c.auth, challenge{name: h.name, value: append([]byte(nil), v...)})
				return true
			})
		}
	}
	if code == 430 {
		code = 480 // RFC 5626 §5.3: a failed flow is as good as no binding
		b = nil
	}
	if better(code, c.bestCode) {
		c.bestCode = code
		c.best = nil
		if b != nil {
			c.best = append([]byte(nil), b...)
		}
	}
}

// challenge is one challenge header of a 401 or 407, kept under its own
// name: a 407 gathered with a 401 carries both kinds.
type challenge struct {
	name  string
	value []byte
}

// better ranks final responses per §16.7 step 6.
func better(code, best int) bool {
	switch {
	case best == 0:
		return true
	case best >= 600:
		return false
	case code >= 600:
		return true
	case code/100 != best/100:
		return code/100 < best/100
	}
	// Same class: a challenge beats other 4xx, so the caller can retry.
	return (code == 401 || code == 407) && best != 401 && best != 407
}

// cancelAll stops the search: every pending branch is cancelled, and no
// further group is started (§16.10, and §16.7 step 10 after a 2xx or 6xx).
// A branch that has heard nothing yet counts as done: its CANCEL waits for
// a provisional in the transaction, and the caller need not wait for it.
func (c *call) cancelAllLocked() {
	c.cancelled = true
	c.groups = nil
	for _, b := range c.branches {
		if b.done {
			continue
		}
		if b.tx != nil {
			_ = b.tx.Cancel(nil)
		} else {
			b.cancelLater = true
		}
		if !b.heard {
			b.finishLocked()
		}
	}
}

// cancelled handles a CANCEL (§16.10): answered 200 by its own
// transaction, then the INVITE's branches are cancelled; their 487s
// become the INVITE's answer.
func (p *Proxy) cancel(tx *transaction.ServerTx, req *sip.Msg) {
	st := p.txl.CancelTarget(req)
	if st == nil {
		_ = tx.Respond(481, "")
		return
	}
	_ = tx.Respond(200, "")
	c, _ := st.Value().(*call)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return
	}
	c.cancelAllLocked()
	c.finishLocked() // waits for the worker if it is still routing
}

// outcome counts the final answer of a call.
func (c *call) outcome(code int) {
	if c.isCall {
		c.p.outcome(code)
	}
}

// setFinal records that the final response went upstream; a draining
// proxy waits for every call to get there.
func (c *call) setFinal() {
	c.final = true
	c.p.active.Add(-1)
}
