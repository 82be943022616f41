package proxy

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/transaction"
)

// branch is one forwarded copy of a request and its client transaction.
// Its fields are guarded by its call's mu.
type branch struct {
	c           *call
	t           target
	tx          *transaction.ClientTx
	done        bool // final answer (or given up on): no longer pending
	heard       bool // a provisional arrived
	cancelLater bool // cancelled before its transaction existed
	timerC      *transaction.Timer
}

// finishLocked marks the branch answered.
func (b *branch) finishLocked() {
	if b.done {
		return
	}
	b.done = true
	b.c.pending--
	if b.timerC != nil {
		b.timerC.Stop()
	}
}

// startBranch builds the branch's request and starts its client
// transaction. A failure of the first send counts as a 503 from the
// target, so the search moves on.
func (p *Proxy) startBranch(c *call, b *branch) {
	c.mu.Lock()
	gone := b.done || c.final || c.cancelled
	c.mu.Unlock()
	if gone {
		return // cancelled, or answered, while the group was being started
	}
	p.stats.inc(cBranches)
	s := p.sockFor(b.t.dst, b.t.proto)
	var tx *transaction.ClientTx
	err := errNoSocket
	if s != nil {
		req := p.buildRequest(c, &b.t, s, p.newBranch(c.hash))
		tx, err = p.txl.NewClientTx(req, p.sendFunc(s, b.t), b.t.proto.Stream(), b)
	}
	c.mu.Lock()
	if err != nil {
		p.log.Debug("branch not sent", "dst", b.t.dst, "err", err)
		if b.t.gateway {
			p.avoid.add(b.t.dst, p.opt.Now())
		}
		if !b.done {
			b.finishLocked()
			c.consider(503, nil, nil)
		}
		c.mu.Unlock()
		return
	}
	b.tx = tx
	cancel := b.cancelLater
	c.mu.Unlock()
	if cancel {
		_ = tx.Cancel(nil)
	}
}

var errNoSocket = errors.New("no socket for the target's transport")

// sendFunc binds a client transaction to its target.
func (p *Proxy) sendFunc(s *sock, t target) transaction.SendFunc {
	l, dst := s.l, t.dst
	if !t.proto.Stream() {
		return func(b []byte) error {
			_, err := p.tr.Send(p.base, l, dst, b)
			return err
		}
	}
	return func(b []byte) error {
		ctx, cancel := context.WithTimeout(p.base, dialTimeout)
		defer cancel()
		_, err := p.tr.Send(ctx, l, dst, b)
		return err
	}
}

// dialTimeout bounds a TCP or TLS connect: a target that does not answer
// in that time is skipped like one that refused.
const dialTimeout = 5 * time.Second

// OnResponse handles a response on the branch (§16.7).
func (b *branch) OnResponse(tx *transaction.ClientTx, resp *sip.Msg) {
	c, p := b.c, b.c.p
	code := resp.StatusCode()
	c.mu.Lock()
	switch {
	case code < 200:
		b.heard = true
		if b.done || c.final {
			c.mu.Unlock()
			return
		}
		if c.invite {
			// Timer C runs from each provisional (§16.7 step 2).
			if b.timerC == nil {
				b.timerC = p.txl.AfterFunc(p.opt.Rules.TimerC, b.timerCFired)
			} else {
				b.timerC.Reset(p.opt.Rules.TimerC)
			}
		}
		if code > 100 { // §16.7 step 5: a 100 is not forwarded
			_ = c.tx.RespondBytes(p.upstream(resp))
		}
		c.mu.Unlock()
		return
	case code < 300:
		// Every 2xx goes upstream, also after a final (§16.7 step 5): the
		// caller must see each dialog a fork created.
		up := p.upstream(resp)
		if err := c.tx.RespondBytes(up); err != nil && c.invite {
			p.relayByVia(up) // an INVITE's 2xx after the final (§16.7 step 5)
		}
		if !c.final {
			c.setFinal()
			c.outcome(code)
		}
		b.finishLocked()
		if c.invite {
			c.cancelAllLocked()
		}
		c.mu.Unlock()
		return
	}
	if b.done {
		c.mu.Unlock()
		return
	}
	b.finishLocked()
	switch {
	case code >= 600:
		c.consider(code, p.upstream(resp), resp)
		c.cancelAllLocked()
	case c.failover != nil && !c.failover(code):
		// A gateway's definite answer (busy, not found) ends the search.
		c.groups = nil
		c.consider(code, p.upstream(resp), resp)
	default:
		if b.t.gateway {
			p.avoid.add(b.t.dst, p.opt.Now())
			if len(c.groups) > 0 {
				p.stats.inc(cFailovers)
			}
		}
		c.consider(code, p.upstream(resp), resp)
	}
	c.mu.Unlock()
	c.advance()
}

