package process

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/callscribe/callscribe/transcribe"
)

// perChannel transcribes a two-channel recording channel by channel, as the
// cloud recognisers (AWS, Google, Deepgram) do with channel identification,
// and merges the segments in time order, each named by its channel's
// speaker. Before, the mono mix was transcribed and each segment was given
// the louder channel's speaker over its whole span, so a segment that held
// both sides of an exchange was given to one of them.
//
// Each channel's silences (the other side talking, hold) are cut out before
// Whisper sees them (transcribe.SpeechSpans, transcribe.Compact), so a call
// costs about its speech, not twice its length, and Whisper is not handed
// long silences to invent text on; the segments' times are mapped back to
// the recording's. A channel with no speech on it is named in the
// transcript's SilentChannels and not transcribed.
func (p *Processor) perChannel(ctx context.Context, a *transcribe.Audio, opts transcribe.Options, speakers []string) (*transcribe.Transcript, error) {
	out := &transcribe.Transcript{Model: p.engine.Model(), Language: opts.Language, Duration: a.Duration()}
	for c, samples := range a.Channels {
		name := speakers[c]
		spans := transcribe.SpeechSpans(samples, transcribe.QuietDBFS)
		cut := transcribe.Compact(samples, spans)
		ch := &transcribe.Audio{Samples: cut.Samples, SourceRate: a.SourceRate, SourceChannels: 1, SourceFormat: a.SourceFormat}
		// The level of what is left once the silences are cut: a caller
		// who says three words in a ten-minute call is not silent, though
		// the channel's level over the whole call would say so.
		if len(spans) == 0 || ch.RMSdBFS() < p.cfg.SilenceDB {
			out.SilentChannels = append(out.SilentChannels, name)
			continue
		}
		tr, err := p.engine.Transcribe(ctx, ch, opts)
		if err != nil {
			return nil, fmt.Errorf("channel %d (%s): %w", c, name, err)
		}
		out.Model, out.Recogniser = tr.Model, tr.Recogniser
		if tr.Language != "" {
			out.Language = tr.Language
		}
		out.Timings.Total += tr.Timings.Total
		out.Timings.Encode, out.Timings.Decode, out.Timings.Sample = tr.Timings.Encode, tr.Timings.Decode, tr.Timings.Sample
		for _, s := range tr.Segments {
			s.Start, s.End = cut.Original(s.Start), cut.Original(s.End)
			for i := range s.Tokens {
				s.Tokens[i].Start, s.Tokens[i].End = cut.Original(s.Tokens[i].Start), cut.Original(s.Tokens[i].End)
			}
			s.Speaker = name
			out.Segments = append(out.Segments, s)
		}
	}
	// Time order; at the same start (both talking at once), channel order.
	slices.SortStableFunc(out.Segments, func(x, y transcribe.Segment) int {
		return cmp.Compare(x.Start, y.Start)
	})
	for i := range out.Segments {
		out.Segments[i].Index = i
	}
	return out, nil
}
