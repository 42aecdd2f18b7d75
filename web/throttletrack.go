package web

import "time"

// pair, addr and acct return the entry for a key, creating it; nil when
// the map is full of live entries (see maxTracked). Called with t.mu held.
func (t *throttle) pair(k pairKey, now time.Time) *backoff {
	p := t.pairs[k]
	if p != nil && p.pending == 0 && now.Sub(p.last) >= pairForget && !now.Before(p.until) {
		p.failures = 0 // an hour of quiet forgives a pair
	}
	if p == nil {
		if len(t.pairs) >= maxTracked && !t.sweep(now) {
			return nil
		}
		p = &backoff{}
		t.pairs[k] = p
	}
	return p
}

func (t *throttle) addr(k string, now time.Time) *window {
	w := t.addrs[k]
	if w == nil {
		if len(t.addrs) >= maxTracked && !t.sweep(now) {
			return nil
		}
		w = &window{start: now}
		t.addrs[k] = w
	}
	w.roll(now, addrWindow)
	return w
}

func (t *throttle) acct(k acctKey, now time.Time) *window {
	w := t.accts[k]
	if w == nil {
		if len(t.accts) >= maxTracked && !t.sweep(now) {
			return nil
		}
		w = &window{start: now}
		t.accts[k] = w
	}
	w.roll(now, acctWindow)
	return w
}

// sweep drops entries that no longer limit anything and reports whether
// every map has room again.
func (t *throttle) sweep(now time.Time) bool {
	for k, p := range t.pairs {
		if p.pending == 0 && !now.Before(p.until) && now.Sub(p.last) >= pairForget {
			delete(t.pairs, k)
		}
	}
	for k, w := range t.addrs {
		if w.pending == 0 && now.Sub(w.start) >= addrWindow {
			delete(t.addrs, k)
		}
	}
	for k, w := range t.accts {
		if w.pending == 0 && now.Sub(w.start) >= acctWindow {
			delete(t.accts, k)
		}
	}
	for k, at := range t.known {
		if now.Sub(at) >= knownFor {
			delete(t.known, k)
		}
	}
	return len(t.pairs) < maxTracked && len(t.addrs) < maxTracked && len(t.accts) < maxTracked && len(t.known) < maxTracked
}
