//go:build !whisper

package whisper

import (
	"context"
	"time"

	"github.com/callscribe/callscribe/transcribe"
)

// Built reports whether this binary can transcribe.
const Built = false

// Engine is unusable in a build without whisper.cpp: Open always fails.
type Engine struct{}

// Open refuses: this binary has no whisper.cpp. See ErrNotBuilt.
func Open(Config) (*Engine, error) { return nil, ErrNotBuilt }

// Transcribe refuses: this binary has no whisper.cpp.
func (*Engine) Transcribe(context.Context, *transcribe.Audio, transcribe.Options) (*transcribe.Transcript, error) {
	return nil, ErrNotBuilt
}

// Model is empty: no model can be loaded.
func (*Engine) Model() string { return "" }

// Instances is zero.
func (*Engine) Instances() int { return 0 }

// LoadTime is zero.
func (*Engine) LoadTime() time.Duration { return 0 }

// Close does nothing.
func (*Engine) Close() error { return nil }

// Version is empty: no whisper.cpp library is linked.
func Version() string { return "" }

// SystemInfo says that whisper.cpp is absent.
func SystemInfo() string { return "whisper.cpp: not built in" }

// Devices is empty: no backends without whisper.cpp.
func Devices() []Device { return nil }
