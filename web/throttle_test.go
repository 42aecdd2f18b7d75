package web

import (
	"fmt"
	"testing"
	"time"
)

// failFor makes one failed attempt and reports whether it was allowed.
func failFor(th *throttle, acct acctKey, addr string) bool {
	end, _ := th.begin(acct, addr)
	if end == nil {
		return false
	}
	end(attemptFailed)
	return true
}

func key(name string) acctKey { var k acctKey; copy(k[:], name); return k }

// TestThrottleDelaysDoubleForOnePair: after three failures from one
// address, each further failure doubles the wait (1 s, 2 s, 4 s ...), up to
// 15 minutes, on the injected clock; nothing sleeps.
func TestThrottleDelaysDoubleForOnePair(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	dr := key("dr.khan")
	for i := 0; i < pairFree; i++ {
		if !failFor(th, dr, "10.0.0.1") {
			t.Fatalf("free failure %d refused", i+1)
		}
	}
	want := pairBaseDelay
	for i := 0; i < 15; i++ {
		end, wait := th.begin(dr, "10.0.0.1")
		if end != nil || wait != want {
			t.Fatalf("step %d: allowed %v, wait %s, want refused for %s", i, end != nil, wait, want)
		}
		clk.now = clk.now.Add(wait)
		if !failFor(th, dr, "10.0.0.1") {
			t.Fatalf("step %d: refused after the wait", i)
		}
		want = min(2*want, pairMaxDelay)
	}
	// A success from the pair forgives it.
	clk.now = clk.now.Add(pairMaxDelay)
	end, _ := th.begin(dr, "10.0.0.1")
	end(attemptSucceeded)
	if end, _ := th.begin(dr, "10.0.0.1"); end == nil {
		t.Fatal("refused after a success")
	}
}

// TestThrottleDoesNotLockOutTheUserElsewhere is the positive control for
// the denial-of-service question: an attacker who has made dr.khan's
// sign-ins from their address wait 15 minutes does not slow dr.khan from
// another address at all, nor from a known-good one during a wide attack.
func TestThrottleDoesNotLockOutTheUserElsewhere(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	dr := key("dr.khan")
	for i := 0; i < 40; i++ { // an attacker at one address, as fast as allowed
		if _, wait := th.begin(dr, "192.0.2.66"); wait > 0 {
			clk.now = clk.now.Add(wait)
		}
		failFor(th, dr, "192.0.2.66")
	}
	if end, _ := th.begin(dr, "192.0.2.66"); end != nil {
		t.Fatal("attacker not throttled")
	}
	end, wait := th.begin(dr, "10.20.0.7")
	if end == nil {
		t.Fatalf("dr.khan refused from a fresh address (wait %s)", wait)
	}
	end(attemptSucceeded)
}

// TestThrottleAddressAndAccountLimits: one address cannot spray every
// account, and many addresses together cannot guess one account without
// bound; past the account limit, an address the user signed in from
// before still gets in (positive control), and the window ends.
func TestThrottleAddressAndAccountLimits(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	th := newThrottle(clk.Now)
	for i := 0; i < addrMaxFailures; i++ {
		if !failFor(th, key(fmt.Sprintf("user%d", i)), "192.0.2.66") {
			t.Fatalf("spray %d refused early", i)
		}
	}
	if end, _ := th.begin(key("someone-else"), "192.0.2.66"); end != nil {
		t.Fatal("address not limited after spraying")
	}
	if end, _ := th.begin(key("someone-else"), "10.0.0.1"); end == nil {
		t.Fatal("another address limited")
	}

	dr := key("dr.khan")
	end, _ := th.begin(dr, "10.20.0.7") // dr.khan's own workstation
	end(attemptSucceeded)
	for i := 0; i < acctMaxFailures; i++ {
		if !failFor(th, dr, fmt.Sprintf("198.51.100.%d", i)) {
			t.Fatalf("distributed guess %d refused early", i)
		}
	}
	if end, _ := th.begin(dr, "203.0.113.9"); end != nil {
		t.Fatal("a new address may still guess past the account limit")
	}
	if end, _ := th.begin(dr, "10.20.0.7"); end == nil {
		t.Fatal("dr.khan refused at a workstation they signed in from")
	}
	clk.now = clk.now.Add(acctWindow)
	if end, _ := th.begin(dr, "203.0.113.9"); end == nil {
		t.Fatal("account limit outlived its window")
	}
}

// TestThrottleCountsAttemptsInFlight: a burst of concurrent guesses from
// one address cannot all pass before the first failure is counted.
func TestThrottleCountsAttemptsInFlight(t *testing.T) {
	th := newThrottle((&fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}).Now)
	allowed := 0
	for i := 0; i < 200; i++ {
		if end, _ := th.begin(key("dr.khan"), "192.0.2.66"); end != nil {
			allowed++
		}
	}
	if allowed != pairFree {
		t.Fatalf("%d of 200 concurrent attempts allowed, want %d", allowed, pairFree)
	}
}
