package transcribe

import (
	"context"
	"time"
)

// Engine turns audio into a transcript. The real engine is whisper.cpp
// (package transcribe/whisper); the seam exists so the pipeline can be tested
// without a model and so builds without whisper.cpp refuse clearly.
type Engine interface {
	Transcribe(ctx context.Context, a *Audio, opts Options) (*Transcript, error)
	// Model names the model file in use, for results and logs.
	Model() string
	Close() error
}

// Options are the decoding settings for one transcription.
type Options struct {
	Language          string  // ISO 639-1 code, "auto" to detect; default "en"
	Threads           int     // CPU threads for this transcription
	BeamSize          int     // beam search width; 0 or 1 means greedy
	InitialPrompt     string  // domain vocabulary (medication names) to steer spelling
	Temperature       float32 // starting temperature
	TemperatureInc    float32 // fallback increment when decoding fails thresholds; 0 disables
	NoSpeechThreshold float32 // segments above this no-speech probability are dropped
	// VADModel is a Silero VAD model file (ggml, `callscribe models
	// fetch-vad`): whisper.cpp then transcribes only the stretches it
	// hears speech in, and maps timestamps back to the recording. Empty:
	// the whole recording is transcribed.
	VADModel string
}

// Transcript is what one recording said, segment by segment.
type Transcript struct {
	Model string `json:"model"`
	// Recogniser names the engine and model exactly, for the provenance
	// of a record made from the transcript.
	Recogniser *Recogniser   `json:"recogniser,omitempty"`
	Language   string        `json:"language"`
	Duration   time.Duration `json:"duration_ns"`
	Segments   []Segment     `json:"segments"`
	Timings    Timings       `json:"timings"`
	// Truncated is set when the recording ends before its header says
	// (a recorder that crashed): the audio present was transcribed.
	Truncated *Truncation `json:"truncated,omitempty"`
	// SilentChannels names the speakers of a two-channel recording whose
	// channel held no speech, and so was not transcribed.
	SilentChannels []string `json:"silent_channels,omitempty"`
}

// Truncation is how much of a truncated recording is there.
type Truncation struct {
	Declared time.Duration `json:"declared_ns"` // as the header says
	Present  time.Duration `json:"present_ns"`  // as decoded
}

// Recogniser is the speech recogniser that made a transcript: a clinical
// record made from it names this, so a later reader can tell which engine
// build and which model file heard the call.
type Recogniser struct {
	Engine      string `json:"engine"`       // e.g. whisper.cpp
	Version     string `json:"version"`      // the engine library's own version
	Model       string `json:"model"`        // model name, e.g. tiny.en
	ModelSHA256 string `json:"model_sha256"` // of the model file as loaded
}

// Segment is a stretch of speech with its timing and confidence.
type Segment struct {
	Index        int           `json:"index"`
	Start        time.Duration `json:"start_ns"`
	End          time.Duration `json:"end_ns"`
	Text         string        `json:"text"`
	Speaker      string        `json:"speaker,omitempty"`
	Tokens       []Token       `json:"tokens,omitempty"`
	AvgLogProb   float64       `json:"avg_logprob"`
	NoSpeechProb float64       `json:"no_speech_prob"`
}

// Token is one text token with its probability.
type Token struct {
	ID    int           `json:"id"`
	Text  string        `json:"text"`
	P     float32       `json:"p"`
	Start time.Duration `json:"start_ns"`
	End   time.Duration `json:"end_ns"`
}

// Timings break down where transcription time went. Total is the wall time
// of the whole transcription; the others are whisper.cpp's own figures,
// which are means per run, not totals: Encode per encoder run (one per
// 30-second window), Decode per decoder step, Sample per sampling step.
type Timings struct {
	Total  time.Duration `json:"total_ns"`
	Encode time.Duration `json:"encode_per_window_ns,omitempty"`
	Decode time.Duration `json:"decode_per_step_ns,omitempty"`
	Sample time.Duration `json:"sample_per_step_ns,omitempty"`
}

// Text joins the segments' text.
func (t *Transcript) Text() string {
	var b []byte
	for i, s := range t.Segments {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s.Text...)
	}
	return string(b)
}
