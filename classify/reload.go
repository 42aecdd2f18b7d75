package classify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// DefaultReloadInterval is how often a Reloader looks at its rules file.
const DefaultReloadInterval = 2 * time.Second

// Reloader keeps a classifier built from a rules file current while a
// service runs: when the file changes (its modification time, size or
// identity) or the process receives SIGHUP, the file is read and compiled
// again, and the new rules replace the old at once for every later call. A
// file that does not load (unreadable, invalid YAML, a rule that fails
// validation) is refused with an error naming the problem, and the rules
// already in force stay in force; the refusal is logged once per change of
// the file, not at every look.
//
// Every Decision records the version of the rules that made it, so a label
// can always be traced to the lexicon in force at the time.
type Reloader struct {
	path     string
	log      zerolog.Logger
	interval time.Duration
	cur      atomic.Pointer[Classifier]

	mu      sync.Mutex // serialises reloads
	seen    fileStamp  // the file as last looked at, loaded or refused
	sum     [32]byte   // content of the rules in force
	lastErr error

	// guard, when set, must accept new rules before they go live
	// (see SetGuard).
	guard func(*Classifier) error

	ready     chan struct{} // closed once Run watches (tests wait on it)
	readyOnce sync.Once
}

// fileStamp identifies a version of a file cheaply, without reading it.
type fileStamp struct {
	mtime time.Time
	size  int64
	info  os.FileInfo
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{mtime: fi.ModTime(), size: fi.Size(), info: fi}
}

// same reports whether two stamps describe the same file content as far as
// the file system tells: same modification time and size, and the same
// file (an editor that saves by renaming a new file over the old one makes a
// different file even within one clock tick).
func (s fileStamp) same(o fileStamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == o.info
	}
	return s.mtime.Equal(o.mtime) && s.size == o.size && os.SameFile(s.info, o.info)
}

// NewReloader loads the rules file at path and returns a Reloader serving
// it; it fails, with the reason, when the file does not load, so that a
// service refuses to start on bad rules. An empty path serves the embedded
// default rules, which never change.
func NewReloader(path string, log zerolog.Logger) (*Reloader, error) {
	r := &Reloader{path: path, log: log, interval: DefaultReloadInterval, ready: make(chan struct{})}
	if path == "" {
		c, err := Default()
		if err != nil {
			return nil, err
		}
		r.cur.Store(c)
		return r, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading classification rules: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading classification rules: %w", err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	r.cur.Store(c)
	r.seen, r.sum = stampOf(fi), sha256.Sum256(data)
	return r, nil
}

// SetInterval changes how often Run looks at the file (before Run starts).
func (r *Reloader) SetInterval(d time.Duration) {
	if d > 0 {
		r.interval = d
	}
}

// SetGuard makes every later reload run guard on the new rules before they
// take effect: rules it refuses (Guard refuses rules that label a labelled
// clinical call administrative) are refused like an invalid file, and the
// rules in force stay. SetGuard also checks the rules in force now and
// returns the guard's error, so that a service does not start on them.
func (r *Reloader) SetGuard(guard func(*Classifier) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.guard = guard
	if guard == nil {
		return nil
	}
	return guard(r.cur.Load())
}

// Current returns the classifier in force. Callers take it once per call
// and use it for the whole call, so one decision never mixes two versions.
func (r *Reloader) Current() *Classifier { return r.cur.Load() }

// Path is the rules file watched; "" for the embedded rules.
func (r *Reloader) Path() string { return r.path }

// Err is the reason the latest change of the file was refused, nil when
// the file as it is now is the rules in force.
func (r *Reloader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// Reload reads and compiles the rules file now, whether or not it changed.
// On success the new rules are in force when it returns and changed
// reports whether their content differs from the rules before; on failure
// the old rules stay in force and the error says why.
func (r *Reloader) Reload() (changed bool, err error) {
	if r.path == "" {
		return false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reloadLocked()
}

func (r *Reloader) reloadLocked() (bool, error) {
	fi, err := os.Stat(r.path)
	if err != nil {
		r.seen = fileStamp{}
		r.lastErr = fmt.Errorf("reading classification rules: %w", err)
		return false, r.lastErr
	}
	r.seen = stampOf(fi)
	data, err := os.ReadFile(r.path)
	if err != nil {
		r.lastErr = fmt.Errorf("reading classification rules: %w", err)
		return false, r.lastErr
	}
	sum := sha256.Sum256(data)
	if bytes.Equal(sum[:], r.sum[:]) {
		r.lastErr = nil
		return false, nil
	}
	c, err := Parse(r.path, data)
	if err != nil {
		r.lastErr = err
		return false, err
	}
	if r.guard != nil {
		if err := r.guard(c); err != nil {
			r.lastErr = fmt.Errorf("%s (version %s): %w", r.path, c.Version(), err)
			return false, r.lastErr
		}
	}
	r.cur.Store(c)
	r.sum, r.lastErr = sum, nil
	return true, nil
}

// check reloads when the file's stamp differs from the one last seen, and
// logs the outcome once per change.
func (r *Reloader) check(why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if why == "file changed" {
		fi, err := os.Stat(r.path)
		var now fileStamp
		if err == nil {
			now = stampOf(fi)
		}
		if now.same(r.seen) {
			return
		}
		if err != nil && r.seen.info == nil && r.lastErr != nil {
			return // still missing: already reported
		}
	}
	old := r.cur.Load().Version()
	changed, err := r.reloadLocked()
	switch {
	case err != nil:
		ev := r.log.Error().Err(err).Str("rules", r.path).Str("in_force", old).Str("trigger", why)
		switch {
		case errors.Is(err, ErrGuardFailed):
			ev.Msg("classification rules refused by the labelled-call guard; the rules in force stay in force")
		case errors.Is(err, ErrInvalidRules):
			ev.Msg("classification rules refused; the rules in force stay in force")
		default:
			ev.Msg("classification rules unreadable; the rules in force stay in force")
		}
	case changed:
		r.log.Info().Str("rules", r.path).Str("version", r.cur.Load().Version()).Str("previous", old).
			Str("trigger", why).Msg("classification rules reloaded")
	}
}

// Run watches the rules file until ctx ends: it looks at the file every
// interval (DefaultReloadInterval unless SetInterval changed it) and also
// reloads on SIGHUP where the system has it. While Run runs, SIGHUP does
// not end the process. Run returns ctx's error. With the embedded rules
// there is nothing to watch and Run only waits.
func (r *Reloader) Run(ctx context.Context) error {
	if r.path == "" {
		r.readyOnce.Do(func() { close(r.ready) })
		<-ctx.Done()
		return ctx.Err()
	}
	hup, stop := notifyHangup()
	defer stop()
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	r.readyOnce.Do(func() { close(r.ready) })
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			r.check("file changed")
		case <-hup:
			r.check("SIGHUP")
		}
	}
}
