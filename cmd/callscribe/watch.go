package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/watch"
)

// The watcher reaches the pipeline through its own small interface.
var _ watch.Pipeline = (*pipeline.Client)(nil)

func cmdWatch(ctx context.Context, args []string, stdout io.Writer) error {
	var nf natsFlags
	var wf watchFlags
	fs := newFlags("watch", "[flags] DIR")
	nf.register(fs, "nats://"+pipeline.DefaultHost+":4222")
	nf.registerCredentials(fs)
	wf.register(fs, "")
	fs.DurationVar(&wf.maxDuration, "max-duration", transcribe.DefaultMaxDuration, "quarantine WAV recordings whose header declares more audio than this, before upload")
	metricsAddr := fs.String("metrics", "", "serve Prometheus /metrics (the callscribe_watch_* counters) and /healthz on this address; empty: off")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give one drop folder to watch")}
	}
	if _, err := wf.keepDir(); err != nil {
		return err // before connecting: a mistake in the flags is said first
	}
	logger := newLogger(os.Stderr)
	// The call recorder's identity: the watcher is the recorder's side. It
	// may submit calls and read their intake, never a transcript.
	client, err := nf.connectAs(ctx, pipeline.IdentityRecorder, logger)
	if err != nil {
		return err
	}
	defer client.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w, err := wf.watcher(fs.Arg(0), client, newWatchMetrics(reg), logger)
	if err != nil {
		return err
	}
	if *metricsAddr != "" {
		m := &metrics{reg: reg}
		go func() {
			if err := m.serve(ctx, *metricsAddr, client, logger); err != nil {
				logger.Error().Err(err).Msg("metrics listener stopped")
			}
		}()
	}
	return w.Run(ctx)
}

// watchFlags configure a drop-folder watcher: the watch command's flags,
// and serve's with the prefix "watch-" (serve -watch DIR).
type watchFlags struct {
	dir, instance, after, quarantine, fieldMap, ignore, exts string
	settle, grace, rescan, keepFor                           time.Duration
	// maxDuration is the watch command's flag, or serve's -max-duration.
	maxDuration time.Duration
}

func (f *watchFlags) register(fs *flag.FlagSet, prefix string) {
	host, _ := os.Hostname()
	fs.StringVar(&f.instance, prefix+"instance", host, "this watcher's name: its claimed files wait in DIR/.processing/<name>/ and are finished by the next start under that name; "+
		"every watcher sharing a folder needs its own stable name")
	fs.StringVar(&f.after, prefix+"after", "delete", "what happens to a recording and its sidecar once ingested: delete, or move:FOLDER (kept as <call ID>.<ext>; "+
		"the sweep deletes a kept copy when its call is erased or after -"+prefix+"keep-for)")
	fs.StringVar(&f.quarantine, prefix+"quarantine", "", "folder for files that cannot be ingested, each with a <name>.reason.txt (default DIR/.quarantine)")
	fs.StringVar(&f.fieldMap, prefix+"field-map", "", "JSON file mapping XML element or CSV column names to call metadata fields, with time layout and zone (see docs/watch.md); "+
		"default: the names are the fields' own (id, started_at, line, handler_id, caller_number, nhs_number, recording_consent, channel_speakers)")
	fs.StringVar(&f.ignore, prefix+"ignore", strings.Join(watch.DefaultIgnore, ","), "comma-separated name patterns of files still being written (hidden .names are always ignored)")
	fs.StringVar(&f.exts, prefix+"ext", strings.Join(watch.DefaultAudioExts, ","), "comma-separated recording extensions; a sidecar is NAME.json, NAME.xml or NAME.csv, or NAME.<ext>.xml etc.")
	fs.DurationVar(&f.settle, prefix+"settle", 5*time.Second, "take a file only once its size and modification time have not changed for this long")
	fs.DurationVar(&f.grace, prefix+"grace", 10*time.Minute, "how long a recording waits for its sidecar (or a sidecar for its recording) before it is quarantined; "+
		"a lone sidecar recording an objection is then honoured")
	fs.DurationVar(&f.rescan, prefix+"rescan", 30*time.Second, "list the folder this often whatever change notification says (network shares send none)")
	fs.DurationVar(&f.keepFor, prefix+"keep-for", watch.MaxKeep, "delete kept (-"+prefix+"after move:) and quarantined files this long after they were written; at most 4 weeks (672h), the retention of recordings")
}

// watcher builds the watcher the flags describe, for folder dir.
func (f *watchFlags) watcher(dir string, pl watch.Pipeline, m watch.Metrics, logger zerolog.Logger) (*watch.Watcher, error) {
	cfg := watch.Config{Dir: dir, Instance: f.instance, Quarantine: f.quarantine, Settle: f.settle, Grace: f.grace,
		Rescan: f.rescan, KeepFor: f.keepFor, MaxDuration: f.maxDuration, Metrics: m,
		Prober: fileProber{max: f.maxDuration, logger: logger}, Log: logger.With().Str("component", "watch").Logger()}
	var err error
	if cfg.KeepDir, err = f.keepDir(); err != nil {
		return nil, err
	}
	cfg.Ignore, cfg.AudioExts = splitList(f.ignore), splitList(f.exts)
	if f.fieldMap != "" {
		m, err := watch.LoadMapping(f.fieldMap)
		if err != nil {
			return nil, err
		}
		cfg.Mapping = m
	}
	return watch.New(cfg, pl)
}

// keepDir is the folder -after move: names, "" for delete.
func (f *watchFlags) keepDir() (string, error) {
	switch {
	case f.after == "delete":
		return "", nil
	case strings.HasPrefix(f.after, "move:") && len(f.after) > len("move:"):
		return filepath.Clean(f.after[len("move:"):]), nil
	}
	return "", usageError{fmt.Errorf("-after %q: want delete or move:FOLDER", f.after)}
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// fileProber checks a recording as ingest does before upload
// (checkBeforeUpload: the Go header reader for WAV, ffprobe for other
// formats; codec, channels and declared length against the maximum), so a
// file the workers would refuse is quarantined instead of uploaded. A probe
// that fails for want of ffprobe here is not the recording's fault: the
// file is uploaded and the worker judges it.
type fileProber struct {
	max    time.Duration
	logger zerolog.Logger
}

var _ watch.Prober = fileProber{}

func (p fileProber) Probe(path string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := checkBeforeUpload(ctx, path, p.max, p.logger)
	if errors.Is(err, transcribe.ErrTooLong) {
		return 0, fmt.Errorf("%w: %w", watch.ErrTooLong, err)
	}
	return 0, err
}
