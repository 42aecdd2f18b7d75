package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/transcribe"
)

// Processor turns one call's audio into a transcript and a decision. It is
// the seam between the queue and the work: cmd wires whisper.cpp and the
// classifier into it; tests use doubles.
//
// Process should honour ctx: it is cancelled when the worker's shutdown grace
// period runs out, and the call is then handed back to the queue. Return
// Permanent(err) for input that can never succeed (a corrupt WAV) so it is
// dead-lettered at once; any other error is retried with back-off.
type Processor interface {
	Process(ctx context.Context, meta CallMeta, audio io.Reader) (*Result, error)
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, meta CallMeta, audio io.Reader) (*Result, error)

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, meta CallMeta, audio io.Reader) (*Result, error) {
	return f(ctx, meta, audio)
}

// Result is what a Processor produces for one call.
type Result struct {
	Transcript *transcribe.Transcript
	Decision   classify.Decision
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return "permanent: " + p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that will never succeed on retry (bad input, as
// opposed to a busy machine), so the call is dead-lettered without using up
// its attempts. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or anything it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
