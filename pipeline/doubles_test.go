package pipeline_test

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// secretText is the text the test double "transcribes". Tests check it
// reaches RESULTS and never reaches the logs.
const secretText = "I have been taking sertraline 50mg and feel worse"

// fakeProcessor is a TEST DOUBLE for pipeline.Processor. It does not
// transcribe or classify anything: it reads the audio it is given, records
// which calls it saw (and the bytes), and returns a canned transcript and a
// canned "clinical" decision. A test can script other behaviour per call
// with fn (errors, panics, blocking). It exists only in _test.go files.
type fakeProcessor struct {
	// fn, if set, decides the outcome; n is how many times this call ID
	// has been seen, counting this one (1 = first).
	fn func(ctx context.Context, meta pipeline.CallMeta, n int) (*pipeline.Result, error)

	mu    sync.Mutex
	calls map[string]int
	audio map[string][]byte
	order []string
}

func (f *fakeProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	data, err := io.ReadAll(audio)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.calls == nil {
		f.calls, f.audio = map[string]int{}, map[string][]byte{}
	}
	f.calls[meta.ID]++
	n := f.calls[meta.ID]
	f.audio[meta.ID] = data
	f.order = append(f.order, meta.ID)
	f.mu.Unlock()
	if f.fn != nil {
		return f.fn(ctx, meta, n)
	}
	return cannedResult(), nil
}

func (f *fakeProcessor) count(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[id]
}

func (f *fakeProcessor) sawAudio(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.audio[id]
}

func (f *fakeProcessor) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.order...)
}

// cannedResult is the double's fixed output: one segment, labelled clinical.
func cannedResult() *pipeline.Result {
	return &pipeline.Result{
		Transcript: &transcribe.Transcript{
			Model:    "test-double",
			Language: "en",
			Duration: 4 * time.Second,
			Segments: []transcribe.Segment{{
				Index: 0, Start: 0, End: 4 * time.Second, Text: secretText, Speaker: "caller",
				Tokens: []transcribe.Token{{ID: 1, Text: "I", P: 0.9}},
			}},
		},
		Decision: classify.Decision{
			Label:        classify.Clinical,
			Reasons:      []string{"medication mentioned"},
			RulesVersion: "test-double",
		},
	}
}
