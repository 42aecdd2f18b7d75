package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

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
	logger.Info().Str("model", engine.Model()).Dur("load", engine.LoadTime()).Msg("model loaded")
	p := newCallProcessor(&ef, engine, c)
	for _, path := range fs.Args() {
		out, err := transcribeFile(ctx, p, path)
		if err != nil {
			return err
		}
		logger.Info().Str("file", path).Str("label", string(out.Decision.Label)).
			Dur("audio", out.Transcript.Duration).Dur("decode", out.Times.Decode).
			Dur("transcribe", out.Times.Transcribe).Dur("classify", out.Times.Classify).Msg("transcribed")
		if err := writeTranscript(stdout, *format, path, out); err != nil {
			return err
		}
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
