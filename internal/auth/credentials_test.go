package auth

import "testing"

func TestForRealm(t *testing.T) {
	tests := []struct {
		name, value, realm string
		want               bool
	}{
		{"ours", `Digest username="alice", realm="example.com", nonce="n", uri="sip:bob@example.com", response="r"`, "example.com", true},
		{"other realm", `Digest username="alice", realm="upstream.example", nonce="n", uri="sip:x", response="r"`, "example.com", false},
		{"realm first of two", `Digest realm="example.com", realm="other.example", username="a"`, "example.com", true},
		{"escaped realm", `Digest username="a", realm="ex\ample.com"`, "example.com", true},
		{"realm differs in case", `Digest username="a", realm="Example.com"`, "example.com", false},
		{"no realm", `Digest username="a", nonce="n"`, "example.com", false},
		{"not digest", `Basic YWxpY2U6c2VjcmV0`, "example.com", false},
		{"malformed", `Digest realm=`, "example.com", false},
		{"empty", ``, "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForRealm([]byte(tt.value), tt.realm); got != tt.want {
				t.Errorf("ForRealm(%q, %q) = %v, want %v", tt.value, tt.realm, got, tt.want)
			}
		})
	}
}
