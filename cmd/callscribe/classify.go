package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
	"unicode/utf8"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/transcribe"
)

// maxClassifyInput bounds what classify reads: an hour-long call transcript
// is well under a megabyte, so anything near this is the wrong file.
const maxClassifyInput = 32 << 20

// cmdClassify labels one transcript, given as plain text or as a transcript
// JSON (what `callscribe transcribe` writes), from a file or standard input.
// It exists so that the lexicon can be tried on a transcript, and a label
// explained, without running the pipeline.
func cmdClassify(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("classify", "[flags] [FILE|-]")
	rulesPath := fs.String("rules", "", "classification rules YAML file (empty: the built-in rules)")
	format := fs.String("format", "text", "output format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError{fmt.Errorf("-format %q: want text or json", *format)}
	}
	if fs.NArg() > 1 {
		return usageError{fmt.Errorf("one transcript at a time, got %d arguments", fs.NArg())}
	}
	path := "-"
	if fs.NArg() == 1 {
		path = fs.Arg(0)
	}

	var c *classify.Classifier
	var err error
	if *rulesPath != "" {
		c, err = classify.Load(*rulesPath)
	} else {
		c, err = classify.Default()
	}
	if err != nil {
		return err
	}
	data, name, err := readTranscriptInput(path)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := classifyInput(c, name, data)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("writing decision: %w", err)
		}
		return nil
	}
	if err := d.WriteText(stdout, ""); err != nil {
		return fmt.Errorf("writing decision: %w", err)
	}
	return nil
}

// readTranscriptInput reads FILE, or standard input for "-", and names it
// for messages.
func readTranscriptInput(path string) ([]byte, string, error) {
	var r io.Reader = os.Stdin
	name := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, path, fmt.Errorf("opening transcript: %w", err)
		}
		defer f.Close()
		r, name = f, path
	}
	data, err := io.ReadAll(io.LimitReader(r, maxClassifyInput+1))
	if err != nil {
		return nil, name, fmt.Errorf("reading transcript from %s: %w", name, err)
	}
	if len(data) > maxClassifyInput {
		return nil, name, fmt.Errorf("transcript %s is larger than %d MiB; is it the right file?", name, maxClassifyInput>>20)
	}
	return data, name, nil
}

// classifyInput tells a transcript JSON (leading '{') from plain text and
// classifies it. Audio given by mistake is refused rather than read as text.
func classifyInput(c *classify.Classifier, name string, data []byte) (classify.Decision, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	if bytes.HasPrefix(trimmed, []byte("RIFF")) {
		return classify.Decision{}, usageError{fmt.Errorf("%s looks like a WAV recording; transcribe it first with `callscribe transcribe`", name)}
	}
	if !utf8.Valid(trimmed) {
		return classify.Decision{}, fmt.Errorf("%s is not UTF-8 text", name)
	}
	if bytes.HasPrefix(trimmed, []byte("{")) {
		// Extra fields are allowed (a result file may carry more than the
		// transcript), but a JSON without segments is not a transcript.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			return classify.Decision{}, fmt.Errorf("%s: reading transcript JSON: %w", name, err)
		}
		if _, ok := fields["segments"]; !ok {
			return classify.Decision{}, fmt.Errorf("%s: JSON has no \"segments\" field, so it is not a transcript", name)
		}
		var t transcribe.Transcript
		if err := json.Unmarshal(trimmed, &t); err != nil {
			return classify.Decision{}, fmt.Errorf("%s: reading transcript JSON: %w", name, err)
		}
		return c.Classify(&t), nil
	}
	return c.ClassifyText(string(trimmed)), nil
}

// clock formats an audio offset as m:ss.s.
func clock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	m := d / time.Minute
	s := (d - m*time.Minute).Seconds()
	return fmt.Sprintf("%d:%04.1f", m, s)
}
