package main

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/rs/zerolog/log"
)

// newLogger makes the process logger: JSON lines for services, a readable
// console format on a terminal. CALLSCRIBE_LOG_LEVEL sets the level (default
// info; transcript text is only ever logged at debug). It also becomes
// zerolog's global logger, which whisper.cpp's C log callback writes to
// because a C callback cannot carry a Go logger.
func newLogger(w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(os.Getenv("CALLSCRIBE_LOG_LEVEL"))
	if err != nil || os.Getenv("CALLSCRIBE_LOG_LEVEL") == "" {
		level = zerolog.InfoLevel
	}
	if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	l := zerolog.New(w).Level(level).With().Timestamp().Logger()
	log.Logger = l
	return l
}
