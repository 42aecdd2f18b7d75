package web

import (
	"context"
	"fmt"
	"time"

	"github.com/callscribe/callscribe/pipeline"
)

// Backlog tells the review UI what transcription still has in hand, so a
// clinician facing an empty queue knows whether more is on its way. The
// pipeline's client satisfies it; the UI never talks to NATS itself.
type Backlog interface {
	Backlog(ctx context.Context) (pipeline.Backlog, error)
}

// backlogLine is the queue page's line about transcription; empty without
// a Backlog.
func (s *Server) backlogLine(ctx context.Context) string {
	if s.cfg.Backlog == nil {
		return ""
	}
	b, err := s.cfg.Backlog.Backlog(ctx)
	if err != nil {
		s.log.Error().Err(err).Msg("transcription backlog not read")
		return "The transcription queue could not be read, so more calls may be on their way."
	}
	return describeBacklog(b, s.cfg.Now())
}

// describeBacklog: "3 calls being transcribed, 4 queued, oldest 12 min".
func describeBacklog(b pipeline.Backlog, now time.Time) string {
	if b.Waiting == 0 && b.InFlight == 0 {
		return "Nothing waiting for transcription."
	}
	noun := "calls"
	if b.InFlight == 1 {
		noun = "call"
	}
	line := fmt.Sprintf("%d %s being transcribed, %d queued", b.InFlight, noun, b.Waiting)
	if !b.Oldest.IsZero() {
		line += ", oldest " + minutes(now.Sub(b.Oldest))
	}
	return line + "."
}

// minutes is an age as a clinician would say it.
func minutes(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under 1 min"
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
