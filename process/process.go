package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// callProcessor is the work done on one recording, whatever brought it:
// decode and resample, transcribe (unless silent), label speakers, classify.
type callProcessor struct {
	engine transcribe.Engine
	// rules gives the classifier in force, read once per call so that a
	// rules reload (serve) takes effect from the next call.
	rules func() *classify.Classifier
	opts  transcribe.Options
	// confirm, when set, is a second transcription for calls the rules
	// find administrative, or uncertain on weak words (see secondOpinion).
	confirm   *transcribe.Options
	decode    transcribe.DecodeOptions
	silenceDB float64
}

// stageTimes records where one call's time went.
type stageTimes struct {
	Decode     time.Duration `json:"decode_ns"`
	Transcribe time.Duration `json:"transcribe_ns"`
	Classify   time.Duration `json:"classify_ns"`
	// Confirm is the second transcription of an administrative call, with
	// its classification.
	Confirm time.Duration `json:"confirm_ns,omitempty"`
}

// processed is one call's outcome.
type processed struct {
	Audio      *transcribe.Audio      `json:"-"`
	Transcript *transcribe.Transcript `json:"transcript"`
	Decision   classify.Decision      `json:"decision"`
	Silent     bool                   `json:"silent,omitempty"`
	Times      stageTimes             `json:"stage_times"`
}

// maxBytes bounds how much of a recording is read before decoding: the
// longest allowed duration at the largest supported PCM size (48 kHz,
// stereo, 32-bit), plus headers. The decoder refuses anything longer from
// its header, so a larger stream is refused there, not buffered.
func (p *callProcessor) maxBytes() int64 {
	limit := p.decode.MaxDuration
	if limit <= 0 {
		limit = transcribe.DefaultMaxDuration
	}
	return int64(limit.Seconds()*48000*2*4) + 1<<20
}

func newCallProcessor(ef *engineFlags, engine transcribe.Engine, c *classify.Classifier) *callProcessor {
	return &callProcessor{
		engine:    engine,
		rules:     func() *classify.Classifier { return c },
		opts:      ef.options(),
		confirm:   ef.confirmOptions(),
		decode:    transcribe.DecodeOptions{MaxDuration: ef.maxDuration},
		silenceDB: ef.silenceDB,
	}
}

// process handles one recording, reporting each stage to the pipeline
// worker running it, if any (pipeline.ReportStage). speakers names the channels of a stereo
// recording (nil for the default handler, caller). Decode errors wrap
// transcribe.ErrBadAudio: the input will never succeed.
func (p *callProcessor) process(ctx context.Context, id string, r io.Reader, speakers []string) (*processed, error) {
	out := &processed{}
	// A recording from the object store arrives as a stream of unknown
	// length; read the call whole first (one call is what the decoder may
	// hold anyway), so the decoder sizes its output once instead of growing
	// it chunk by chunk. The read is transport, not decoding: it is timed
	// apart.
	if _, ok := r.(io.Seeker); !ok {
		data, err := io.ReadAll(io.LimitReader(r, p.maxBytes()+1))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", id, err)
		}
		r = bytes.NewReader(data)
	}
	t0 := time.Now()
	pipeline.ReportStage(ctx, pipeline.StageDecoding)
	a, err := transcribe.Decode(r, p.decode)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", id, err)
	}
	out.Audio = a
	t1 := time.Now()
	out.Times.Decode = t1.Sub(t0)

	// Whisper invents text on silence; a silent recording gets no transcript.
	if a.RMSdBFS() < p.silenceDB {
		out.Silent = true
		out.Transcript = &transcribe.Transcript{Model: p.engine.Model(), Language: p.opts.Language, Duration: a.Duration()}
	} else {
		pipeline.ReportStage(ctx, pipeline.StageTranscribing)
		tr, err := p.engine.Transcribe(ctx, a, p.opts)
		if err != nil {
			return nil, fmt.Errorf("transcribe %s: %w", id, err)
		}
		transcribe.LabelSpeakers(tr, a, speakers)
		out.Transcript = tr
	}
	t2 := time.Now()
	out.Times.Transcribe = t2.Sub(t1)
	rules := p.rules()
	pipeline.ReportStage(ctx, pipeline.StageClassifying)
	out.Decision = rules.Classify(out.Transcript)
	t3 := time.Now()
	out.Times.Classify = t3.Sub(t2)
	if p.confirm != nil && !out.Silent && needsSecondOpinion(out.Decision) {
		pipeline.ReportStage(ctx, pipeline.StageConfirming)
		if err := p.secondOpinion(ctx, id, out, rules, speakers); err != nil {
			return nil, err
		}
		out.Times.Confirm = time.Since(t3)
	}
	return out, nil
}

// needsSecondOpinion: calls about to be labelled administrative, and calls
// uncertain only because of weak clinical words.
func needsSecondOpinion(d classify.Decision) bool {
	return d.Label == classify.Administrative || d.Uncertainty == classify.UncertainWeak
}

// secondOpinion transcribes a call a second time, with the line's greeting
// as Whisper's prompt, before an administrative label (or an uncertain one
// resting on weak words) stands. The administrative label is the one that
// leads to deletion, and a single misheard word ("overdose" heard as
// "overalls") is enough to lose the only clinical evidence in a call; a
// decoding with different context mishears differently.
//
//   - If the second transcript holds clinical evidence, the call is
//     clinical, and that transcript, whose words the evidence cites, is kept.
//   - A call uncertain only because of weak words ("wandering", "shaking")
//     becomes administrative when the second transcript does not hear any
//     clinical word and is itself clearly administrative: the two
//     transcriptions disagree on a word with a common everyday sense.
//   - Otherwise the first transcript and label stand. Weak or doubtful
//     evidence in the second transcript is not acted on.
func (p *callProcessor) secondOpinion(ctx context.Context, id string, out *processed, rules *classify.Classifier, speakers []string) error {
	tr, err := p.engine.Transcribe(ctx, out.Audio, *p.confirm)
	if err != nil {
		return fmt.Errorf("transcribe %s (second opinion): %w", id, err)
	}
	transcribe.LabelSpeakers(tr, out.Audio, speakers)
	d := rules.Classify(tr)
	first := out.Decision
	switch {
	case d.Label == classify.Clinical && first.Label == classify.Administrative:
		d.Reasons = append([]string{"the first transcription held no clinical terms; a second one, made before labelling the call administrative, did"}, d.Reasons...)
	case d.Label == classify.Clinical:
		d.Reasons = append([]string{"a second transcription confirmed the clinical evidence that the first held only weakly"}, d.Reasons...)
	case d.Label == classify.Administrative && first.Uncertainty == classify.UncertainWeak:
		d.Reasons = append([]string{"the first transcription's only clinical words were weak ones (" + strings.Join(first.Reasons, "; ") +
			"); a second transcription did not hear them and heard no other clinical word"}, d.Reasons...)
	default:
		return nil
	}
	out.Transcript, out.Decision = tr, d
	return nil
}
