package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/callscribe/callscribe/process"
	"github.com/callscribe/callscribe/transcribe"
)

func cmdTranscribe(ctx context.Context, args []string, stdout io.Writer) error {
	var ef engineFlags
	fs := newFlags("transcribe", "[flags] FILE.wav...")
	ef.register(fs)
	format := fs.String("format", "json", "output: json (transcript and decision), txt, srt or vtt")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("no recording given")}
	}
	switch *format {
	case "json", "txt", "srt", "vtt":
	default:
		return usageError{fmt.Errorf("-format %q: want json, txt, srt or vtt", *format)}
	}
	for _, path := range fs.Args() {
		if err := probeFile(ctx, path, ef.maxDuration); err != nil {
			return err
		}
	}
	c, err := ef.classifier()
	if err != nil {
		return err
	}
	logger := newLogger(os.Stderr)
	engine, err := ef.openEngine(1, &logger)
	if err != nil {
		return err
	}
	defer engine.Close()
	logger.Info().Str("model", engine.Model()).Int64("load_ms", engine.LoadTime().Milliseconds()).Msg("model loaded")
	p := ef.newProcessor(engine, c)
	for _, path := range fs.Args() {
		out, err := transcribeFile(ctx, p, path)
		if err != nil {
			return err
		}
		logger.Info().Str("file", path).Str("label", string(out.Decision.Label)).
			Float64("audio_s", out.Transcript.Duration.Seconds()).Int64("decode_ms", out.Times.Decode.Milliseconds()).
			Int64("transcribe_ms", out.Times.Transcribe.Milliseconds()).Int64("classify_ms", out.Times.Classify.Milliseconds()).Msg("transcribed")
		if err := writeTranscript(stdout, *format, path, out); err != nil {
			return err
		}
	}
	return nil
}

// probeFile refuses a file the decoder would refuse, before the model loads.
func probeFile(ctx context.Context, path string, maxDuration time.Duration) error {
	p, err := transcribe.ProbeFile(ctx, path)
	if err == nil {
		err = p.Check(maxDuration)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func transcribeFile(ctx context.Context, p *process.Processor, path string) (*process.Outcome, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return p.Run(ctx, path, f, nil)
}

func writeTranscript(w io.Writer, format, path string, out *process.Outcome) error {
	switch format {
	case "txt":
		return transcribe.WriteText(w, out.Transcript)
	case "srt":
		return transcribe.WriteSRT(w, out.Transcript)
	case "vtt":
		return transcribe.WriteVTT(w, out.Transcript)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		File string `json:"file"`
		*process.Outcome
	}{path, out})
}
