package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Bounds on password hashing. Each argon2id check allocates 64 MiB
// (argonMemory); with no bound, 60 concurrent bad sign-ins took serve from
// 473 MB to 4.4 GB (issue 12). At most maxHashes run at once (256 MiB),
// at most maxHashQueue sign-ins wait or run, and a waiting one gives up
// after hashWait: the rest are answered 503 at once, costing a goroutine
// and a request, never a hash.
const (
	maxHashes    = 4
	maxHashQueue = 64
	hashWait     = 10 * time.Second
)

// errHashBusy means every hashing slot stayed taken: the sign-in is
// refused with 503 rather than queued without bound.
var errHashBusy = errors.New("too many sign-ins at once")

// hashGate is a semaphore for password hashes. running and peak are kept
// so tests can see the bound hold without timing anything.
type hashGate struct {
	slots, queue chan struct{}
	wait         time.Duration

	mu            sync.Mutex
	running, peak int
}

func newHashGate(slots, queue int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, slots), queue: make(chan struct{}, queue), wait: wait}
}

// do runs hash when a slot is free, or returns errHashBusy (queue full,
// or no slot within the wait) or the context's error.
func (g *hashGate) do(ctx context.Context, hash func()) error {
	select {
	case g.queue <- struct{}{}:
		defer func() { <-g.queue }()
	default:
		return fmt.Errorf("%w: %d waiting", errHashBusy, cap(g.queue))
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		defer func() { <-g.slots }()
	case <-t.C:
		return fmt.Errorf("%w: no slot within %s", errHashBusy, g.wait)
	case <-ctx.Done():
		return fmt.Errorf("waiting to check a password: %w", ctx.Err())
	}
	g.track(1)
	defer g.track(-1)
	hash()
	return nil
}

func (g *hashGate) track(d int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running += d
	g.peak = max(g.peak, g.running)
}

// peakHashes is the most hashes that ran at once so far.
func (g *hashGate) peakHashes() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}
