package transaction

// The timers of every transaction in a shard live in one hashed timer
// wheel (Varghese and Lauck's scheme 6: unsorted lists) guarded by the
// shard's mutex. Starting, stopping and firing a timer are O(1) pointer
// operations on a timer embedded in the transaction, so a timer costs no
// allocation and no goroutine, unlike time.AfterFunc. A timer further away than one turn of
// the wheel is simply passed over (its deadline is checked) until its turn.

const (
	// 4096 slots: 40.96 s per turn at 10 ms, so the 64*T1 timers and
	// Timer D are due on their first visit; only long TU timers (Timer C)
	// are passed over a few times. 32 KiB per shard.
	wheelBits = 12
	wheelSize = 1 << wheelBits
	wheelMask = wheelSize - 1
)

// timerKind says which of its timers fired, to the owner.
type timerKind uint8

const (
	timerRetransmit timerKind = iota // A, E, G
	timerTimeout                     // B, F, H, L, M and D, I, J, K
	timerTrying                      // the 200 ms 100 Trying of §17.2.1
	timerUser                        // a TU timer (Layer.AfterFunc)
)

// timerOwner reacts to its timer firing. It runs under the shard lock and
// must only record what to do outside it in fx.
type timerOwner interface {
	fire(k timerKind, fx *effects)
}

// timer is an intrusive list node of a wheel slot.
type timer struct {
	next, prev *timer
	when       int64 // deadline, in ticks
	owner      timerOwner
	kind       timerKind
	armed      bool
}

type wheel struct {
	now    int64 // last tick processed
	n      int   // armed timers
	cursor *timer
	slots  [wheelSize]*timer
}

// start arms t to fire ticks (at least 1) after the current tick,
// re-arming it if it was armed.
func (w *wheel) start(t *timer, ticks int64) {
	if t.armed {
		w.stop(t)
	}
	t.when = w.now + max(ticks, 1)
	s := &w.slots[t.when&wheelMask]
	t.prev, t.next = nil, *s
	if *s != nil {
		(*s).prev = t
	}
	*s = t
	t.armed = true
	w.n++
}

// stop disarms t; it is a no-op on a timer that is not armed.
func (w *wheel) stop(t *timer) {
	if !t.armed {
		return
	}
	if w.cursor == t {
		w.cursor = t.next
	}
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		w.slots[t.when&wheelMask] = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	}
	t.next, t.prev, t.armed = nil, nil, false
	w.n--
}

// advance processes every tick up to and including to, firing due timers
// in deadline order. A firing may start or stop any timer: starts land at
// least one tick ahead, and the cursor steps over stopped ones.
func (w *wheel) advance(to int64, fx *effects) {
	for w.now < to {
		if w.n == 0 {
			w.now = to
			return
		}
		w.now++
		w.cursor = w.slots[w.now&wheelMask]
		for w.cursor != nil {
			t := w.cursor
			w.cursor = t.next
			if t.when <= w.now {
				w.stop(t)
				t.owner.fire(t.kind, fx)
			}
		}
	}
}
