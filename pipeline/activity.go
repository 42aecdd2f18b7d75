package pipeline

import (
	"sync/atomic"
	"time"
)

// activity is what the workers running on one Client are doing, for the
// process's metrics. It lives on the Client rather than on each Worker
// because a process has one Client and one set of metrics, made from it,
// however many workers it runs.
type activity struct {
	slots, busy atomic.Int64
	onStage     atomic.Pointer[func(Stage, time.Duration)]
}

// WorkerLoad is how busy the workers of this process are.
type WorkerLoad struct {
	// Slots is how many calls the running workers may hold at once (the
	// sum of their Concurrency).
	Slots int
	// Busy is how many calls they hold now.
	Busy int
}

// WorkerLoad reports the slots and busy slots of the workers running on
// this client, in this process.
func (c *Client) WorkerLoad() WorkerLoad {
	return WorkerLoad{Slots: int(c.activity.slots.Load()), Busy: int(c.activity.busy.Load())}
}

// OnStageDone sets f to be called, for every call a worker on this client
// transcribes, with the time each stage took (see Stage). f must be quick
// and safe for concurrent use; nil stops the calls.
func (c *Client) OnStageDone(f func(stage Stage, took time.Duration)) {
	if f == nil {
		c.activity.onStage.Store(nil)
		return
	}
	c.activity.onStage.Store(&f)
}

func (a *activity) stagesDone(times []stageTime) {
	f := a.onStage.Load()
	if f == nil {
		return
	}
	for _, t := range times {
		(*f)(t.stage, t.d)
	}
}
