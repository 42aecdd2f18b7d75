package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

func cmdIngest(ctx context.Context, args []string, stdout io.Writer) error {
	var nf natsFlags
	fs := newFlags("ingest", "[flags] FILE.wav...")
	nf.register(fs, "nats://"+pipeline.DefaultHost+":4222")
	nf.registerCredentials(fs)
	metaPath := fs.String("meta", "", "call metadata JSON (id, started_at, line, handler_id, caller_number, nhs_number, recording_consent, channel_speakers); one recording only")
	id := fs.String("id", "", "call ID (default: the file name without extension); one recording only")
	line := fs.String("line", "", "telephone line or queue the call came in on")
	handler := fs.String("handler", "", "ID of the member of staff who took the call")
	objected := fs.Bool("objected", false, "the caller objected to recording: the recording is purged and never transcribed")
	wait := fs.Duration("wait", 0, "wait up to this long for each call to be transcribed and print its result (0: do not wait)")
	maxDuration := fs.Duration("max-duration", 4*time.Hour, "refuse, before uploading anything, a recording whose header declares more audio than this (the workers' -max-duration)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError{errors.New("no recording given")}
	}
	if (*metaPath != "" || *id != "") && len(files) > 1 {
		return usageError{errors.New("-meta and -id describe one recording; give one file")}
	}
	logger := newLogger(os.Stderr)
	// Every file's header is read before any is uploaded: a 10-hour
	// recording (576 MB of WAV) was uploaded whole before the worker
	// refused it for its length.
	for _, path := range files {
		if err := checkBeforeUpload(ctx, path, *maxDuration, logger); err != nil {
			return err
		}
	}
	// The call recorder's identity: it may submit calls and follow their
	// states, never read a transcript or a recording back.
	client, err := nf.connectAs(ctx, pipeline.IdentityRecorder, logger)
	if err != nil {
		return err
	}
	defer client.Close()

	for _, path := range files {
		meta, err := ingestMeta(path, *metaPath, *id)
		if err != nil {
			return err
		}
		if *metaPath == "" {
			meta.Line, meta.HandlerID, meta.RecordingConsent = *line, *handler, !*objected
		}
		if err := meta.Validate(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res, err := ingestFile(ctx, client, meta, path)
		if err != nil {
			return err
		}
		note := "queued"
		if res.Duplicate {
			note = "duplicate: already submitted, not queued again"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", meta.ID, res.State, note)
		if *wait > 0 && !res.Duplicate {
			if err := waitAndShow(ctx, client, meta.ID, *wait, stdout); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkBeforeUpload refuses a recording the workers would refuse from its
// header alone (too long, more than two channels, not audio). A probe that
// fails for want of ffprobe on this host is not the recording's fault: the
// file is uploaded and the worker judges it.
func checkBeforeUpload(ctx context.Context, path string, maxDuration time.Duration, logger zerolog.Logger) error {
	p, err := transcribe.ProbeFile(ctx, path)
	if err == nil {
		err = p.Check(maxDuration)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, transcribe.ErrBadAudio):
		return fmt.Errorf("%s: not uploaded: %w", path, err)
	case errors.Is(err, os.ErrNotExist):
		return err
	}
	logger.Warn().Err(err).Str("file", path).Msg("could not read the recording's header here; uploading it for the worker to check")
	return nil
}

// ingestMeta reads the metadata file, or builds metadata from the file name.
func ingestMeta(path, metaPath, id string) (pipeline.CallMeta, error) {
	if metaPath != "" {
		f, err := os.Open(metaPath)
		if err != nil {
			return pipeline.CallMeta{}, err
		}
		defer f.Close()
		m, err := pipeline.ParseCallMeta(f)
		if err != nil {
			return m, fmt.Errorf("%s: %w", metaPath, err)
		}
		return m, nil
	}
	if id == "" {
		id = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
		if !pipeline.ValidID(id) {
			return pipeline.CallMeta{}, usageError{fmt.Errorf("%s: the file name %q is not a valid call ID (letters, digits, '-' and '_'): give -id", path, id)}
		}
	}
	m := pipeline.CallMeta{ID: id, StartedAt: time.Now().UTC()}
	if st, err := os.Stat(path); err == nil {
		m.StartedAt = st.ModTime().UTC()
	}
	return m, nil
}

func ingestFile(ctx context.Context, c *pipeline.Client, meta pipeline.CallMeta, path string) (pipeline.IngestResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return pipeline.IngestResult{}, err
	}
	defer f.Close()
	res, err := c.Ingest(ctx, meta, f)
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", path, err)
	}
	return res, nil
}

// waitAndShow polls the call's state until it settles, then prints it.
func waitAndShow(ctx context.Context, c *pipeline.Client, id string, limit time.Duration, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.State(ctx, id)
		if err == nil && st.State.Settled() {
			return showCall(ctx, c, id, "text", w, false) // state and label; transcripts through audited status
		}
		if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("call %s not settled after %s (state %s): is `callscribe serve` running?", id, limit, st.State)
		case <-tick.C:
		}
	}
}
