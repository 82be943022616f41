package auth

import "github.com/sipfleet/sipfleet/internal/sip"

// Kind says who challenges: a registrar or other UAS (RFC 3261 §22.2) or
// a proxy (§22.3). It fixes the status code, the challenge header and the
// credentials header together.
type Kind uint8

const (
	WWW   Kind = iota // 401, WWW-Authenticate, Authorization
	Proxy             // 407, Proxy-Authenticate, Proxy-Authorization
)

// StatusCode is the response code that carries the challenge.
func (k Kind) StatusCode() int {
	if k == Proxy {
		return 407
	}
	return 401
}

// ChallengeHeader is the name of the challenge header.
func (k Kind) ChallengeHeader() string {
	if k == Proxy {
		return "Proxy-Authenticate"
	}
	return "WWW-Authenticate"
}

// CredentialsHeader is the header the client answers in.
func (k Kind) CredentialsHeader() sip.HdrID {
	if k == Proxy {
		return sip.HdrProxyAuthorization
	}
	return sip.HdrAuthorization
}
