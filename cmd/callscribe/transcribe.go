package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

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
		if err := probeFile(path, ef.maxDuration); err != nil {
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
	p := newCallProcessor(&ef, engine, c)
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
func probeFile(path string, maxDuration time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := transcribe.Probe(f, transcribe.DecodeOptions{MaxDuration: maxDuration}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func transcribeFile(ctx context.Context, p *callProcessor, path string) (*processed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return p.process(ctx, path, f, nil)
}

func writeTranscript(w io.Writer, format, path string, out *processed) error {
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
		*processed
	}{path, out})
}
