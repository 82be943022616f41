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
	reg   *register
	nonce *store.NonceUse // the digest nonce use the store is to count
	o     outcome
	out   []byte // the response, once decided
}

// processBatch runs REGISTERs through §10.3 together and answers them.
// Each is parsed and authenticated on its own; then the bindings of all
// their AoRs are read with one query and all their changes written with
// one transaction, so that under load a commit — the fsync the database
// waits for — serves many REGISTERs instead of one. REGISTERs of the same
// AoR go in successive rounds, each seeing what the one before wrote.
//
// With authentication, the first round's bindings are read while the
// credentials are checked: the two reads (bindings, subscribers) go to
// the database at once, as neither needs the other, and the nonce-counts
// are written with the bindings (Options.CountNonces).
func (r *Registrar) processBatch(jobs []job) {
	ctx, cancel := context.WithTimeout(r.base, r.opt.QueryTimeout)
	defer cancel()
	now := r.opt.Now()
	items := make([]item, len(jobs))
	var parsed []*item
	for i := range jobs {
		it := &items[i]
		it.job = jobs[i]
		if r.parse(it, now) {
			parsed = append(parsed, it)
		}
	}
	round, pending := oneRound(parsed)
	var (
		early  <-chan readResult
		lookup auth.HA1Func
	)
	if r.opt.Auth != nil {
		if len(round) > 0 {
			early = r.readAhead(ctx, round)
		}
		lookup = r.lookup(ctx, parsed)
	}
	r.authenticateAll(ctx, parsed, lookup)
	var ahead *readResult
	if early != nil {
		res := <-early
		ahead = &res
	}
	r.register(ctx, admitted(round, ahead))
	pending = admitted(pending, nil).round
	for len(pending) > 0 {
		round, pending = oneRound(pending)
		r.register(ctx, prefetched{round: round})
	}
	for i := range items {
		r.answer(items[i].job, items[i].out)
	}
}

// prefetched is a round of REGISTERs, with their bindings when they were
// read ahead (read.cur[i] for round[i]).
type prefetched struct {
	round []*item
	read  *readResult
}

// readResult is a round's bindings, as BindingsOf gave them.
type readResult struct {
	cur [][]store.Binding
	err error
}

// bindingsOf reads the bindings of round's AoRs, with one query.
func (r *Registrar) bindingsOf(ctx context.Context, round []*item) readResult {
	aors := make([]store.AOR, len(round))
	for i, it := range round {
		aors[i] = it.reg.aor
	}
	cur, err := r.opt.Store.BindingsOf(ctx, aors, round[0].reg.now)
	return readResult{cur, err}
}

// readAhead reads round's bindings in the background.
func (r *Registrar) readAhead(ctx context.Context, round []*item) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() { ch <- r.bindingsOf(ctx, round) }()
	return ch
}

// admitted keeps the REGISTERs of round that authentication let through,
// and the bindings read ahead for them, if any.
func admitted(round []*item, ahead *readResult) prefetched {
	p := prefetched{}
	if ahead != nil {
		p.read = &readResult{err: ahead.err}
	}
	for i, it := range round {
		if it.out != nil {
			continue
		}
		p.round = append(p.round, it)
		if ahead != nil && ahead.err == nil {
			p.read.cur = append(p.read.cur, ahead.cur[i])
		}
	}
	return p
}

// parse parses one REGISTER, and answers it if it is refused.
func (r *Registrar) parse(it *item, now time.Time) bool {
	reg, f := parseRegister(it.req, &r.opt.Rules, now)
	if f != nil {
		r.stats.inc(cRefused)
		it.out = appendFailure(nil, it.req, f, it.tx.ToTag())
		return false
	}
	it.reg = reg
	return true
}

// lookup gives the subscriber lookup for items' credentials: with
// Options.HA1All, what one query read for all of them (it is asked now);
// else Options.HA1, which asks the database for each.
func (r *Registrar) lookup(ctx context.Context, items []*item) auth.HA1Func {
	if r.opt.HA1All == nil {
		return r.opt.HA1
	}
	seen := make(map[store.AOR]bool, len(items))
	var users []store.AOR
	for _, it := range items {
		if u, ok := r.opt.Auth.Username(it.req, auth.WWW, it.reg.realm); ok {
			k := store.AOR{User: u, Domain: it.reg.realm}
			if !seen[k] {
				seen[k] = true
				users = append(users, k)
			}
		}
	}
	if len(users) == 0 {
		return func(context.Context, string, string, auth.Algorithm) (string, error) { return "", auth.ErrUnknownUser }
	}
	f, err := r.opt.HA1All(ctx, users)
	if err != nil {
		return func(context.Context, string, string, auth.Algorithm) (string, error) { return "", err }
	}
	return f
}

