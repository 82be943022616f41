package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// HA1Func looks up H(user:realm:password) for alg, in hex, for Verify.
// The subscriber table's ha1 column answers MD5; SHA-256 needs the plain
// password (see HA1) or a column of its own. It returns ErrUnknownUser
// (possibly wrapped) when there is no such user, or no credential for
// alg; any other error makes Verify's Result carry it. ctx bounds it.
type HA1Func func(ctx context.Context, user, realm string, alg Algorithm) (ha1 string, err error)

// ErrUnknownUser is what an HA1Func returns for a user it does not know.
var ErrUnknownUser = errors.New("unknown user")

// Result is the outcome of Verify.
type Result struct {
	// OK is true when the credentials are good: the request may proceed.
	OK bool
	// User is the authenticated username (unescaped), when OK.
	User string
	// Stale is passed to AppendChallenge: the nonce was authentic but has
	// expired, or its nonce-count was used, and the client need not ask
	// its user again.
	Stale bool
	// Reason says why not OK, for logs only: it must not change the
	// response, or users could be told apart.
	Reason string
	// Err is set when nothing could be decided (the HA1 lookup or the
	// nonce counter failed): answer 500, or 503 with Retry-After, instead
	// of a challenge.
	Err error
}

// Failure reasons that tests and callers may compare.
const (
	reasonNoCredentials = "no credentials for realm"
	reasonMalformed     = "malformed credentials"
	reasonBadNonce      = "invalid nonce"
	reasonStale         = "stale nonce"
	reasonURI           = "uri does not match Request-URI"
	reasonUnknownUser   = "unknown user"
	reasonWrong         = "wrong response"
	reasonReplay        = "nonce-count replayed (or nonce no longer tracked)"
)

// Verify checks the credentials of kind k for realm in request m (RFC 3261
// §22.2, §22.3; RFC 7616 §3.4). On failure the caller answers with
// k.StatusCode() and AppendChallenge(dst, k, realm, Result.Stale), or 500
// when Result.Err is set. lookup is called at most once, and only for
// credentials that are well-formed, for a valid nonce and for this uri.
func (a *Authenticator) Verify(ctx context.Context, m *sip.Msg, k Kind, realm string, lookup HA1Func) Result {
	res, _ := a.verify(ctx, m, k, realm, lookup, true)
	return res
}

// VerifyUncounted is Verify without the nonce-count: when the Result is
// OK, the caller has use counted where it acts on the request — a
// registrar in the transaction that writes the binding, so the two share
// a commit — and treats a count used before as Result{Stale: true}.
func (a *Authenticator) VerifyUncounted(ctx context.Context, m *sip.Msg, k Kind, realm string, lookup HA1Func) (Result, NonceUse) {
	return a.verify(ctx, m, k, realm, lookup, false)
}

func (a *Authenticator) verify(ctx context.Context, m *sip.Msg, k Kind, realm string, lookup HA1Func, count bool) (Result, NonceUse) {
	if !m.IsRequest() {
		return failed("not a request"), NonceUse{}
	}
	var c credentials
	if reason := c.find(m, k, realm); reason != "" {
		return failed(reason), NonceUse{}
	}
	if reason := c.check(a); reason != "" {
		return failed(reason), NonceUse{}
	}
	now := a.clock()
	n, state := a.checkNonce(c.nonce, realm, now.Unix())
	switch state {
	case nonceInvalid:
		return failed(reasonBadNonce), NonceUse{}
	case nonceStale:
		return Result{Stale: true, Reason: reasonStale}, NonceUse{} // RFC 7616 §3.3
	}
	if !a.uriMatches(m, c.uri) {
		return failed(reasonURI), NonceUse{}
	}
	return a.finish(ctx, m, &c, n, realm, now, lookup, count)
}

// finish looks up HA1, checks the response and, with count, advances
// the nonce-count; it gives the nonce use either way.
func (a *Authenticator) finish(ctx context.Context, m *sip.Msg, c *credentials, n nonce, realm string, now time.Time, lookup HA1Func, count bool) (Result, NonceUse) {
	user := string(c.username)
	var buf [2 * sha256.Size]byte
	ha1, known, err := a.lookupHA1(ctx, lookup, user, realm, c.alg, &buf)
	if err != nil {
		return Result{Reason: "ha1 lookup failed", Err: err}, NonceUse{}
	}
	match := a.responseMatches(c, ha1, m.MethodBytes()) // hashed for unknown users too
	switch {
	case !known:
		return failed(reasonUnknownUser), NonceUse{}
	case !match:
		return failed(reasonWrong), NonceUse{}
	}
	use := NonceUse{ID: n.id, NC: c.count, Expires: n.expires}
	if !count {
		return Result{OK: true, User: user}, use
	}
	ok, err := a.counter.Advance(ctx, use, now)
	switch {
	case err != nil:
		return Result{Reason: "nonce counter failed", Err: err}, use
	case !ok:
		return Result{Stale: true, Reason: reasonReplay}, use
	}
	return Result{OK: true, User: user}, use
}

// Username gives the username (unescaped) of m's Digest credentials of
// kind k for realm, when they are well-formed: the user whose HA1 Verify
// would look up. A caller that checks many requests at once looks them
// all up in one round trip first, and verifies each against that.
func (a *Authenticator) Username(m *sip.Msg, k Kind, realm string) (string, bool) {
	var c credentials
	if c.find(m, k, realm) != "" || c.check(a) != "" {
		return "", false
	}
	return string(c.username), true
}

func failed(reason string) Result { return Result{Reason: reason} }

// lookupHA1 returns the user's HA1 in lowercase hex, or, for an unknown
// user, a dummy one of the same length with known false, so that the
// response is hashed either way.
func (a *Authenticator) lookupHA1(ctx context.Context, lookup HA1Func, user, realm string, alg Algorithm, buf *[2 * sha256.Size]byte) (ha1 []byte, known bool, err error) {
	want := 2 * alg.size()
	s, err := lookup(ctx, user, realm, alg)
	switch {
	case errors.Is(err, ErrUnknownUser):
		return a.dummyHA1[:want], false, nil
	case err != nil:
		return nil, false, fmt.Errorf("look up %v ha1: %w", alg, err)
	case len(s) != want || !isHex(s):
		return nil, false, fmt.Errorf("look up %v ha1: got %d characters, want %d hex digits", alg, len(s), want)
	}
	return lowerHex(buf, s), true, nil
}

// responseMatches computes the expected response and compares it with
// the client's in constant time.
func (a *Authenticator) responseMatches(c *credentials, ha1, method []byte) bool {
	in := digestInput{alg: c.alg, ha1: ha1, nonce: c.nonce, nc: c.nc, cnonce: c.cnonce, qop: c.qop, method: method, uri: c.uri}
	var want, got [2 * sha256.Size]byte
	return subtle.ConstantTimeCompare(in.response(&want), lowerHex(&got, c.response)) == 1
}
