package sip

// Method identifies a request method. Methods are case-sensitive tokens
// (RFC 3261 §7.1): "invite" is an unknown method, not INVITE.
type Method uint8

// Known methods; any other token is MethodOther and is carried as written.
const (
	MethodOther Method = iota
	INVITE
	ACK
	BYE
	CANCEL
	REGISTER
	OPTIONS
	SUBSCRIBE
	NOTIFY
	REFER
	MESSAGE
	INFO
	PRACK
	UPDATE
	PUBLISH
	methodCount
)

var methodNames = [methodCount]string{
	INVITE: "INVITE", ACK: "ACK", BYE: "BYE", CANCEL: "CANCEL",
	REGISTER: "REGISTER", OPTIONS: "OPTIONS", SUBSCRIBE: "SUBSCRIBE",
	NOTIFY: "NOTIFY", REFER: "REFER", MESSAGE: "MESSAGE", INFO: "INFO",
	PRACK: "PRACK", UPDATE: "UPDATE", PUBLISH: "PUBLISH",
}

// String returns the method name ("" for MethodOther).
func (m Method) String() string {
	if m >= methodCount {
		return ""
	}
	return methodNames[m]
}

// lookupMethod classifies a method token, byte-exact.
func lookupMethod(b []byte) Method {
	if len(b) < 3 || len(b) > 9 {
		return MethodOther
	}
	for m := INVITE; m < methodCount; m++ {
		if n := methodNames[m]; len(n) == len(b) && n[0] == b[0] && string(b) == n {
			return m
		}
	}
	return MethodOther
}
