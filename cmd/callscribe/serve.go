package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/transcribe"
)

func cmdServe(ctx context.Context, args []string, stdout io.Writer) error {
	var ef engineFlags
	var nf natsFlags
	fs := newFlags("serve", "[flags]")
	ef.register(fs)
	nf.register(fs, "")
	var wf webFlags
	wf.register(fs)
	fs.Lookup("nats").Usage = "use this NATS server instead of starting the embedded one"
	home, _ := os.UserHomeDir()
	data := fs.String("data", filepath.Join(home, ".local", "share", "callscribe"), "data folder of the embedded NATS server (JetStream store)")
	listen := fs.String("listen", pipeline.DefaultHost, "address the embedded NATS server listens on (loopback only unless a -token is set)")
	port := fs.Int("port", pipeline.DefaultPort, "port of the embedded NATS server")
	workers := fs.Int("workers", 1, "transcriptions at once; each loads its own copy of the model")
	ackWait := fs.Duration("ack-wait", 30*time.Second, "how long before a silent worker's call goes to another worker")
	maxDeliver := fs.Int("max-deliver", 5, "attempts per call before it is dead-lettered on calls.failed.<id>")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "on shutdown, how long calls in hand may finish before they are handed back")
	replicas := fs.Int("replicas", 1, "stream and bucket replicas (3 on a NATS cluster)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *workers < 1 {
		return usageError{fmt.Errorf("-workers %d: need at least 1", *workers)}
	}
	logger := newLogger(os.Stderr)
	modelPath, err := models.ResolveFromOS(ef.model)
	if err != nil {
		return err
	}
	ef.model = modelPath
	switch {
	case !flagSet(fs, "workers") && !flagSet(fs, "threads"):
		cfg, why := chooseWorkers(*data, modelPath, runtime.NumCPU(), ef.gpu)
		*workers, ef.threads = cfg.Workers, cfg.Threads
		logger.Info().Int("workers", cfg.Workers).Int("threads", cfg.Threads).Str("why", why).Msg("chose workers and threads")
	case !flagSet(fs, "threads"):
		// ggml's threads spin while they wait: never give workers more
		// threads than there are cores.
		ef.threads = max(1, runtime.NumCPU() / *workers)
	}

	// Fail fast on the model and rules, before any call is taken. The rules
	// file is watched (and re-read on SIGHUP): a valid change applies from
	// the next call, an invalid one is refused and the old rules stay.
	rules, err := classify.NewReloader(ef.rules, logger.With().Str("component", "rules").Logger())
	if err != nil {
		return err
	}
	go rules.Run(ctx)
	engine, err := ef.openEngine(*workers, &logger)
	if err != nil {
		return err
	}
	defer engine.Close()

	url := nf.url
	if url == "" {
		srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{
			DataDir: *data, Host: *listen, Port: *port, Token: nf.token, Log: logger,
		})
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		url = srv.ClientURL()
	}
	nf.url = url
	client, err := nf.connect(ctx, "callscribe-serve", logger)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.EnsureStreams(ctx, pipeline.Config{Replicas: *replicas}); err != nil {
		return err
	}
	stopWeb, err := wf.start(ctx, client, logger)
	if err != nil {
		return err
	}
	defer stopWeb()
	logger.Info().Str("nats", url).Str("model", engine.Model()).Dur("model_load", engine.LoadTime()).
		Int("workers", *workers).Int("threads", ef.threads).Str("rules", rules.Current().Version()).
		Msg("serving: ingest with `callscribe ingest FILE.wav`, results on calls.transcribed.<id>")

	proc := newCallProcessor(&ef, engine, rules.Current())
	proc.rules = rules.Current
	w := &pipeline.Worker{
		Client:        client,
		Processor:     pipelineProcessor{p: proc},
		Concurrency:   *workers,
		AckWait:       *ackWait,
		MaxDeliver:    *maxDeliver,
		ShutdownGrace: *grace,
		Log:           logger,
	}
	err = w.Run(ctx)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	logger.Info().Msg("stopped")
	return err
}

// pipelineProcessor adapts the call processor to the pipeline's seam:
// undecodable audio will never succeed, so it is dead-lettered at once.
// observe, when set, sees each call's outcome (the bench's stage timings).
type pipelineProcessor struct {
	p       *callProcessor
	observe func(id string, out *processed)
}

func (a pipelineProcessor) Process(ctx context.Context, meta pipeline.CallMeta, audio io.Reader) (*pipeline.Result, error) {
	out, err := a.p.process(ctx, meta.ID, audio, meta.ChannelSpeakers)
	if err != nil {
		if errors.Is(err, transcribe.ErrBadAudio) {
			return nil, pipeline.Permanent(err)
		}
		return nil, err
	}
	if a.observe != nil {
		a.observe(meta.ID, out)
	}
	return &pipeline.Result{Transcript: out.Transcript, Decision: out.Decision}, nil
}
