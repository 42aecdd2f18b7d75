package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/classify"
	"github.com/callscribe/callscribe/models"
	"github.com/callscribe/callscribe/process"
	"github.com/callscribe/callscribe/transcribe"
	"github.com/callscribe/callscribe/transcribe/whisper"
)

// engineFlags are the transcription and classification settings shared by
// serve, transcribe and bench.
type engineFlags struct {
	model          string
	language       string
	threads        int
	beamSize       int
	prompt         string
	temperature    float64
	temperatureInc float64
	noSpeech       float64
	silenceDB      float64
	maxDuration    time.Duration
	rules          string
	gpu            bool
	gpuDevice      int
	flashAttn      bool
	confirmPrompt  string
	speakers       string
	vad            string // -vad as given
	vadPath        string // resolved by openEngine
}

// defaultConfirmPrompt is the line's greeting: context that helps Whisper
// hear an SPA call as one (not "single point on maths"), and holds no
// clinical word that an echo of the prompt could turn into evidence.
const defaultConfirmPrompt = "Single Point of Access, NHS mental health trust."

func (f *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", models.DefaultName, "Whisper model: a catalogue name (see `callscribe models list`) or a path to a ggml .bin file")
	fs.StringVar(&f.language, "language", "en", "spoken language (ISO 639-1), or auto to detect (multilingual models only)")
	fs.IntVar(&f.threads, "threads", min(4, runtime.NumCPU()), "CPU threads per transcription")
	fs.IntVar(&f.beamSize, "beam-size", 1, "beam search width; 1 decodes greedily (faster)")
	fs.StringVar(&f.prompt, "prompt", "", "initial prompt: domain words (medication names) that help Whisper spell them")
	fs.Float64Var(&f.temperature, "temperature", 0, "decoding temperature")
	fs.Float64Var(&f.temperatureInc, "temperature-inc", 0.2, "temperature fallback step when decoding fails its thresholds; 0 disables fallback")
	fs.Float64Var(&f.noSpeech, "no-speech-threshold", 0.6, "drop segments whose no-speech probability exceeds this (with low confidence): Whisper invents text on silence")
	fs.Float64Var(&f.silenceDB, "silence-db", -50, "recordings quieter than this (RMS, dBFS) are treated as silence and not sent to Whisper")
	fs.DurationVar(&f.maxDuration, "max-duration", 4*time.Hour, "reject recordings longer than this")
	fs.StringVar(&f.rules, "rules", "", "classification rules file (YAML); default: the embedded rules")
	fs.BoolVar(&f.gpu, "gpu", false, "use a GPU backend when ggml has one (Debian: libggml0-backend-cuda or -vulkan)")
	fs.IntVar(&f.gpuDevice, "gpu-device", 0, "which GPU to use when there are several")
	fs.BoolVar(&f.flashAttn, "flash-attn", true, "use flash attention (whisper.cpp's default; -flash-attn=false turns it off)")
	fs.StringVar(&f.vad, "vad", "", "voice activity detection before Whisper: \"silero\" (the model `callscribe models fetch-vad` makes) or a path to a ggml Silero VAD model; only the stretches with speech are transcribed, timestamps stay those of the recording; empty: off")
	fs.StringVar(&f.speakers, "channel-speakers", strings.Join(process.DefaultSpeakers, ","), "speakers on a two-channel recording's channels, left first, unless the call's metadata names them (channel_speakers); each channel is transcribed on its own")
	fs.StringVar(&f.confirmPrompt, "confirm-prompt", defaultConfirmPrompt, "before a call is labelled administrative (and so deleted after 4 weeks), or uncertain only on weak words, transcribe it a second time with this initial prompt: clinical evidence there makes it clinical; a weak-word call whose second transcript is clearly administrative becomes administrative; empty: no second transcription")
}

func (f *engineFlags) options() transcribe.Options {
	return transcribe.Options{
		Language:          f.language,
		Threads:           f.threads,
		BeamSize:          f.beamSize,
		InitialPrompt:     f.prompt,
		Temperature:       float32(f.temperature),
		TemperatureInc:    float32(f.temperatureInc),
		NoSpeechThreshold: float32(f.noSpeech),
		VADModel:          f.vadPath,
	}
}

// processConfig is the flags as the per-call processor takes them.
func (f *engineFlags) processConfig() process.Config {
	var speakers []string
	for _, s := range strings.Split(f.speakers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			speakers = append(speakers, s)
		}
	}
	return process.Config{Options: f.options(), Confirm: f.confirmOptions(),
		MaxDuration: f.maxDuration, SilenceDB: f.silenceDB, Speakers: speakers}
}

// newProcessor is the per-call processor with these settings.
func (f *engineFlags) newProcessor(engine transcribe.Engine, c *classify.Classifier) *process.Processor {
	return process.New(f.processConfig(), engine, func() *classify.Classifier { return c })
}

// confirmOptions are the second transcription's settings (nil: none).
func (f *engineFlags) confirmOptions() *transcribe.Options {
	if f.confirmPrompt == "" {
		return nil
	}
	o := f.options()
	o.InitialPrompt = f.confirmPrompt
	return &o
}

// openEngine resolves the model and loads instances copies of it.
func (f *engineFlags) openEngine(instances int, logger *zerolog.Logger) (*whisper.Engine, error) {
	if !whisper.Built {
		return nil, whisper.ErrNotBuilt
	}
	path, err := models.ResolveFromOS(f.model)
	if err != nil {
		return nil, err
	}
	if f.vadPath, err = resolveVAD(f.vad); err != nil {
		return nil, err
	}
	return whisper.Open(whisper.Config{
		ModelPath: path, Instances: instances,
		GPU: f.gpu, GPUDevice: f.gpuDevice, NoFlashAttention: !f.flashAttn,
		Logger: logger,
	})
}

// classifier loads the rules named by -rules, or the embedded default.
func (f *engineFlags) classifier() (*classify.Classifier, error) {
	if f.rules == "" {
		return classify.Default()
	}
	c, err := classify.Load(f.rules)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", f.rules, err)
	}
	return c, nil
}

// resolveVAD finds the VAD model -vad names: "silero" is the converted
// model in the model cache. A missing file is an error now, not a failed
// transcription per call later.
func resolveVAD(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	path := v
	if v == "silero" {
		cache, err := models.CacheDir()
		if err != nil {
			return "", err
		}
		path = filepath.Join(cache, models.SileroVAD().FileName())
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("-vad %s: %w (callscribe models fetch-vad makes the Silero model)", v, err)
	}
	return path, nil
}
