package auth

import (
	"bytes"

	"github.com/sipfleet/sipfleet/internal/sip"
)

// uriMatches checks the digest uri against the Request-URI as configured
// (RFC 2617 §3.2.2.5; see URICheck and the package doc). The response is
// computed over the uri as the client sent it in any case.
func (a *Authenticator) uriMatches(m *sip.Msg, uri []byte) bool {
	if a.uriCheck == URICheckNone {
		return true
	}
	ruri, err := m.RequestURI()
	if err != nil {
		return false
	}
	du, err := sip.ParseURI(uri)
	if err != nil {
		return false
	}
	if !ruri.IsSIP() {
		return bytes.EqualFold(du.Scheme, ruri.Scheme) && bytes.Equal(du.Opaque, ruri.Opaque)
	}
	return du.IsSIP() && bytes.Equal(du.User, ruri.User) && bytes.EqualFold(du.Host, ruri.Host)
}
