package natping

import "sync"

// feed hands one cycle's targets from the reader to the sender. The
// reader may run as far ahead as the database lets it: the pacer needs to
// know how many bindings there are to spread them, and holding a cycle's
// targets costs some 50 bytes a binding, 50 MB for a million.
type feed struct {
	mu    sync.Mutex
	pages [][]target
	read  int  // targets pushed so far
	done  bool // the reader has finished
	// more is signalled on every push and on finish; it holds one
	// signal, so a push while the sender is busy is not lost.
	more chan struct{}
}

func newFeed() *feed { return &feed{more: make(chan struct{}, 1)} }

func (f *feed) push(page []target) {
	if len(page) == 0 {
		return
	}
	f.mu.Lock()
	f.pages = append(f.pages, page)
	f.read += len(page)
	f.mu.Unlock()
	f.signal()
}

func (f *feed) finish() {
	f.mu.Lock()
	f.done = true
	f.mu.Unlock()
	f.signal()
}

func (f *feed) signal() {
	select {
	case f.more <- struct{}{}:
	default:
	}
}

// state says how many targets have been read and whether that is all.
func (f *feed) state() (read int, done bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read, f.done
}

// take appends up to n targets to dst, in the order they were read.
func (f *feed) take(dst []target, n int) []target {
	f.mu.Lock()
	defer f.mu.Unlock()
	for n > 0 && len(f.pages) > 0 {
		p := f.pages[0]
		k := min(n, len(p))
		dst = append(dst, p[:k]...)
		n -= k
		if k == len(p) {
			f.pages[0] = nil // let the page go
			f.pages = f.pages[1:]
		} else {
			f.pages[0] = p[k:]
		}
	}
	return dst
}
