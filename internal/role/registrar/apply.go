package registrar

import (
	"slices"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// outcome is what a REGISTER does: a status, and for a 200 the rows to
// write and delete and the bindings the AoR has afterwards.
type outcome struct {
	status  int
	reason  string
	put     []store.Binding
	del     []string // RUIDs
	current []store.Binding
}

// apply decides a REGISTER against the AoR's current (unexpired) bindings,
// RFC 3261 §10.3 steps 6 to 8. It does no I/O.
func apply(r *register, cur []store.Binding, rules *Rules) outcome {
	if r.star {
		return applyStar(r, cur)
	}
	next := slices.Clone(cur)
	var o outcome
	for i := range r.contacts {
		c := &r.contacts[i]
		idx := match(next, c)
		if idx < 0 {
			if c.expires == 0 {
				continue // removing what is not there
			}
			b := r.newBinding(c, rules)
			next = append(next, b)
			o.put = append(o.put, b)
			continue
		}
		old := &next[idx]
		switch order(r, old) {
		case older:
			return outcome{status: 500, reason: "Out Of Order CSeq"}
		case same:
			continue // a retransmission that reached another node: no change
		}
		if c.expires == 0 {
			o.del = append(o.del, old.RUID)
			next = slices.Delete(next, idx, idx+1)
			continue
		}
		r.refresh(old, c, rules)
		o.put = append(o.put, *old)
	}
	if f := enforceMax(&next, &o, rules); f != 0 {
		return outcome{status: f, reason: "Too Many Registered Contacts"}
	}
	o.status, o.reason, o.current = 200, "OK", next
	return o
}

// applyStar removes every binding of the AoR (§10.3 step 6), unless one
// of them was written by a later request of the same Call-ID.
func applyStar(r *register, cur []store.Binding) outcome {
	var o outcome
	for i := range cur {
		if order(r, &cur[i]) == older {
			return outcome{status: 500, reason: "Out Of Order CSeq"}
		}
		o.del = append(o.del, cur[i].RUID)
	}
	o.status, o.reason = 200, "OK"
	return o
}

type seqOrder uint8

const (
	newer seqOrder = iota // another Call-ID, or a higher CSeq: apply
	same                  // same Call-ID and CSeq: a retransmission
	older                 // same Call-ID, lower CSeq: out of order
)

// order compares the request with the request that wrote b (§10.3 step 7).
func order(r *register, b *store.Binding) seqOrder {
	switch {
	case b.CallID != r.callID || r.cseq > b.CSeq:
		return newer
	case r.cseq == b.CSeq:
		return same
	}
	return older
}

// match finds the binding a contact refers to: the same RFC 5626 flow
// (instance and reg-id), else the same contact URI compared by the rules
// of RFC 3261 §19.1.4.
func match(bs []store.Binding, c *contactReq) int {
	for i := range bs {
		if c.regID > 0 && bs[i].Instance == c.instance && bs[i].RegID == c.regID {
			return i
		}
	}
	for i := range bs {
		if c.regID > 0 && bs[i].RegID > 0 {
			continue // flows are matched by instance and reg-id only
		}
		u, err := sip.ParseURI([]byte(bs[i].Contact))
		if err == nil && sip.URIEqual(&u, &c.uri) {
			return i
		}
	}
	return -1
}

func (r *register) newBinding(c *contactReq, rules *Rules) store.Binding {
	b := store.Binding{
		AOR:      r.aor,
		Contact:  string(c.uri.Raw),
		Instance: c.instance,
		RegID:    c.regID,
		ServerID: rules.ServerID,
	}
	b.RUID = store.RUID(r.aor, b.Contact, b.Instance, b.RegID)
	b.Partition = store.PartitionOf(b.RUID, rules.partitions())
	r.refresh(&b, c, rules)
	return b
}

// refresh writes the request's view of a binding into b.
func (r *register) refresh(b *store.Binding, c *contactReq, rules *Rules) {
	b.Contact = string(c.uri.Raw)
	b.Expires = r.now.Add(c.expires)
	b.Q = c.q
	b.CallID, b.CSeq = r.callID, r.cseq
	b.LastModified = r.now
	b.UserAgent = r.userAgent
	b.Path, b.Received = "", ""
	if rules.UsePath {
		b.Path = r.path
		b.Received = r.received
	}
	b.Keepalive = b.Received != ""
	if b.Keepalive {
		b.CFlags |= natFlag
	} else {
		b.CFlags &^= natFlag
	}
}

// natFlag is the branch flag Kamailio configurations conventionally set
// for NATed contacts (nathelper's FLB_NATB); kept for interoperability.
const natFlag = 1 << 6

func (rules *Rules) partitions() int {
	if rules.Partitions <= 0 {
		return 64
	}
	return rules.Partitions
}

// enforceMax applies max contacts per AoR: the oldest bindings are
// replaced, or the REGISTER gets 503. It returns the failure status or 0.
func enforceMax(next *[]store.Binding, o *outcome, rules *Rules) int {
	if rules.MaxContacts <= 0 || len(*next) <= rules.MaxContacts {
		return 0
	}
	if rules.OnMaxContacts == Reject503 {
		return 503
	}
	slices.SortStableFunc(*next, func(a, b store.Binding) int { return a.LastModified.Compare(b.LastModified) })
	for len(*next) > rules.MaxContacts {
		gone := (*next)[0]
		*next = (*next)[1:]
		o.del = append(o.del, gone.RUID)
		o.put = slices.DeleteFunc(o.put, func(b store.Binding) bool { return b.RUID == gone.RUID })
	}
	return 0
}

// remaining is what the 200 OK says of a binding's expiry.
func remaining(b *store.Binding, now time.Time) int {
	s := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
	return max(s, 0)
}
