package web

import (
	"sync"
	"time"
)

// Sign-in throttling. The design goal is that guessing passwords is slow
// from anywhere, while no one can lock a clinician out of the record by
// typing wrong passwords for them: an on-call psychiatrist who cannot sign
// in at 3 a.m. is a clinical risk, so there is no hard account lock.
//
//   - Per (account, address) pair: three free failures, then each failure
//     doubles a delay (1 s, 2 s, 4 s, ... at most 15 min) during which that
//     pair may not try. It is the main brake on guessing, and it touches
//     only the attacker's own address: the same user from another address
//     is not slowed.
//   - Per address: at most 30 failures in 15 min across all accounts, so one
//     address cannot spray a common password over every account.
//   - Per account: at most 100 failures in an hour from all addresses
//     together, against a distributed guess. Past it, only addresses the
//     user signed in from successfully in the last 30 days may try. That is
//     the one limit that can refuse a real user (on a new machine, during a
//     distributed attack on their account, for at most the hour); a single
//     address cannot reach it, as its pair delays allow about 17 failures
//     an hour.
//
// Known-good pairs are exempt from the address and account limits, so
// users who share a NAT address with an attacker still get in. Attempts in
// flight count as failures until they end, so a burst of concurrent
// guesses cannot all pass the check before the first failure is counted.
// Refused attempts cost no password hash. State is in memory (a restart
// clears it, which an attacker cannot cause from the sign-in page) and
// bounded: see maxTracked.
const (
	pairFree        = 3
	pairBaseDelay   = time.Second
	pairMaxDelay    = 15 * time.Minute
	pairForget      = time.Hour
	addrWindow      = 15 * time.Minute
	addrMaxFailures = 30
	acctWindow      = time.Hour
	acctMaxFailures = 100
	knownFor        = 30 * 24 * time.Hour
	// maxTracked bounds each map (about 100 bytes an entry, so some
	// 10 MB in all). When one is full of live entries, attempts that would
	// need a new entry are refused: failing closed under an attack wide
	// enough to fill it.
	maxTracked = 100_000
)

// pairKey names an (account, address) pair; acctKey is the keyed digest
// of the typed username (see signInGuard.userKey).
type (
	acctKey [16]byte
	pairKey struct {
		acct acctKey
		addr string
	}
)

// backoff is one pair's failures and the delay they earned.
type backoff struct {
	failures, pending int
	until, last       time.Time
}

// window counts failures in a fixed window.
type window struct {
	failures, pending int
	start             time.Time
}

func (w *window) roll(now time.Time, length time.Duration) {
	if now.Sub(w.start) >= length {
		w.failures, w.start = 0, now
	}
}

// throttle holds the counters; now is the injected clock.
type throttle struct {
	mu    sync.Mutex
	now   func() time.Time
	pairs map[pairKey]*backoff
	addrs map[string]*window
	accts map[acctKey]*window
	known map[pairKey]time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, pairs: map[pairKey]*backoff{}, addrs: map[string]*window{},
		accts: map[acctKey]*window{}, known: map[pairKey]time.Time{}}
}

// attempt is how an allowed sign-in attempt ended.
type attempt int

const (
	attemptFailed    attempt = iota // wrong password: counted
	attemptSucceeded                // forgives the pair, marks it known-good
	attemptAbandoned                // never checked (busy, cancelled): not counted
)

// begin asks whether acct may try from addr now. If so it reserves the
// attempt, and end must be called with how it ended; if not, retry says
// when to ask again.
func (t *throttle) begin(acct acctKey, addr string) (end func(attempt), retry time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := pairKey{acct, addr}
	known := now.Sub(t.known[k]) < knownFor
	p, a, c := t.pair(k, now), t.addr(addr, now), t.acct(acct, now)
	switch {
	case p == nil || a == nil || c == nil:
		return nil, time.Minute // full: see maxTracked
	case now.Before(p.until):
		return nil, p.until.Sub(now)
	case p.failures+p.pending >= pairFree && p.pending > 0:
		return nil, pairBaseDelay // past the free tries, one at a time
	case !known && a.failures+a.pending >= addrMaxFailures:
		return nil, a.start.Add(addrWindow).Sub(now)
	case !known && c.failures+c.pending >= acctMaxFailures:
		return nil, c.start.Add(acctWindow).Sub(now)
	}
	p.pending, a.pending, c.pending = p.pending+1, a.pending+1, c.pending+1
	return func(how attempt) { t.end(k, p, a, c, how) }, 0
}

// end settles an attempt that begin allowed.
func (t *throttle) end(k pairKey, p *backoff, a, c *window, how attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	p.pending, a.pending, c.pending = p.pending-1, a.pending-1, c.pending-1
	switch how {
	case attemptAbandoned:
		return
	case attemptSucceeded:
		delete(t.pairs, k)
		if len(t.known) < maxTracked || t.sweep(now) {
			t.known[k] = now
		}
		return
	}
	p.failures++
	p.last = now
	a.failures++
	c.failures++
	if n := p.failures - pairFree; n >= 0 {
		d := pairMaxDelay
		if n < 20 && pairBaseDelay<<n < pairMaxDelay {
			d = pairBaseDelay << n
		}
		p.until = now.Add(d)
	}
}
