package process

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// Processor is the work done on one recording, whatever brought it:
// decode and resample, transcribe (unless silent), label speakers, classify.
type Processor struct {
	engine transcribe.Engine
	// rules gives the classifier in force, read once per call so that a
	// rules reload (serve) takes effect from the next call.
	rules func() *classify.Classifier
	cfg   Config
}

// New returns a Processor that transcribes with engine and classifies with
// whatever rules returns at the time of each call.
func New(cfg Config, engine transcribe.Engine, rules func() *classify.Classifier) *Processor {
	return &Processor{engine: engine, rules: rules, cfg: cfg}
}

// StageTimes records where one call's time went.
type StageTimes struct {
	Decode     time.Duration `json:"decode_ns"`
	Transcribe time.Duration `json:"transcribe_ns"`
	Classify   time.Duration `json:"classify_ns"`
	// Confirm is the second transcription of an administrative call, with
	// its classification.
	Confirm time.Duration `json:"confirm_ns,omitempty"`
}

// Outcome is one call's result.
type Outcome struct {
	Audio      *transcribe.Audio      `json:"-"`
	Transcript *transcribe.Transcript `json:"transcript"`
	Decision   classify.Decision      `json:"decision"`
	Silent     bool                   `json:"silent,omitempty"`
	Times      StageTimes             `json:"stage_times"`
}

// maxBytes bounds how much of a recording is read before decoding: the
// longest allowed duration at the largest supported PCM size (48 kHz,
// stereo, 32-bit), plus headers. The decoder refuses anything longer from
// its header, so a larger stream is refused there, not buffered.
func (p *Processor) maxBytes() int64 {
	limit := p.cfg.MaxDuration
	if limit <= 0 {
		limit = transcribe.DefaultMaxDuration
	}
	return int64(limit.Seconds()*48000*2*4) + 1<<20
}

// Run handles one recording, reporting each stage to the pipeline worker
// running it, if any (pipeline.ReportStage). speakers names the channels of
// a two-channel recording (nil: Config.Speakers). Decode errors wrap
// transcribe.ErrBadAudio: the input will never succeed.
func (p *Processor) Run(ctx context.Context, id string, r io.Reader, speakers []string) (*Outcome, error) {
	out := &Outcome{}
	// A recording from the object store arrives as a stream of unknown
	// length; read the call whole first (one call is what the decoder may
	// hold anyway), so the decoder sizes its output once instead of growing
	// it chunk by chunk, and FFmpeg can be given it twice (probe, decode).
	// The read is transport, not decoding: it is timed apart.
	if _, ok := r.(io.Seeker); !ok {
		data, err := io.ReadAll(io.LimitReader(r, p.maxBytes()+1))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", id, err)
		}
		r = bytes.NewReader(data)
	}
	t0 := time.Now()
	pipeline.ReportStage(ctx, pipeline.StageDecoding)
	a, err := transcribe.DecodeAny(ctx, r, p.cfg.decodeOptions())
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", id, err)
	}
	out.Audio = a
	t1 := time.Now()
	out.Times.Decode = t1.Sub(t0)

	// Whisper invents text on silence; a silent recording gets no transcript.
	if a.RMSdBFS() < p.cfg.SilenceDB {
		out.Silent = true
		out.Transcript = &transcribe.Transcript{Model: p.engine.Model(), Language: p.cfg.Options.Language, Duration: a.Duration()}
	} else {
		pipeline.ReportStage(ctx, pipeline.StageTranscribing)
		tr, err := p.transcribe(ctx, a, p.cfg.Options, p.cfg.speakers(speakers))
		if err != nil {
			return nil, fmt.Errorf("transcribe %s: %w", id, err)
		}
		out.Transcript = tr
	}
	out.Transcript.Truncated = a.Truncated
	t2 := time.Now()
	out.Times.Transcribe = t2.Sub(t1)
	rules := p.rules()
	pipeline.ReportStage(ctx, pipeline.StageClassifying)
	out.Decision = rules.Classify(out.Transcript)
	t3 := time.Now()
	out.Times.Classify = t3.Sub(t2)
	if p.cfg.Confirm != nil && !out.Silent && needsSecondOpinion(out.Decision) {
		pipeline.ReportStage(ctx, pipeline.StageConfirming)
		if err := p.secondOpinion(ctx, id, out, rules, p.cfg.speakers(speakers)); err != nil {
			return nil, err
		}
		out.Transcript.Truncated = a.Truncated
		out.Times.Confirm = time.Since(t3)
	}
	return out, nil
}

// transcribe runs Whisper on a mono recording as it is, and on a
// two-channel one channel by channel (see perChannel).
func (p *Processor) transcribe(ctx context.Context, a *transcribe.Audio, opts transcribe.Options, speakers []string) (*transcribe.Transcript, error) {
	if len(a.Channels) == 2 {
		return p.perChannel(ctx, a, opts, speakers)
	}
	return p.engine.Transcribe(ctx, a, opts)
}
