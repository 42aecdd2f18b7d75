package pipeline

import (
	"context"
	"github.com/callscribe/callscribe/call"
	"sync"
	"time"
)

// Stage is what a worker is doing with a call it holds (call.Stage).
type Stage = call.Stage

// The stages, in the order a call goes through them.
const (
	StageReading      = call.StageReading
	StageDecoding     = call.StageDecoding
	StageTranscribing = call.StageTranscribing
	StageClassifying  = call.StageClassifying
	StageConfirming   = call.StageConfirming
	StagePublishing   = call.StagePublishing
)

// Stages lists the stages in order.
var Stages = call.Stages

type stageKey struct{}

// ReportStage tells the worker holding the call that the processor has moved
// on to stage s. Processors call it with the context Process was given; the
// worker records the stage in CALL_STATE (without waiting for the write) and
// times it. Outside a worker it does nothing.
func ReportStage(ctx context.Context, s Stage) {
	if t, ok := ctx.Value(stageKey{}).(*stageTracker); ok {
		t.mark(s)
	}
}

// stageMark is the moment a call entered a stage.
type stageMark struct {
	stage Stage
	at    time.Time
}

// stageTracker remembers when one call entered each stage and writes the
// latest stage to CALL_STATE from a goroutine of its own, so processing
// never waits on the store. Stages reported faster than they can be written
// are coalesced: only the latest is written.
type stageTracker struct {
	write func(Stage)

	mu      sync.Mutex
	marks   []stageMark
	stopped bool
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

// startStages begins tracking at first, which the caller has already
// written; write records each later stage.
func startStages(first Stage, write func(Stage)) *stageTracker {
	t := &stageTracker{
		write: write,
		marks: []stageMark{{first, time.Now()}},
		kick:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go t.run()
	return t
}

func (t *stageTracker) mark(s Stage) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped { // e.g. a processor left running after cancellation
		return
	}
	t.marks = append(t.marks, stageMark{s, time.Now()})
	select {
	case t.kick <- struct{}{}:
	default: // a write is already due; it will pick up this stage
	}
}

func (t *stageTracker) run() {
	defer close(t.done)
	written := 1
	for {
		select {
		case <-t.kick:
		case <-t.quit:
			return
		}
		t.mu.Lock()
		n, last := len(t.marks), t.marks[len(t.marks)-1].stage
		t.mu.Unlock()
		if n > written {
			t.write(last)
			written = n
		}
	}
}

// stop ends tracking and waits for a write in progress, so the caller's
// next state change cannot be overtaken by a stage write. It returns how
// long each stage took, the last one ending now. It may be called again.
func (t *stageTracker) stop() []stageTime {
	t.mu.Lock()
	first := !t.stopped
	t.stopped = true
	marks := t.marks
	t.mu.Unlock()
	if first {
		close(t.quit)
	}
	<-t.done
	return stageDurations(marks, time.Now())
}

// stageTime is how long a call spent in one stage, summed over the times
// it entered it.
type stageTime struct {
	stage Stage
	d     time.Duration
}

func stageDurations(marks []stageMark, end time.Time) []stageTime {
	var out []stageTime
	for i, m := range marks {
		until := end
		if i+1 < len(marks) {
			until = marks[i+1].at
		}
		j := 0
		for j < len(out) && out[j].stage != m.stage {
			j++
		}
		if j == len(out) {
			out = append(out, stageTime{stage: m.stage})
		}
		out[j].d += until.Sub(m.at)
	}
	return out
}
