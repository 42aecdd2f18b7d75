package pipeline_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// WatchOutcomes passes on results and dead letters whose body names the call
// their subject names, and nothing else: a result for call-a published on
// call-b's subject, or a body that does not parse, is dropped. The valid
// messages published after them are the positive control: one connection
// delivers in order, so once they arrive the others would have too.
func TestWatchOutcomesTrustsOnlyAgreeingMessages(t *testing.T) {
	env := newEnv(t)
	got := make(chan pipeline.Outcome, 8)
	stop, err := env.c.WatchOutcomes(func(o pipeline.Outcome) { got <- o })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	pub := func(subject string, v any) {
		b, _ := json.Marshal(v)
		if err := env.c.Conn().Publish(subject, b); err != nil {
			t.Fatal(err)
		}
	}
	pub(pipeline.SubjectTranscribed("call-b"), pipeline.ResultMessage{Call: pipeline.CallMeta{ID: "call-a"}})
	pub(pipeline.SubjectFailed("call-b"), pipeline.FailedMessage{CallID: "call-a", Kind: pipeline.KindPermanent})
	_ = env.c.Conn().Publish(pipeline.SubjectTranscribed("call-c"), []byte("{not json"))
	pub(pipeline.SubjectTranscribed("call-d"), pipeline.ResultMessage{Call: pipeline.CallMeta{ID: "call-d"}})
	pub(pipeline.SubjectFailed("call-e"), pipeline.FailedMessage{CallID: "call-e", Kind: pipeline.KindPermanent})

	var seen []pipeline.Outcome
	for len(seen) < 2 {
		select {
		case o := <-got:
			seen = append(seen, o)
		case <-time.After(10 * time.Second):
			t.Fatalf("saw %d outcomes, want the 2 valid ones", len(seen))
		}
	}
	if seen[0].ID != "call-d" || seen[0].Result == nil || seen[1].ID != "call-e" || seen[1].Failed == nil {
		t.Fatalf("outcomes %+v, want call-d's result then call-e's dead letter only", seen)
	}
	if seen[0].Arrived.IsZero() {
		t.Error("no arrival time")
	}
}
