//go:build whisper

package whisper

/*
// Debian's whisper.cpp (libwhisper-dev, libggml-dev from sid) builds ggml with
// its CPU and GPU backends as run-time loadable modules. Until something asks
// ggml to load them no device exists, and whisper aborts on its first model
// load with GGML_ASSERT(device). ggml_backend_load_all() (ggml-backend.h, in
// -lggml) loads every backend installed, so it is called once before any
// model is opened. On builds where the backends are linked in, it is a no-op.
//
// The bindings also ask the linker for -lggml-cpu, which Debian ships only as
// such a module, not as a linkable library: scripts/sidroot.sh puts an empty
// static libggml-cpu.a on LIBRARY_PATH to satisfy the link line.
//
// Debian compiles the backends' folder into libggml as an absolute path
// (/usr/lib/<triplet>/ggml/backends0). A binary that uses the sid root's
// libraries from the host (scripts/build.sh links it so) finds no backend
// there: callscribe_ggml_library names the file libggml was loaded from, and
// the backends are looked for beside it.
#cgo CFLAGS: -D_GNU_SOURCE
#cgo LDFLAGS: -lwhisper -lggml -lggml-base -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <whisper.h>
#include <ggml-backend.h>

extern void callscribeLog(int level, char *text);
static void callscribe_log_cb(enum ggml_log_level level, const char *text, void *user_data) {
	callscribeLog((int)level, (char *)text);
}
static void callscribe_route_logs(void) {
	whisper_log_set(callscribe_log_cb, NULL);
}
static const char *callscribe_ggml_library(void) {
	Dl_info info;
	if (dladdr((void *)ggml_backend_load_all, &info) && info.dli_fname) {
		return info.dli_fname;
	}
	return NULL;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	whisperc "github.com/ggerganov/whisper.cpp/bindings/go"
	"github.com/rs/zerolog"

	"github.com/callscribe/callscribe/transcribe"
)

// Built reports whether this binary can transcribe.
const Built = true

var (
	loadBackends sync.Once
	// cLog receives whisper.cpp's own messages. whisper_log_set is process
	// wide and its C callback cannot carry a Go value, so this one logger is
	// shared by every Engine: the last Open with a Config.Logger sets it.
	cLog atomic.Pointer[zerolog.Logger]
)

// whisper.cpp and ggml print model details and timings to stderr; route them
// to the debug log so a CLI's output and the service logs stay structured.
//
//export callscribeLog
func callscribeLog(level C.int, text *C.char) {
	l := cLog.Load()
	if l == nil {
		return
	}
	msg := strings.TrimRight(C.GoString(text), "\n")
	if msg == "" {
		return
	}
	if level == C.GGML_LOG_LEVEL_ERROR {
		l.Error().Str("component", "whisper.cpp").Msg(msg)
		return
	}
	l.Debug().Str("component", "whisper.cpp").Msg(msg)
}

// loadBackendsOnce routes whisper.cpp's logs and loads ggml's backends; see
// the comment at the top of this file for why loading is needed.
func loadBackendsOnce() {
	loadBackends.Do(func() {
		C.callscribe_route_logs()
		C.ggml_backend_load_all()
		if C.ggml_backend_dev_count() > 0 {
			return
		}
		for _, dir := range backendsBesideLibrary() {
			cdir := C.CString(dir)
			C.ggml_backend_load_all_from_path(cdir)
			C.free(unsafe.Pointer(cdir))
		}
	})
}

// backendsBesideLibrary lists ggml backend folders next to the libggml this
// process loaded (ggml/backends0 on Debian), for when the compiled-in folder
// does not exist on this file system.
func backendsBesideLibrary() []string {
	lib := C.callscribe_ggml_library()
	if lib == nil {
		return nil
	}
	path, err := filepath.EvalSymlinks(C.GoString(lib))
	if err != nil {
		return nil
	}
	dirs, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "ggml", "backends*"))
	return dirs
}

// Engine transcribes with whisper.cpp. It is safe for concurrent use: each
// call takes a model instance from the pool and returns it afterwards.
type Engine struct {
	cfg      Config
	info     transcribe.Recogniser
	pool     chan *instance
	all      []*instance
	loadTime time.Duration
	closing  sync.Once
}

// instance is one model copy with the one OS thread that runs all of its
// transcriptions. ggml's CPU backend parallelises with OpenMP, and OpenMP
// keeps a team of worker threads per calling thread: calls arriving on
// whatever thread a goroutine happens to be on build up teams, and whisper
// ran up to 1.5 times slower on a process's later calls than on its first
// (measured: the third of three calls 3.78 s against 2.45 s alone, same
// words). A thread of its own per instance keeps one team, as whisper-cli's
// single main thread does.
type instance struct {
	ctx  *whisperc.Context
	jobs chan func(*whisperc.Context)
	done chan struct{}
}

func newInstance(ctx *whisperc.Context) *instance {
	in := &instance{ctx: ctx, jobs: make(chan func(*whisperc.Context)), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // for life: the thread ends with the goroutine
		defer close(in.done)
		for job := range in.jobs {
			job(in.ctx)
		}
		in.ctx.Whisper_free()
	}()
	return in
}

// run executes f on the instance's thread and waits for it.
func (in *instance) run(f func(*whisperc.Context)) {
	finished := make(chan struct{})
	in.jobs <- func(c *whisperc.Context) {
		defer close(finished)
		f(c)
	}
	<-finished
}

// Open loads cfg.Instances copies of the model.
func Open(cfg Config) (*Engine, error) {
	if cfg.Instances <= 0 {
		cfg.Instances = 1
	}
	if _, err := os.Stat(cfg.ModelPath); err != nil {
		return nil, fmt.Errorf("open whisper model: %w", err)
	}
	if cfg.Logger != nil {
		cLog.Store(cfg.Logger)
	}
	loadBackendsOnce()
	sum, err := fileSHA256(cfg.ModelPath)
	if err != nil {
		return nil, fmt.Errorf("open whisper model: %w", err)
	}
	e := &Engine{cfg: cfg, pool: make(chan *instance, cfg.Instances), info: transcribe.Recogniser{
		Engine: "whisper.cpp", Version: Version(), Model: ModelName(cfg.ModelPath), ModelSHA256: sum,
	}}
	start := time.Now()
	for i := 0; i < cfg.Instances; i++ {
		ctx, err := e.load()
		if err != nil {
			e.Close()
			return nil, err
		}
		in := newInstance(ctx)
		e.all = append(e.all, in)
		e.pool <- in
	}
	e.loadTime = time.Since(start)
	return e, nil
}

// load opens one instance with explicit context parameters, which the
// bindings' Whisper_init does not expose (GPU choice, flash attention).
func (e *Engine) load() (*whisperc.Context, error) {
	path := C.CString(e.cfg.ModelPath)
	defer C.free(unsafe.Pointer(path))
	params := C.whisper_context_default_params()
	params.use_gpu = C.bool(e.cfg.GPU)
	params.gpu_device = C.int(e.cfg.GPUDevice)
	// Explicit, as whisper-cli does: the library's own default may differ.
	params.flash_attn = C.bool(!e.cfg.NoFlashAttention)
	cctx := C.whisper_init_from_file_with_params(path, params)
	if cctx == nil {
		return nil, fmt.Errorf("load whisper model %s: whisper.cpp could not read it (not a ggml Whisper model, or corrupt; check it with `callscribe models verify`)", e.cfg.ModelPath)
	}
	// The bindings' Context is the C whisper_context under a Go name.
	return (*whisperc.Context)(unsafe.Pointer(cctx)), nil
}

// Recogniser names the engine build and model, for records' provenance.
func (e *Engine) Recogniser() transcribe.Recogniser { return e.info }

// Model is the model file in use.
func (e *Engine) Model() string { return e.cfg.ModelPath }

// LoadTime is how long loading all instances took.
func (e *Engine) LoadTime() time.Duration { return e.loadTime }

// Instances is the pool size.
func (e *Engine) Instances() int { return e.cfg.Instances }

// Close frees every model instance. Transcriptions in flight must have ended.
func (e *Engine) Close() error {
	e.closing.Do(func() {
		for _, in := range e.all {
			close(in.jobs)
			<-in.done
		}
		e.all = nil
	})
	return nil
}

// Version is the linked whisper.cpp library's own version.
func Version() string { return C.GoString(C.whisper_version()) }

// SystemInfo is whisper.cpp's description of the CPU features and backends.
func SystemInfo() string { return whisperc.Whisper_print_system_info() }

// Transcribe runs whisper.cpp over the audio. Cancelling ctx stops it at the
// next 30-second window.
func (e *Engine) Transcribe(ctx context.Context, a *transcribe.Audio, opts transcribe.Options) (*transcribe.Transcript, error) {
	info := e.info
	t := &transcribe.Transcript{Model: e.cfg.ModelPath, Recogniser: &info, Duration: a.Duration(), Language: opts.Language}
	if len(a.Samples) == 0 {
		return t, nil
	}
	var in *instance
	select {
	case in = <-e.pool:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { e.pool <- in }()

	var err error
	in.run(func(wctx *whisperc.Context) { err = e.transcribeOn(ctx, wctx, a, opts, t) })
	if err != nil {
		return nil, err
	}
	return t, nil
}

// transcribeOn runs whisper_full on the instance's own thread (see instance)
// and fills t from its result.
func (e *Engine) transcribeOn(ctx context.Context, wctx *whisperc.Context, a *transcribe.Audio, opts transcribe.Options, t *transcribe.Transcript) error {
	params, err := e.params(wctx, opts)
	if err != nil {
		return err
	}
	if cp := (*C.struct_whisper_full_params)(unsafe.Pointer(&params)); cp.vad_model_path != nil {
		defer C.free(unsafe.Pointer(cp.vad_model_path)) // SetVADModelPath's C string
	}
	cctx := (*C.struct_whisper_context)(unsafe.Pointer(wctx))
	C.whisper_reset_timings(cctx)
	start := time.Now()
	keepGoing := func() bool { return ctx.Err() == nil }
	if err := wctx.Whisper_full(params, a.Samples, keepGoing, nil, nil); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("whisper_full: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	t.Timings.Total = time.Since(start)
	if tm := C.whisper_get_timings(cctx); tm != nil {
		// whisper.cpp reports means per run (per encoder window, per
		// decoder step), not totals.
		t.Timings.Encode = ms(tm.encode_ms)
		t.Timings.Decode = ms(tm.decode_ms)
		t.Timings.Sample = ms(tm.sample_ms)
	}
	if id := wctx.Whisper_full_lang_id(); id >= 0 {
		t.Language = whisperc.Whisper_lang_str(id)
	}
	t.Segments = segments(wctx, opts.NoSpeechThreshold)
	return nil
}

func ms(v C.float) time.Duration { return time.Duration(float64(v) * float64(time.Millisecond)) }

// params maps Options onto whisper.cpp's full parameters.
func (e *Engine) params(wctx *whisperc.Context, opts transcribe.Options) (whisperc.Params, error) {
	strategy := whisperc.SAMPLING_GREEDY
	if opts.BeamSize > 1 {
		strategy = whisperc.SAMPLING_BEAM_SEARCH
	}
	p := wctx.Whisper_full_default_params(strategy)
	lang := opts.Language
	if lang == "" {
		lang = "en"
	}
	if lang != "auto" {
		id := wctx.Whisper_lang_id(lang)
		if id < 0 {
			return p, fmt.Errorf("unknown language %q", lang)
		}
		if wctx.Whisper_is_multilingual() == 0 && lang != "en" {
			return p, fmt.Errorf("language %q: %s is an English-only model", lang, e.cfg.ModelPath)
		}
		if err := p.SetLanguage(id); err != nil {
			return p, fmt.Errorf("set language %q: %w", lang, err)
		}
	} else if err := p.SetLanguage(-1); err != nil {
		return p, fmt.Errorf("set language auto: %w", err)
	}
	if opts.Threads > 0 {
		p.SetThreads(opts.Threads)
	}
	if opts.BeamSize > 1 {
		p.SetBeamSize(opts.BeamSize)
	}
	p.SetTemperature(opts.Temperature)
	p.SetTemperatureFallback(opts.TemperatureInc)
	if opts.InitialPrompt != "" {
		p.SetInitialPrompt(opts.InitialPrompt)
	}
	if opts.VADModel != "" {
		// whisper.cpp's defaults otherwise (threshold 0.5, 250 ms of
		// speech, 100 ms of silence, 30 ms padding).
		p.SetVAD(true)
		p.SetVADModelPath(opts.VADModel)
	}
	p.SetTokenTimestamps(true)
	p.SetPrintProgress(false)
	p.SetPrintRealtime(false)
	p.SetPrintTimestamps(false)
	// Fields the bindings have no setter for; Params is the C struct.
	cp := (*C.struct_whisper_full_params)(unsafe.Pointer(&p))
	if opts.NoSpeechThreshold > 0 {
		cp.no_speech_thold = C.float(opts.NoSpeechThreshold)
	}
	cp.suppress_blank = C.bool(true)
	cp.suppress_nst = C.bool(true)
	return p, nil
}

// segments reads whisper's result, dropping segments whisper judged to be
// no speech (high no-speech probability with low confidence: the same test
// OpenAI's transcribe uses), since Whisper invents text on silence.
func segments(wctx *whisperc.Context, noSpeechThreshold float32) []transcribe.Segment {
	cctx := (*C.struct_whisper_context)(unsafe.Pointer(wctx))
	eot := int(C.whisper_token_eot(cctx))
	n := wctx.Whisper_full_n_segments()
	out := make([]transcribe.Segment, 0, n)
	for i := 0; i < n; i++ {
		seg := transcribe.Segment{
			Index:        len(out),
			Start:        time.Duration(wctx.Whisper_full_get_segment_t0(i)) * 10 * time.Millisecond,
			End:          time.Duration(wctx.Whisper_full_get_segment_t1(i)) * 10 * time.Millisecond,
			Text:         strings.TrimSpace(wctx.Whisper_full_get_segment_text(i)),
			NoSpeechProb: float64(C.whisper_full_get_segment_no_speech_prob(cctx, C.int(i))),
		}
		var sumLog float64
		nt := wctx.Whisper_full_n_tokens(i)
		for j := 0; j < nt; j++ {
			d := C.whisper_full_get_token_data(cctx, C.int(i), C.int(j))
			if int(d.id) >= eot { // special and timestamp tokens
				continue
			}
			seg.Tokens = append(seg.Tokens, transcribe.Token{
				ID:    int(d.id),
				Text:  wctx.Whisper_full_get_token_text(i, j),
				P:     float32(d.p),
				Start: time.Duration(d.t0) * 10 * time.Millisecond,
				End:   time.Duration(d.t1) * 10 * time.Millisecond,
			})
			sumLog += float64(d.plog)
		}
		if len(seg.Tokens) > 0 {
			seg.AvgLogProb = sumLog / float64(len(seg.Tokens))
		} else {
			seg.AvgLogProb = math.Inf(-1)
		}
		if seg.Text == "" || len(seg.Tokens) == 0 {
			continue
		}
		if noSpeechThreshold > 0 && seg.NoSpeechProb > float64(noSpeechThreshold) && seg.AvgLogProb < -1 {
			continue
		}
		out = append(out, seg)
	}
	return out
}

// Devices lists the compute devices ggml's loaded backends offer (the CPU,
// and GPUs when a backend such as Debian's libggml0-backend-cuda or -vulkan
// is installed), so reports can name the hardware that did the work.
func Devices() []Device {
	loadBackendsOnce()
	n := int(C.ggml_backend_dev_count())
	out := make([]Device, 0, n)
	for i := 0; i < n; i++ {
		dev := C.ggml_backend_dev_get(C.size_t(i))
		var free, total C.size_t
		C.ggml_backend_dev_memory(dev, &free, &total)
		d := Device{
			Name:        C.GoString(C.ggml_backend_dev_name(dev)),
			Description: C.GoString(C.ggml_backend_dev_description(dev)),
			MemoryTotal: uint64(total),
			MemoryFree:  uint64(free),
		}
		switch C.ggml_backend_dev_type(dev) {
		case C.GGML_BACKEND_DEVICE_TYPE_CPU:
			d.Type = "cpu"
		case C.GGML_BACKEND_DEVICE_TYPE_GPU:
			d.Type = "gpu"
		case C.GGML_BACKEND_DEVICE_TYPE_IGPU:
			d.Type = "igpu"
		default:
			d.Type = "accelerator"
		}
		out = append(out, d)
	}
	return out
}
