package e2e

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sipfleet/sipfleet/internal/testenv"
)

// The scenarios this suite documents and proves; TestScenarioFiles checks
// that the directory holds exactly these.
var scenarioList = []string{
	"uac_call", "uac_call_auth", "uac_cancel", "uac_options", "uac_register", "uac_register_auth", "uac_register_nat",
	"uas_503", "uas_answer", "uas_call", "uas_options", "uas_register", "uas_register_auth",
	"uas_register_path", "uas_ring_forever", "uas_ring_proxied", "uas_silent",
}

// TestScenarioFiles checks what can be checked without SIPp: each file is
// well-formed XML, names itself after its file and opens with a comment
// saying what it does and which parameters it takes.
func TestScenarioFiles(t *testing.T) {
	if got := ScenarioNames(); !slices.Equal(got, scenarioList) {
		t.Errorf("scenarios/ holds %v; want %v", got, scenarioList)
	}
	for _, name := range ScenarioNames() {
		b, err := os.ReadFile(Scenario(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if i := bytes.IndexFunc(b, func(r rune) bool { return r > unicode.MaxASCII }); i >= 0 {
			t.Errorf("%s: byte %d is not ASCII; the files declare ISO-8859-1, as SIPp's own do", name, i)
		}
		var doc struct {
			XMLName xml.Name
			Name    string `xml:"name,attr"`
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		dec.CharsetReader = asciiCharset
		if err := dec.Decode(&doc); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if doc.XMLName.Local != "scenario" || doc.Name != name {
			t.Errorf("%s: root <%s name=%q>, want <scenario name=%q>", name, doc.XMLName.Local, doc.Name, name)
		}
		head, _, _ := strings.Cut(string(b), "<scenario")
		if !strings.Contains(head, "<!--\n  "+name+":") || !strings.Contains(head, "Parameters:") {
			t.Errorf("%s: the header comment must start with %q and document its Parameters", name, name+":")
		}
	}
}

// asciiCharset reads the declared ISO-8859-1 of files that hold only
// ASCII, which both encodings spell the same.
func asciiCharset(charset string, r io.Reader) (io.Reader, error) {
	if !strings.EqualFold(charset, "ISO-8859-1") {
		return nil, fmt.Errorf("encoding %q: the scenarios declare ISO-8859-1", charset)
	}
	return r, nil
}

// outcome is what one side of a pair should count.
type outcome struct {
	successful, failed int
	cause              string // SIPp's reason for the failures, if any
}

// pairCase runs a client scenario against a server scenario directly.
type pairCase struct {
	name     string
	uas, uac testenv.SippOptions // Scenario holds a scenario name
	wantUAS  outcome
	wantUAC  outcome
}

var (
	domainKeys = map[string]string{"domain": "localhost", "expires": "60"}
	authKeys   = map[string]string{"user": "alice", "password": "s3cret"}
)

func pairCases() []pairCase {
	return []pairCase{{
		name:    "call",
		uas:     testenv.SippOptions{Scenario: "uas_call", MaxCalls: 5},
		uac:     testenv.SippOptions{Scenario: "uac_call", MaxCalls: 5, Rate: 20, Service: "bob", CallLength: 20 * time.Millisecond},
		wantUAS: outcome{successful: 5}, wantUAC: outcome{successful: 5},
	}, {
		name:    "call over TCP",
		uas:     testenv.SippOptions{Scenario: "uas_call", MaxCalls: 2, Transport: "t1"},
		uac:     testenv.SippOptions{Scenario: "uac_call", MaxCalls: 2, Rate: 20, Service: "bob", Transport: "t1"},
		wantUAS: outcome{successful: 2}, wantUAC: outcome{successful: 2},
	}, {
		name:    "call refused with 503",
		uas:     testenv.SippOptions{Scenario: "uas_503", MaxCalls: 3},
		uac:     testenv.SippOptions{Scenario: "uac_call", MaxCalls: 3, Rate: 20, Service: "bob"},
		wantUAS: outcome{successful: 3}, wantUAC: outcome{failed: 3, cause: "UnexpectedMessage"},
	}, {
		name:    "call never answered",
		uas:     testenv.SippOptions{Scenario: "uas_silent", MaxCalls: 2},
		uac:     testenv.SippOptions{Scenario: "uac_call", MaxCalls: 2, Rate: 20, Service: "bob", RecvTimeout: time.Second},
		wantUAS: outcome{successful: 2}, wantUAC: outcome{failed: 2, cause: "TimeoutOnRecv"},
	}, {
		name:    "cancel",
		uas:     testenv.SippOptions{Scenario: "uas_ring_forever", MaxCalls: 3},
		uac:     testenv.SippOptions{Scenario: "uac_cancel", MaxCalls: 3, Rate: 20, Service: "bob"},
		wantUAS: outcome{successful: 3}, wantUAC: outcome{successful: 3},
	}, {
		name:    "register",
		uas:     testenv.SippOptions{Scenario: "uas_register", MaxCalls: 3},
		uac:     testenv.SippOptions{Scenario: "uac_register", MaxCalls: 3, Rate: 20, Service: "alice", Keys: domainKeys},
		wantUAS: outcome{successful: 3}, wantUAC: outcome{successful: 3},
	}, {
		name:    "register without Path refused",
		uas:     testenv.SippOptions{Scenario: "uas_register_path", MaxCalls: 2},
		uac:     testenv.SippOptions{Scenario: "uac_register", MaxCalls: 2, Rate: 20, Service: "alice", Keys: domainKeys},
		wantUAS: outcome{failed: 2, cause: "RegexpHdrNotFound"}, wantUAC: outcome{failed: 2, cause: "CallRejected"},
	}, {
		name: "register with digest",
		uas:  testenv.SippOptions{Scenario: "uas_register_auth", MaxCalls: 2, Keys: authKeys},
		uac: testenv.SippOptions{Scenario: "uac_register_auth", MaxCalls: 2, Rate: 20, Service: "alice", Keys: domainKeys,
			AuthPass: "s3cret", AuthURI: "localhost"},
		wantUAS: outcome{successful: 2}, wantUAC: outcome{successful: 2},
	}, {
		name: "register with a wrong password",
		uas:  testenv.SippOptions{Scenario: "uas_register_auth", MaxCalls: 2, Keys: authKeys},
		uac: testenv.SippOptions{Scenario: "uac_register_auth", MaxCalls: 2, Rate: 20, Service: "alice", Keys: domainKeys,
			AuthPass: "wrong", AuthURI: "localhost"},
		wantUAS: outcome{failed: 2, cause: "TimeoutOnRecv"}, wantUAC: outcome{failed: 2, cause: "CallRejected"},
	}, {
		name:    "options",
		uas:     testenv.SippOptions{Scenario: "uas_options", MaxCalls: 3},
		uac:     testenv.SippOptions{Scenario: "uac_options", MaxCalls: 3, Rate: 20},
		wantUAS: outcome{successful: 3}, wantUAC: outcome{successful: 3},
	}}
}

// TestScenarioPairs runs each client scenario against its server, SIPp to
// SIPp on loopback, and checks what both sides counted.
func TestScenarioPairs(t *testing.T) {
	testenv.RequireBinary(t, "sipp")
	for i, tc := range pairCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.uas.Scenario = Scenario(t, tc.uas.Scenario)
			tc.uas.Local = testenv.LoopbackIP(t, 100+2*i)
			uas := testenv.StartUAS(t, tc.uas)

			tc.uac.Scenario = Scenario(t, tc.uac.Scenario)
			tc.uac.Local = testenv.LoopbackIP(t, 101+2*i)
			tc.uac.Remote = uas.Addr()
			checkOutcome(t, "uac", testenv.RunUAC(t, tc.uac), tc.wantUAC)

			// The UAS exits by itself once it has had MaxCalls calls.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := uas.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkOutcome(t, "uas", r, tc.wantUAS)
		})
	}
}

func checkOutcome(t *testing.T, side string, r testenv.SippResult, want outcome) {
	t.Helper()
	if err := r.Check(want.successful, want.failed); err != nil {
		t.Errorf("%s: %v", side, err)
	}
	if want.cause != "" && r.Causes[want.cause] != want.failed {
		t.Errorf("%s: failures by cause %v; want %d %s", side, r.Causes, want.failed, want.cause)
	}
	wantExit := 0
	if want.failed > 0 {
		wantExit = 1
	}
	if r.ExitCode != wantExit {
		t.Errorf("%s: exit status %d, want %d", side, r.ExitCode, wantExit)
	}
}