// OnError is Timer B or F, or a transport error: the target is as good
// as one that answered 408 (or 503), and the search moves on.
func (b *branch) OnError(tx *transaction.ClientTx, err error) {
	c, p := b.c, b.c.p
	c.mu.Lock()
	if b.done {
		c.mu.Unlock()
		return
	}
	b.finishLocked()
	if b.t.gateway {
		p.avoid.add(b.t.dst, p.opt.Now())
		if len(c.groups) > 0 {
			p.stats.inc(cFailovers)
		}
	}
	code := 503
	switch {
	case errors.Is(err, transaction.ErrTimeout) && c.failover == nil:
		code = 480 // a device that never answered is not reachable now (see finishLocked)
	case errors.Is(err, transaction.ErrTimeout):
		code = 408
	}
	c.consider(code, nil, nil)
	c.mu.Unlock()
	c.advance()
}

// OnTerminated: nothing is kept per branch past its transaction.
func (b *branch) OnTerminated(*transaction.ClientTx) {}

// timerCFired: the branch rang too long (§16.8): cancel it and count it
// as a 408.
func (b *branch) timerCFired() {
	c := b.c
	c.mu.Lock()
	if b.done {
		c.mu.Unlock()
		return
	}
	if b.tx != nil {
		_ = b.tx.Cancel(nil)
	}
	b.finishLocked()
	c.consider(408, nil, nil)
	c.mu.Unlock()
	c.advance()
}

var _ transaction.ClientTU = (*branch)(nil)

// The proxy's branch parameters: the magic cookie, a tag telling its own
// branches apart, the loop-detection hash of the request (§16.6 step 8)
// and a counter that makes each branch unique.
const (
	branchPrefix = "z9hG4bK-sfp"
	ackPrefix    = "z9hG4bK-sfa"
)

var hashSeed = maphash.MakeSeed()

// loopHash digests what identifies a request on its way through the
// proxy (§16.6 step 8): the Request-URI as received, From and To tags,
// Call-ID, CSeq number, Route, Proxy-Require and Proxy-Authorization. The same
// request coming back unchanged is a loop (§16.3 step 4); one whose
// Request-URI was retargeted is a spiral and goes on.
func loopHash(m *sip.Msg) (h [8]byte) {
	var d maphash.Hash
	d.SetSeed(hashSeed)
	_, _ = d.Write(m.RequestURIBytes())
	_ = d.WriteByte(0)
	_, _ = d.Write(m.FromTag())
	_ = d.WriteByte(0)
	_, _ = d.Write(m.ToTag())
	_ = d.WriteByte(0)
	_, _ = d.Write(m.CallID())
	seq, _, _ := m.CSeq()
	_, _ = d.WriteString(strconv.FormatUint(uint64(seq), 10))
	for _, id := range [...]sip.HdrID{sip.HdrRoute, sip.HdrProxyRequire, sip.HdrProxyAuthorization} {
		m.Values(id, func(v []byte) bool {
			_ = d.WriteByte(0)
			_, _ = d.Write(v)
			return true
		})
	}
	binary.BigEndian.PutUint64(h[:], d.Sum64())
	return h
}

// newBranch gives a fresh branch for a request with loop hash h.
func (p *Proxy) newBranch(h [8]byte) []byte {
	b := make([]byte, 0, len(branchPrefix)+16+1+13)
	b = append(b, branchPrefix...)
	b = hex.AppendEncode(b, h[:])
	b = append(b, '.')
	return strconv.AppendUint(b, p.seq.Add(1), 36)
}

// looped reports whether one of the request's Vias is the proxy's own
// with this request's hash: it has been here before, unchanged (§16.3
// step 4).
func (p *Proxy) looped(m *sip.Msg, h [8]byte) bool {
	var want [len(branchPrefix) + 16]byte
	w := hex.AppendEncode(append(want[:0], branchPrefix...), h[:])
	loop := false
	_ = m.Vias(func(v sip.Via) bool {
		if br := v.Branch(); len(br) > len(w) && string(br[:len(w)]) == string(w) && p.ownsVia(&v) {
			loop = true
			return false
		}
		return true
	})
	return loop
}
