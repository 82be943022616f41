package auth

// AppendChallenge appends the challenge header lines of kind k for realm
// to a response being built (after sip.AppendResponseHead, before
// sip.AppendBody, in a response with k.StatusCode()): one line per
// configured algorithm, the preferred first (RFC 7616 §3.7), all with the
// same fresh nonce, for example
//
//	WWW-Authenticate: Digest realm="example.com", nonce="EGZ...", opaque="k3...", algorithm=SHA-256, qop="auth"
//	WWW-Authenticate: Digest realm="example.com", nonce="EGZ...", opaque="k3...", algorithm=MD5, qop="auth"
//
// with ", stale=true" at the end of each when stale (Result.Stale). Only
// stale and the fresh nonce vary, so every failure gets the same shape.
func (a *Authenticator) AppendChallenge(dst []byte, k Kind, realm string, stale bool) []byte {
	var nonce [nonceTextLen]byte
	a.appendNonce(nonce[:0], realm, a.clock().Unix())
	for _, alg := range a.algs {
		dst = append(dst, k.ChallengeHeader()...)
		dst = append(dst, `: Digest realm="`...)
		dst = appendEscaped(dst, realm)
		dst = append(dst, `", nonce="`...)
		dst = append(dst, nonce[:]...)
		dst = append(dst, `", opaque="`...)
		dst = append(dst, a.opaque...)
		dst = append(dst, `", algorithm=`...)
		dst = append(dst, alg.String()...)
		dst = append(dst, `, qop="auth"`...)
		if stale {
			dst = append(dst, ", stale=true"...)
		}
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// appendEscaped writes s as the inside of a quoted-string, escaping '"'
// and '\' (RFC 3261 §25.1 quoted-pair). CR and LF cannot be carried and
// are dropped, so a strange realm cannot split the header.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\r', '\n':
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
