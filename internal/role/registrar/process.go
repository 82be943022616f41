package registrar

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sipfleet/sipfleet/internal/auth"
	"github.com/sipfleet/sipfleet/internal/sip"
	"github.com/sipfleet/sipfleet/internal/store"
)

// item is one REGISTER of a batch on its way through §10.3.
type item struct {
	job
	reg *register
	o   outcome
	out []byte // the response, once decided
}

// processBatch runs REGISTERs through §10.3 together and answers them.
// Each is parsed and authenticated on its own; then the bindings of all
// their AoRs are read with one query and all their changes written with
// one transaction, so that under load a commit — the fsync the database
// waits for — serves many REGISTERs instead of one. REGISTERs of the same
// AoR go in successive rounds, each seeing what the one before wrote.
func (r *Registrar) processBatch(jobs []job) {
	ctx, cancel := context.WithTimeout(r.base, r.opt.QueryTimeout)
	defer cancel()
	now := r.opt.Now()
	items := make([]item, len(jobs))
	for i := range jobs {
		items[i].job = jobs[i]
	}
	r.admit(ctx, items, now)
	var pending []*item
	for i := range items {
		if items[i].out == nil {
			pending = append(pending, &items[i])
		}
	}
	for len(pending) > 0 {
		var round []*item
		round, pending = oneRound(pending)
		r.register(ctx, round)
	}
	for i := range items {
		if err := items[i].tx.RespondBytes(items[i].out); err != nil {
			r.stats.inc(cSendErrors)
		}
	}
}

// admit parses and authenticates each REGISTER; those refused get their
// answer. Authentication asks the database (the subscriber, the nonce
// count) for each REGISTER, so a batch's run in parallel.
func (r *Registrar) admit(ctx context.Context, items []item, now time.Time) {
	check := func(it *item) {
		reg, f := parseRegister(it.req, &r.opt.Rules, now)
		if f != nil {
			r.stats.inc(cRefused)
			it.out = appendFailure(nil, it.req, f, it.tx.ToTag())
			return
		}
		if b, ok := r.authenticate(ctx, it.req, reg, it.tx.ToTag()); !ok {
			it.out = b
			return
		}
		it.reg = reg
	}
	if r.opt.Auth == nil || len(items) == 1 {
		for i := range items {
			check(&items[i])
		}
		return
	}
	var wg sync.WaitGroup
	for i := range items {
		wg.Go(func() { check(&items[i]) })
	}
	wg.Wait()
}

// oneRound takes the first REGISTER of each AoR; the rest wait for the
// next round, in order. AoRs are told apart without regard to case: a
// MySQL store's collation does not tell them apart either, and two
// REGISTERs deciding on the same rows must not share a round.
func oneRound(pending []*item) (round, rest []*item) {
	seen := make(map[store.AOR]bool, len(pending))
	for _, it := range pending {
		k := store.AOR{User: strings.ToLower(it.reg.aor.User), Domain: strings.ToLower(it.reg.aor.Domain)}
		if seen[k] {
			rest = append(rest, it)
			continue
		}
		seen[k] = true
		round = append(round, it)
	}
	return round, rest
}

// register decides a round of REGISTERs of different AoRs (§10.3 steps
// 6 to 8) and writes their changes: one read, one write for all.
func (r *Registrar) register(ctx context.Context, round []*item) {
	unavailable := func(its []*item) {
		for _, it := range its {
			it.out = appendFailure(nil, it.req, &failure{status: 503, reason: "Service Unavailable"}, it.tx.ToTag())
		}
	}
	aors := make([]store.AOR, len(round))
	for i, it := range round {
		aors[i] = it.reg.aor
	}
	cur, err := r.opt.Store.BindingsOf(ctx, aors, round[0].reg.now)
	if r.dbResult(err) {
		unavailable(round)
		return
	}
	r.stats.inc(cBatches)
	var (
		changes []store.Change
		changed []*item
		done    []*item
	)
	for i, it := range round {
		it.o = apply(it.reg, cur[i], &r.opt.Rules)
		switch {
		case it.o.status != 200:
			r.stats.inc(cRefused)
			it.out = appendFailure(nil, it.req, &failure{status: it.o.status, reason: it.o.reason}, it.tx.ToTag())
		case len(it.o.put) > 0 || len(it.o.del) > 0:
			changes = append(changes, store.Change{AOR: it.reg.aor, Put: it.o.put, Del: it.o.del})
			changed = append(changed, it)
		default:
			done = append(done, it)
		}
	}
	if len(changes) > 0 {
		err := r.opt.Store.UpdateAll(ctx, changes)
		switch {
		case err == nil:
			r.dbResult(nil)
			done = append(done, changed...)
		case len(changes) > 1 && !errors.Is(err, store.ErrUnavailable) && ctx.Err() == nil:
			// A row the database refuses fails the whole set: write
			// each alone, so that only its REGISTER fails.
			for i, it := range changed {
				if r.dbResult(r.opt.Store.UpdateAll(ctx, changes[i:i+1])) {
					unavailable(changed[i : i+1])
					continue
				}
				done = append(done, it)
			}
		default:
			r.dbResult(err)
			unavailable(changed)
		}
	}
	for _, it := range done {
		r.stats.inc(cRegistered)
		it.out = appendOK(nil, it.req, it.reg, &it.o, &r.opt.Rules, it.tx.ToTag())
	}
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
