package pipeline

import (
	"fmt"

	"github.com/rs/zerolog"
)

// serverLog adapts nats-server's printf-style Logger to zerolog. It also
// reports the server's fatal errors (e.g. the port is taken) on a channel:
// embedded, the server cannot exit the process, and without this start-up
// would just wait for a server that is never coming.
type serverLog struct {
	log   zerolog.Logger
	fatal chan string
}

func newServerLog(l zerolog.Logger) *serverLog {
	return &serverLog{
		log:   l.With().Str("component", "nats-server").Logger(),
		fatal: make(chan string, 1),
	}
}

// Notices (the start-up banner, one line per setting) are debug detail: the
// embedding code logs one "nats-server started" event of its own.
func (s *serverLog) Noticef(format string, v ...any) { s.log.Debug().Msgf(format, v...) }
func (s *serverLog) Warnf(format string, v ...any)   { s.log.Warn().Msgf(format, v...) }
func (s *serverLog) Errorf(format string, v ...any)  { s.log.Error().Msgf(format, v...) }
func (s *serverLog) Debugf(format string, v ...any)  { s.log.Debug().Msgf(format, v...) }

// Tracef is deliberately silent: traces include message payloads, which here
// are transcripts and caller details. The server is also started with
// tracing off; this is the second lock on the door.
func (s *serverLog) Tracef(string, ...any) {}

func (s *serverLog) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	s.log.Error().Bool("fatal", true).Msg(msg)
	select {
	case s.fatal <- msg:
	default: // first fatal error is the one that matters
	}
}
