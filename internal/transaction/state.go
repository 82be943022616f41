package transaction

// State is a transaction state of RFC 3261 §17 (Figures 5 to 8) with the
// "Accepted" state that RFC 6026 adds to both INVITE machines.
type State uint8

// Transaction states. Calling is the INVITE client's first state, Trying
// the non-INVITE client's and server's; the INVITE server starts in
// Proceeding.
const (
	Calling State = iota + 1
	Trying
	Proceeding
	Completed
	Confirmed
	Accepted
	Terminated
)

var stateNames = [...]string{
	Calling: "Calling", Trying: "Trying", Proceeding: "Proceeding",
	Completed: "Completed", Confirmed: "Confirmed", Accepted: "Accepted",
	Terminated: "Terminated",
}

func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "State(?)"
}
