// Package whisper is the whisper.cpp transcription engine, through the
// official Go bindings (github.com/ggerganov/whisper.cpp/bindings/go).
//
// It needs cgo and the whisper.cpp library, so it is built only with the
// build tag "whisper" (scripts/build.sh and scripts/test.sh set it, inside the
// Debian sid root where whisper.cpp is packaged). Without the tag, Open
// returns ErrNotBuilt, which says how to get a whisper-enabled build: a binary
// without whisper refuses to transcribe rather than pretending to.
//
// One Engine holds a pool of model instances. The bindings' contexts all
// share their model's single C whisper_context, so two transcriptions on one
// instance at once would corrupt each other: each concurrent transcription
// takes an instance of its own from the pool.
package whisper

import (
	"errors"

	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/transcribe"
)

// ErrNotBuilt is returned by Open in a binary built without whisper.cpp.
var ErrNotBuilt = errors.New("this callscribe binary was built without whisper.cpp, so it cannot transcribe: " +
	"build it with scripts/build.sh (which uses Debian's whisper.cpp packages in a sid root), " +
	"or with `go build -tags whisper ./cmd/callscribe` on a host that has whisper.cpp (pkg-config whisper)")

// Config sets up an Engine.
type Config struct {
	// ModelPath is the ggml model file.
	ModelPath string
	// Instances is how many transcriptions may run at once; each holds its
	// own copy of the model in memory. Default 1.
	Instances int
	// GPU asks whisper.cpp to use a GPU backend when ggml has one loaded.
	GPU bool
	// GPUDevice picks the GPU when there are several.
	GPUDevice int
	// NoFlashAttention turns off flash attention, which whisper.cpp (and
	// whisper-cli) use by default.
	NoFlashAttention bool
	// Logger receives whisper.cpp's own messages at debug level (errors at
	// error level). Nil leaves the previous logger, or silence.
	Logger *zerolog.Logger
}

var _ transcribe.Engine = (*Engine)(nil)

// Device is a compute device offered by ggml's backends.
type Device struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"` // cpu, gpu, igpu or accelerator
	MemoryTotal uint64 `json:"memory_total"`
	MemoryFree  uint64 `json:"memory_free"`
}
