package dispatcher

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// State is where a destination stands in the health state machine.
//
//	          fail × FailThreshold
//	Active ─────────────────────────▶ Inactive
//	  ▲                                 │  ▲
//	  │ ok × SuccessThreshold      ok   │  │ fail
//	  └──────────── Probing ◀───────────┘  │
//	                   └───────────────────┘
//
// An inactive destination goes straight to Active when SuccessThreshold
// is 1. Only Active destinations are selected. Disabled is the administrator's:
// nothing but SetState moves a destination in or out of it, and it is
// neither selected nor probed.
type State uint32

const (
	StateActive   State = iota // in rotation
	StateInactive              // out of rotation: failed FailThreshold times in a row
	StateProbing               // out of rotation: answering again, not yet SuccessThreshold times
	StateDisabled              // out of rotation and not probed, by the administrator
)

var stateNames = [...]string{"active", "inactive", "probing", "disabled"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint32(s))
}

// ParseState reads a state by name or by the letter Kamailio's
// dispatcher.set_state takes: a, i, p (or t, trying) and d.
func ParseState(s string) (State, error) {
	switch strings.ToLower(s) {
	case "active", "a":
		return StateActive, nil
	case "inactive", "i":
		return StateInactive, nil
	case "probing", "p", "trying", "t":
		return StateProbing, nil
	case "disabled", "d":
		return StateDisabled, nil
	}
	return 0, fmt.Errorf("parse state %q: want active, inactive, probing or disabled", s)
}

// source tells what an observation came from; probes and real traffic
// move the state machine alike but are counted apart.
type source uint8

const (
	fromProbe source = iota
	fromTraffic
)

// scoreScale is a health score of 1: scores are kept in thousandths so
// that selection can read them with one atomic load.
const scoreScale = 1000

// health is the mutable part of a destination: its state and counters.
// It outlives snapshots: a reload hands it to the new Destination with
// the same identity, so state, counters and calls in flight carry over.
type health struct {
	// Read on every selection, so lock-free.
	state    atomic.Uint32 // State
	score    atomic.Uint32 // recent success ratio in thousandths, for relative weight
	inflight atomic.Int64  // calls in progress, for least load

	selected, trafficOK, trafficFail, probeOK, probeFail atomic.Uint64

	mu         sync.Mutex // guards the rest, and every state change
	flags      Flags      // flags as last configured
	failStreak int
	okStreak   int
	since      time.Time // of the last state change
	// outByTraffic: real traffic, not a probe or the administrator,
	// took the destination out; without a prober, readmit brings it back.
	outByTraffic bool
	lastProbe    time.Time
	lastProbeOK  bool
	lastErr      string
	lastLatency  time.Duration
}

func newHealth(flags Flags, now time.Time) *health {
	h := &health{flags: flags, since: now}
	h.state.Store(uint32(flags.initialState()))
	h.score.Store(scoreScale)
	return h
}

func (h *health) load() State { return State(h.state.Load()) }

// transition is a state change, for the caller to log.
type transition struct{ from, to State }

func (t transition) changed() bool { return t.from != t.to }

// observation is one probe result or one outcome of real traffic.
type observation struct {
	ok      bool
	src     source
	latency time.Duration // probes only
	err     error
	now     time.Time
}

// observe runs the state machine on one observation.
func (h *health) observe(ob observation, cfg *HealthConfig) transition {
	h.count(ob)
	h.mu.Lock()
	defer h.mu.Unlock()
	if ob.src == fromProbe {
		h.lastProbe, h.lastProbeOK, h.lastLatency = ob.now, ob.ok, ob.latency
		h.lastErr = ""
		if ob.err != nil {
			h.lastErr = ob.err.Error()
		}
	}
	from := h.load()
	if from == StateDisabled {
		return transition{from, from}
	}
	h.updateScore(ob.ok)
	to := h.next(from, ob, cfg)
	if to != from {
		h.setLocked(to, ob.now)
		h.outByTraffic = to == StateInactive && ob.src == fromTraffic
	}
	return transition{from, to}
}

// readmit puts a destination that real traffic took out at least hold
// ago back into rotation, on probation: its failure streak is one short
// of the threshold, so the next failure takes it out again. It serves a
// dispatcher without a prober, where nothing else would bring it back.
func (h *health) readmit(now time.Time, hold time.Duration, cfg *HealthConfig) transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	from := h.load()
	if from != StateInactive || !h.outByTraffic || now.Sub(h.since) < hold {
		return transition{from, from}
	}
	h.outByTraffic = false
	h.failStreak, h.okStreak = cfg.FailThreshold-1, 0
	h.setLocked(StateActive, now)
	return transition{from, StateActive}
}

func (h *health) count(ob observation) {
	switch {
	case ob.src == fromProbe && ob.ok:
		h.probeOK.Add(1)
	case ob.src == fromProbe:
		h.probeFail.Add(1)
	case ob.ok:
		h.trafficOK.Add(1)
	default:
		h.trafficFail.Add(1)
	}
}

// next applies one observation to the streaks and returns the new state.
// A success on real traffic only clears an active destination's failure
// streak: traffic that reached an inactive destination was sent before
// it went down and says nothing about whether it is back.
func (h *health) next(from State, ob observation, cfg *HealthConfig) State {
	if ob.ok {
		if ob.src == fromTraffic {
			if !cfg.IgnoreTrafficSuccess {
				h.failStreak = 0
			}
			return from
		}
		h.failStreak = 0
		h.okStreak++
		if from != StateActive && h.okStreak >= cfg.SuccessThreshold {
			return StateActive
		}
		if from == StateInactive {
			return StateProbing
		}
		return from
	}
	h.okStreak = 0
	h.failStreak++
	if from == StateActive && h.failStreak < cfg.FailThreshold {
		return from
	}
	return StateInactive
}

// updateScore moves the score a quarter of the way toward 1 or 0, an
// exponentially weighted average over the last few observations.
func (h *health) updateScore(ok bool) {
	s := h.score.Load()
	target := uint32(0)
	if ok {
		target = scoreScale
	}
	h.score.Store((3*s + target) / 4)
}

// set is the administrator's change of state; it restarts the streaks.
func (h *health) set(s State, now time.Time) transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	from := h.load()
	h.failStreak, h.okStreak = 0, 0
	h.outByTraffic = false
	if s != from {
		h.setLocked(s, now)
	}
	return transition{from, s}
}

func (h *health) setLocked(s State, now time.Time) {
	h.state.Store(uint32(s))
	h.since = now
}

// reconfigure applies a reload's flags. A destination keeps its run-time
// state across reloads unless the bits that choose its starting state
// (inactive, trying, disabled) changed: then the list says what the
// operator wants now, and it wins. Other bits, such as FlagProbing, take
// effect without disturbing the state.
func (h *health) reconfigure(flags Flags, now time.Time) transition {
	h.mu.Lock()
	defer h.mu.Unlock()
	from := h.load()
	old := h.flags
	h.flags = flags
	if flags&stateFlags == old&stateFlags {
		return transition{from, from}
	}
	to := flags.initialState()
	h.failStreak, h.okStreak = 0, 0
	if to != from {
		h.setLocked(to, now)
	}
	return transition{from, to}
}
