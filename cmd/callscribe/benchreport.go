package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

// benchReport is what `callscribe bench` prints.
type benchReport struct {
	Model        string           `json:"model"`
	Cores        int              `json:"cores"`
	GPU          bool             `json:"gpu"`
	Devices      []whisper.Device `json:"devices"`
	Date         time.Time        `json:"date"`
	Files        int              `json:"files"`
	AudioSeconds float64          `json:"audio_seconds"`
	Runs         []benchRun       `json:"runs"`
	// Source is the model asked for when -weights ran its other forms.
	Source string `json:"source,omitempty"`
	// FasterWhisperSkipped says why --compare ran no faster-whisper.
	FasterWhisperSkipped string `json:"faster_whisper_skipped,omitempty"`
}

func benchDevices() []whisper.Device { return whisper.Devices() }

// markBest flags the configuration with the highest throughput at the f16
// model's accuracy (bestIndex).
func (r *benchReport) markBest() {
	if best := bestIndex(r.Runs); best >= 0 {
		r.Runs[best].Best = true
	}
}

func (r *benchReport) best() *benchRun {
	for i := range r.Runs {
		if r.Runs[i].Best {
			return &r.Runs[i]
		}
	}
	return nil
}

func (r *benchReport) writeText(w io.Writer) error {
	fmt.Fprintf(w, "callscribe bench  %s  model %s  %d cores  %d files, %.1f min of audio\n",
		r.Date.Format("2006-01-02"), r.Model, r.Cores, r.Files, r.AudioSeconds/60)
	for _, d := range r.Devices {
		mem := ""
		if d.MemoryTotal > 0 {
			mem = fmt.Sprintf(", %.1f GiB", float64(d.MemoryTotal)/(1<<30))
		}
		fmt.Fprintf(w, "device: %s (%s: %s%s)\n", d.Name, d.Type, d.Description, mem)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "weights\tworkers\tthreads\trealtime x\tcalls/h\tp50\tp95\tpeak RSS\tWER\twhisper-cli x\tcli WER\tratio\tfw x\tfw WER\tratio fw\t")
	for _, run := range r.Runs {
		cliX, cliWER, ratio := "-", "-", "-"
		if c := run.WhisperCLI; c != nil {
			cliX, cliWER, ratio = fmt.Sprintf("%.2f", c.RTF), pct(c.WER), fmt.Sprintf("%.3f", run.RatioToCLI)
		}
		fwX, fwWER, ratioFW := "-", "-", "-"
		if f := run.FW; f != nil {
			fwX, fwWER, ratioFW = fmt.Sprintf("%.2f", f.RTF), pct(f.WER), fmt.Sprintf("%.3f", run.RatioToFW)
		}
		mark := ""
		if run.Best && len(r.Runs) > 1 {
			mark = " <- best"
		}
		weights := run.Weights
		if weights == "" {
			weights = "as given"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.0f\t%s\t%s\t%.0f MiB\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", weights, run.Config.Workers, run.Config.Threads,
			run.RTF, run.CallsPerHour, secs(run.LatencyP50), secs(run.LatencyP95), float64(run.PeakRSS)/(1<<20),
			pct(run.WER), cliX, cliWER, ratio, fwX, fwWER, ratioFW, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r.writeFWNote(w)
	if b := r.best(); b != nil {
		fmt.Fprintf(w, "\nbest: %s workers=%d threads=%d; model load %s; failed calls %d\n", filepath.Base(b.ModelPath), b.Config.Workers, b.Config.Threads, secs(b.ModelLoad), b.Failed)
		fmt.Fprintf(w, "mean per call (ms):")
		keys := make([]string, 0, len(b.Stages))
		for k := range b.Stages {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s %.1f", k, b.Stages[k])
		}
		fmt.Fprintf(w, "\nnats overhead per call: p50 %.1f ms, p99 %.1f ms\n", ms(b.OverheadP50), ms(b.OverheadP99))
	}
	return nil
}

// writeFWNote says which faster-whisper ran, or why none did.
func (r *benchReport) writeFWNote(w io.Writer) {
	if r.FasterWhisperSkipped != "" {
		fmt.Fprintf(w, "faster-whisper: not run: %s\n", r.FasterWhisperSkipped)
		return
	}
	for _, run := range r.Runs {
		if f := run.FW; f != nil {
			fmt.Fprintf(w, "faster-whisper: %s, compute type %s, cpu; model load %s\n", f.Version, f.ComputeType, secs(f.ModelLoad))
			return
		}
	}
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }
func ms(d time.Duration) float64  { return float64(d) / float64(time.Millisecond) }

// savedBest is what a sweep leaves for serve: the best configuration for
// this host and model, and with -weights the best form of the model.
type savedBest struct {
	Model string `json:"model"`
	// Source is the model the sweep was asked for; serve given that model
	// by default (no -model) runs Model instead, the best at equal WER.
	Source  string      `json:"source,omitempty"`
	Weights string      `json:"weights,omitempty"`
	Cores   int         `json:"cores"`
	GPU     bool        `json:"gpu"`
	Config  benchConfig `json:"config"`
	RTF     float64     `json:"realtime_factor"`
	Date    time.Time   `json:"date"`
	Comment string      `json:"comment"`
}

func bestPath(dataDir string) string { return filepath.Join(dataDir, "bench-best.json") }

func saveBest(dataDir string, r *benchReport) error {
	b := r.best()
	if b == nil {
		return nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(savedBest{Model: filepath.Base(b.ModelPath), Source: r.Source, Weights: b.Weights,
		Cores: r.Cores, GPU: r.GPU, Config: b.Config,
		RTF: b.RTF, Date: r.Date, Comment: "written by callscribe bench --sweep; serve uses it when workers and threads are not given"}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(bestPath(dataDir), data, 0o644)
}

// chooseModel is the model serve runs when the operator did not name one:
// the form of model the last sweep found fastest at equal WER (-weights),
// when that sweep was of model on this host and the file is still there.
func chooseModel(dataDir, model string, cores int, gpu bool) (string, string) {
	data, err := os.ReadFile(bestPath(dataDir))
	if err != nil {
		return model, ""
	}
	var b savedBest
	if json.Unmarshal(data, &b) != nil || b.Source != model || b.Cores != cores || b.GPU != gpu || b.Weights == "" || b.Weights == weightsF16 {
		return model, ""
	}
	name := models.NameFor(b.Model)
	if _, err := models.ResolveFromOS(name); err != nil {
		return model, ""
	}
	return name, fmt.Sprintf("the sweep of %s found %s fastest at %s's accuracy (%.1fx realtime)", b.Date.Format("2006-01-02"), b.Weights, model, b.RTF)
}

// chooseWorkers picks serve's workers and threads when the operator gave
// neither: the sweep's best for this host and model if there is one, else
// one worker with every core (whisper.cpp scales well with threads on small
// hosts, and one call finishes soonest that way).
func chooseWorkers(dataDir, modelPath string, cores int, gpu bool) (benchConfig, string) {
	if data, err := os.ReadFile(bestPath(dataDir)); err == nil {
		var b savedBest
		if json.Unmarshal(data, &b) == nil && b.Model == filepath.Base(modelPath) && b.Cores == cores && b.GPU == gpu && b.Config.Workers > 0 {
			return b.Config, fmt.Sprintf("from the sweep of %s (%.1fx realtime)", b.Date.Format("2006-01-02"), b.RTF)
		}
	}
	return benchConfig{Workers: 1, Threads: cores}, "default: no sweep recorded for this host and model (run callscribe bench --sweep)"
}

// progress draws a one-line progress bar on a terminal, nothing elsewhere.
type progress struct {
	w  io.Writer
	on bool
}

func newProgress(f *os.File) *progress { return &progress{w: f, on: isatty.IsTerminal(f.Fd())} }

func (p *progress) show(label string, done, total int) {
	if !p.on || total == 0 {
		return
	}
	n := 30 * done / total
	fmt.Fprintf(p.w, "\r%-34s [%s%s] %d/%d", label, strings.Repeat("#", n), strings.Repeat(".", 30-n), done, total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
