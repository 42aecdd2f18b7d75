package process

import (
	"context"
	"errors"
	"io"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

// Pipeline adapts a Processor to the pipeline's seam: undecodable audio
// will never succeed, so it is marked Permanent and dead-lettered at once.
// Observe, when set, sees each call's outcome (the bench's stage timings,
// serve's metrics).
type Pipeline struct {
	P       *Processor
	Observe func(id string, out *Outcome)
}

// Process runs one call from the queue.
func (a Pipeline) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	out, err := a.P.Run(ctx, meta.ID, audio, meta.ChannelSpeakers)
	if err != nil {
		if errors.Is(err, transcribe.ErrBadAudio) {
			return nil, pipeline.Permanent(err)
		}
		return nil, err
	}
	if a.Observe != nil {
		a.Observe(meta.ID, out)
	}
	return &pipeline.Result{Transcript: out.Transcript, Decision: out.Decision}, nil
}
