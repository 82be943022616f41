package transaction

import "time"

// Timer is a TU timer on the layer's wheel, for timers the RFC leaves to
// the TU such as a proxy's Timer C (§16.6 step 11, §16.8). It costs no
// goroutine; its function runs on the layer's timer goroutine and must not
// block.
type Timer struct {
	l  *Layer
	sh *shard
	t  timer
	f  func()
}

// AfterFunc calls f after d on the layer's timer goroutine, unless
// stopped first.
func (l *Layer) AfterFunc(d time.Duration, f func()) *Timer {
	sh := l.shards[l.userRR.Add(1)&l.mask]
	t := &Timer{l: l, sh: sh, f: f}
	t.t.owner, t.t.kind = t, timerUser
	sh.mu.Lock()
	sh.wheel.start(&t.t, l.toTicks(d))
	sh.mu.Unlock()
	return t
}

// Stop prevents the timer from firing; it reports whether it was armed.
func (t *Timer) Stop() bool {
	t.sh.mu.Lock()
	defer t.sh.mu.Unlock()
	armed := t.t.armed
	t.sh.wheel.stop(&t.t)
	return armed
}

// Reset re-arms the timer to fire after d (Timer C restarts on every
// provisional, §16.7 step 2); it reports whether it was armed.
func (t *Timer) Reset(d time.Duration) bool {
	t.sh.mu.Lock()
	defer t.sh.mu.Unlock()
	armed := t.t.armed
	t.sh.wheel.start(&t.t, t.l.toTicks(d))
	return armed
}

func (t *Timer) fire(_ timerKind, fx *effects) {
	fx.add(effect{op: opFunc, f: t.f})
}
