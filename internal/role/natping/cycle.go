package natping

import (
	"context"
	"net/netip"
	"time"

	"github.com/sipfleet/sipfleet/internal/store"
)

// readResult is what the reader of a cycle found.
type readResult struct {
	bindings, skipped int
	read              time.Duration
	err               error
}

// read pages through the cycle's bindings by id (keyset pagination: each
// page starts after the last id of the one before, so no page rescans
// the rows already read) and feeds the sender the ones to ping. A failed
// page ends the reading for this cycle; the next cycle starts over.
func (p *Pinger) read(ctx context.Context, s *Settings, now time.Time, f *feed) (r readResult) {
	defer f.finish()
	q := store.NATedQuery{Now: now, Limit: s.Batch, Partitions: s.Partitions, Shard: s.Shard, Shards: s.Shards}
	keepContact := s.Payload == OPTIONS
	for {
		t0 := p.clock.Now()
		qctx, cancel := context.WithTimeout(ctx, s.QueryTimeout)
		page, err := p.opt.Store.NATed(qctx, q)
		cancel()
		r.read += p.clock.Now().Sub(t0)
		if err != nil {
			if ctx.Err() == nil {
				p.stats.add(cDBErrors, 1)
			}
			r.err = err
			return r
		}
		r.bindings += len(page)
		ts := make([]target, 0, len(page))
		for i := range page {
			t, v := targetOf(&page[i], keepContact)
			if v == pingIt && !p.source(t.dst).IsValid() {
				v = skipFamily
			}
			if v != pingIt {
				r.skipped++
				p.stats.add(skipCounter[v], 1)
				continue
			}
			ts = append(ts, t)
		}
		f.push(ts)
		if len(page) < q.Limit {
			return r
		}
		q.After = page[len(page)-1].ID
	}
}

// source is the LB address keepalives to dst are sent from.
func (p *Pinger) source(dst netip.AddrPort) netip.AddrPort {
	if dst.Addr().Is4() {
		return p.opt.Source4
	}
	return p.opt.Source6
}

// sendAll sends the feed's targets as the pacer says, until the reader
// has finished and everything it read is sent, or ctx ends.
func (p *Pinger) sendAll(ctx context.Context, s *Settings, f *feed, pc *pacer) (sent, failed int, firstErr error) {
	taken := 0
	for {
		read, done := f.state()
		ready := read - taken
		if done && ready == 0 {
			return sent, failed, firstErr
		}
		left := ready
		if !done {
			// The reader is still going: last cycle's count is the
			// best guess of how many there will be.
			left = max(read, p.prev) - taken
		}
		n, wait := pc.due(p.clock.Now(), left, ready)
		for n > 0 {
			k := min(n, MaxBatch)
			p.batch = f.take(p.batch[:0], k)
			ok, bad, err := p.sendBatch(s, p.batch)
			sent, failed = sent+ok, failed+bad
			if firstErr == nil {
				firstErr = err
			}
			n, taken = n-k, taken+k
		}
		var tick <-chan time.Time // nil: nothing to send until the reader pushes more
		switch {
		case read > taken:
			tick = p.clock.After(wait)
		case done:
			return sent, failed, firstErr
		}
		select {
		case <-ctx.Done():
			return sent, failed, firstErr
		case <-f.more:
		case <-tick:
		}
	}
}

// sendBatch hands one batch to the sender.
func (p *Pinger) sendBatch(s *Settings, ts []target) (sent, failed int, err error) {
	p.dgrams, p.slab = p.dgrams[:0], p.slab[:0]
	for i := range ts {
		payload := crlfcrlf
		if s.Payload == OPTIONS {
			start := len(p.slab)
			p.slab = p.ow.append(p.slab, p.source(ts[i].dst), ts[i].contact)
			payload = p.slab[start:len(p.slab):len(p.slab)]
		}
		p.dgrams = append(p.dgrams, Datagram{Dst: ts[i].dst, Payload: payload})
	}
	failed, err = p.opt.Sender.Send(p.dgrams)
	p.stats.add(cPinged, len(ts)-failed)
	p.stats.add(cSendErrors, failed)
	clear(p.batch) // hold no contact strings past the send
	return len(ts) - failed, failed, err
}