// authenticateAll authenticates each REGISTER; those refused get their
// answer. A lookup that asks the database for each REGISTER (no
// Options.HA1All) runs them in parallel, so that their questions share
// round trips.
func (r *Registrar) authenticateAll(ctx context.Context, items []*item, lookup auth.HA1Func) {
	if r.opt.Auth == nil {
		return
	}
	if len(items) == 1 || r.opt.HA1All != nil {
		for _, it := range items {
			r.authenticate(ctx, it, lookup)
		}
		return
	}
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Go(func() { r.authenticate(ctx, it, lookup) })
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
func (r *Registrar) register(ctx context.Context, p prefetched) {
	round := p.round
	if len(round) == 0 {
		return
	}
	read := p.read
	if read == nil {
		res := r.bindingsOf(ctx, round)
		read = &res
	}
	cur := read.cur
	if r.dbResult(read.err) {
		r.unavailable(round)
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
		case len(it.o.put) > 0 || len(it.o.del) > 0 || it.nonce != nil:
			changes = append(changes, store.Change{AOR: it.reg.aor, Put: it.o.put, Del: it.o.del, Nonce: it.nonce})
			changed = append(changed, it)
		default:
			done = append(done, it)
		}
	}
	if len(changes) > 0 {
		done = append(done, r.write(ctx, changes, changed)...)
	}
	for _, it := range done {
		r.stats.inc(cRegistered)
		it.out = appendOK(nil, it.req, it.reg, &it.o, &r.opt.Rules, it.tx.ToTag())
	}
}

// write writes the changes of the REGISTERs changed (changes[i] is
// changed[i]'s) and gives those written; the others get their answer.
func (r *Registrar) write(ctx context.Context, changes []store.Change, changed []*item) []*item {
	err := r.opt.Store.UpdateAll(ctx, changes)
	var replay *store.NonceReplayError
	switch {
	case err == nil:
		r.dbResult(nil)
		return changed
	case errors.As(err, &replay):
		r.dbResult(nil)
		refused := make([]bool, len(changed))
		for _, i := range replay.Changes {
			refused[i] = true
			r.challenge(changed[i], true)
		}
		var done []*item
		for i, it := range changed {
			if !refused[i] {
				done = append(done, it)
			}
		}
		return done
	case len(changes) > 1 && !errors.Is(err, store.ErrUnavailable) && ctx.Err() == nil:
		// A row the database refuses fails the whole set: write each
		// alone, so that only its REGISTER fails.
		var done []*item
		for i := range changed {
			done = append(done, r.write(ctx, changes[i:i+1], changed[i:i+1])...)
		}
		return done
	default:
		r.dbResult(err)
		r.unavailable(changed)
		return nil
	}
}

// unavailable answers REGISTERs the database could not serve.
func (r *Registrar) unavailable(its []*item) {
	for _, it := range its {
		it.out = appendFailure(nil, it.req, &failure{status: 503, reason: "Service Unavailable"}, it.tx.ToTag())
	}
}

// authenticate checks the credentials (§10.3 step 3) and that their user
// may change this AoR (step 4: the authenticated user is the AoR's user),
// and answers the REGISTER if not. Failures all look alike from outside
// (401 with a fresh challenge, or 403), so extensions cannot be
// enumerated. With Options.CountNonces the nonce use is kept for the
// store to count.
func (r *Registrar) authenticate(ctx context.Context, it *item, lookup auth.HA1Func) {
	a := r.opt.Auth
	var res auth.Result
	if r.opt.CountNonces {
		var use auth.NonceUse
		res, use = a.VerifyUncounted(ctx, it.req, auth.WWW, it.reg.realm, lookup)
		if res.OK {
			it.nonce = &store.NonceUse{ID: use.ID, NC: use.NC, Expires: time.Unix(use.Expires, 0)}
		}
	} else {
		res = a.Verify(ctx, it.req, auth.WWW, it.reg.realm, lookup)
	}
	switch {
	case res.Err != nil:
		// Nothing could be decided (the subscriber table is away): not
		// the UA's fault, so no challenge.
		r.dbResult(res.Err)
		r.unavailable([]*item{it})
	case !res.OK:
		r.challenge(it, res.Stale)
	case res.User != it.reg.aor.User:
		r.stats.inc(cRefused)
		it.out = appendFailure(nil, it.req, &failure{status: 403, reason: "Forbidden"}, it.tx.ToTag())
	}
}

// challenge answers a REGISTER with 401 and a fresh nonce.
func (r *Registrar) challenge(it *item, stale bool) {
	r.stats.inc(cChallenged)
	b := sip.AppendResponseHead(nil, it.req, 401, "Unauthorized", it.tx.ToTag())
	b = r.opt.Auth.AppendChallenge(b, auth.WWW, it.reg.realm, stale)
	it.out = sip.AppendBody(b, nil)
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
