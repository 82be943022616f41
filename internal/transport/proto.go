package transport

import (
	"fmt"
	"strings"
)

// Proto is a SIP transport protocol (RFC 3261 §18).
type Proto uint8

// The transports; the zero value is invalid so a forgotten field is caught.
const (
	UDP Proto = iota + 1
	TCP
	TLS
)

// String returns the Via transport token (RFC 3261 §20.42).
func (p Proto) String() string {
	switch p {
	case UDP:
		return "UDP"
	case TCP:
		return "TCP"
	case TLS:
		return "TLS"
	}
	return fmt.Sprintf("Proto(%d)", uint8(p))
}

// Stream reports whether p is connection-oriented and so needs framing.
func (p Proto) Stream() bool { return p == TCP || p == TLS }

func (p Proto) valid() bool { return p >= UDP && p <= TLS }

// ParseProto accepts the transport token in any case ("udp", "TCP", "tls").
func ParseProto(s string) (Proto, error) {
	switch strings.ToUpper(s) {
	case "UDP":
		return UDP, nil
	case "TCP":
		return TCP, nil
	case "TLS":
		return TLS, nil
	}
	return 0, fmt.Errorf("parse proto %q: unknown transport", s)
}
