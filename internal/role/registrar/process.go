package registrar

import (
	"context"
	"errors"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// process runs one REGISTER through §10.3 and returns the response.
func (r *Registrar) process(m *sip.Msg, tag []byte) []byte {
	ctx, cancel := context.WithTimeout(r.base, r.opt.QueryTimeout)
	defer cancel()
	now := r.opt.Now()
	rules := &r.opt.Rules
	reg, f := parseRegister(m, rules, now)
	if f != nil {
		r.stats.inc(cRefused)
		return appendFailure(nil, m, f, tag)
	}
	if b, ok := r.authenticate(ctx, m, reg, tag); !ok {
		return b
	}
	cur, err := r.opt.Store.Bindings(ctx, reg.aor, now)
	if r.dbResult(err) {
		return appendFailure(nil, m, &failure{status: 503, reason: "Service Unavailable"}, tag)
	}
	o := apply(reg, cur, rules)
	if o.status != 200 {
		r.stats.inc(cRefused)
		return appendFailure(nil, m, &failure{status: o.status, reason: o.reason}, tag)
	}
	if len(o.put) > 0 || len(o.del) > 0 {
		err = r.opt.Store.Update(ctx, reg.aor, o.put, o.del)
		if r.dbResult(err) {
			return appendFailure(nil, m, &failure{status: 503, reason: "Service Unavailable"}, tag)
		}
	}
	r.stats.inc(cRegistered)
	return appendOK(nil, m, reg, &o, rules, tag)
}

// authenticate checks the credentials (§10.3 step 3) and that their user
// may change this AoR (step 4: the authenticated user is the AoR's user).
// Failures all look alike from outside (401 with a fresh challenge, or
// 403), so extensions cannot be enumerated.
func (r *Registrar) authenticate(ctx context.Context, m *sip.Msg, reg *register, tag []byte) ([]byte, bool) {
	a := r.opt.Auth
	if a == nil {
		return nil, true
	}
	res := a.Verify(ctx, m, auth.WWW, reg.realm, r.opt.HA1)
	if res.Err != nil {
		// Nothing could be decided (the subscriber table is away): not
		// the UA's fault, so no challenge.
		r.dbResult(res.Err)
		return appendFailure(nil, m, &failure{status: 503, reason: "Service Unavailable"}, tag), false
	}
	if !res.OK {
		r.stats.inc(cChallenged)
		b := sip.AppendResponseHead(nil, m, 401, "Unauthorized", tag)
		b = a.AppendChallenge(b, auth.WWW, reg.realm, res.Stale)
		return sip.AppendBody(b, nil), false
	}
	if res.User != reg.aor.User {
		r.stats.inc(cRefused)
		return appendFailure(nil, m, &failure{status: 403, reason: "Forbidden"}, tag), false
	}
	return nil, true
}

// dbResult records the database's health from a call's error: an outage
// is logged once, when it starts, and once when it ends. It reports
// whether the call failed.
func (r *Registrar) dbResult(err error) bool {
	if err == nil {
		if r.down.CompareAndSwap(true, false) {
			r.log.Info("location database reachable again")
		}
		return false
	}
	r.stats.inc(cDBErrors)
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		if r.down.CompareAndSwap(false, true) {
			r.log.Error("location database unreachable; answering 503", "err", err)
		}
	} else {
		r.log.Warn("location database error", "err", err)
	}
	return true
}
