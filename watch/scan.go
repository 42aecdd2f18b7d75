package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// observation is what scans saw of one file: it is stable once its size and
// modification time have not changed for Config.Settle.
type observation struct {
	size        int64
	mtime       time.Time
	firstSeen   time.Time
	stableSince time.Time
}

// group is a recording and its sidecar, by the name they share.
type group struct {
	key      string
	audio    []string
	sidecars []string
	other    []string
}

// files lists the group's files, recordings first (the order they are claimed in).
func (g *group) files() []string {
	return append(append(append([]string{}, g.audio...), g.sidecars...), g.other...)
}

// keyOf is the name a recording and its sidecar share: "a.wav" and
// "a.json" or "a.wav.xml" (Puzzel-style) all give "a". Any other file is a
// group of its own, so that a recorder's extra file (a checksum) neither
// holds up nor drags into quarantine the recording beside it.
func (c *Config) keyOf(name string) string {
	stem := strings.TrimSuffix(name, filepath.Ext(name))
	_, side := isSidecar(name)
	switch {
	case side && c.isAudio(stem):
		return strings.TrimSuffix(stem, filepath.Ext(stem))
	case !side && !c.isAudio(name):
		return "\x00" + name
	}
	return stem
}

// groups sorts the names into recordings with their sidecars.
func (c *Config) groups(names []string) []*group {
	by := map[string]*group{}
	var keys []string
	for _, n := range names {
		k := c.keyOf(n)
		g := by[k]
		if g == nil {
			g = &group{key: k}
			by[k] = g
			keys = append(keys, k)
		}
		switch _, side := isSidecar(n); {
		case c.isAudio(n):
			g.audio = append(g.audio, n)
		case side:
			g.sidecars = append(g.sidecars, n)
		default:
			g.other = append(g.other, n)
		}
	}
	sort.Strings(keys)
	out := make([]*group, len(keys))
	for i, k := range keys {
		out[i] = by[k]
	}
	return out
}

// Scan finishes what this instance had claimed (a crash, or a pipeline
// that was unreachable), then takes every recording that is ready. It
// returns how soon a waiting file may become ready (0: none waiting).
func (w *Watcher) Scan(ctx context.Context) (time.Duration, error) {
	if err := w.recover(ctx); err != nil {
		return 0, err
	}
	names, err := w.list()
	if err != nil {
		return 0, err
	}
	began, now := time.Now(), w.cfg.Now()
	waiting, taken, next := 0, 0, time.Duration(0)
	var errs []error
	for _, g := range w.cfg.groups(names) {
		act, wait := w.decide(g, now)
		if act == actWait {
			waiting++
			if wait > 0 && (next == 0 || wait < next) {
				next = wait
			}
			continue
		}
		taken++
		if err := w.take(ctx, g, act); err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if w.cfg.Metrics != nil {
		w.cfg.Metrics.Waiting(waiting)
	}
	if taken > 0 {
		w.cfg.Log.Info().Int("taken", taken).Int("waiting", waiting).Int("failed", len(errs)).
			Float64("took_ms", ms(time.Since(began))).Msg("watch: drop folder scanned")
	}
	return next, errors.Join(errs...)
}

// list reads the folder's file names (not folders, not ignored names) and
// updates what has been seen of each.
func (w *Watcher) list() ([]string, error) {
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("watch: list %s: %w", w.cfg.Dir, err)
	}
	now := w.cfg.Now()
	present := map[string]bool{}
	var names []string
	for _, e := range entries {
		if e.IsDir() || w.cfg.ignored(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue // gone since the listing (another watcher took it), or not a file
		}
		n := e.Name()
		present[n] = true
		names = append(names, n)
		o, ok := w.seen[n]
		if !ok {
			o.firstSeen, o.stableSince = now, now
		} else if o.size != fi.Size() || !o.mtime.Equal(fi.ModTime()) {
			o.stableSince = now
		}
		o.size, o.mtime = fi.Size(), fi.ModTime()
		w.seen[n] = o
	}
	for n := range w.seen {
		if !present[n] {
			delete(w.seen, n)
		}
	}
	return names, nil
}

// action is what a scan does with a group.
type action int

const (
	actWait action = iota
	actIngest
	actQuarantine // for the reason decide's caller finds again (see reasonFor)
)

// decide says whether a group is ready: every file settled, and both
// halves there or the grace over. wait is how long until that may change.
func (w *Watcher) decide(g *group, now time.Time) (act action, wait time.Duration) {
	first := now
	for _, n := range g.files() {
		o := w.seen[n]
		if left := w.cfg.Settle - now.Sub(o.stableSince); left > 0 {
			return actWait, left
		}
		if o.firstSeen.Before(first) {
			first = o.firstSeen
		}
	}
	complete := len(g.audio) == 1 && len(g.sidecars) == 1 && len(g.other) == 0
	if complete {
		return actIngest, 0
	}
	if left := w.cfg.Grace - now.Sub(first); left > 0 {
		return actWait, left
	}
	if len(g.audio) == 0 && len(g.sidecars) == 1 && len(g.other) == 0 {
		return actIngest, 0 // a lone sidecar: an objection needs no recording
	}
	return actQuarantine, 0
}

// reasonFor says why an incomplete group is quarantined.
func reasonFor(g *group) (Reason, string) {
	switch {
	case len(g.audio) > 1 || len(g.sidecars) > 1:
		return ReasonAmbiguous, fmt.Sprintf("%d recordings and %d sidecars share the name %q; each recording needs exactly one sidecar", len(g.audio), len(g.sidecars), g.key)
	case len(g.other) > 0:
		return ReasonUnknownFile, fmt.Sprintf("%v: neither a recording (by extension) nor a sidecar (.json, .xml, .csv)", g.other)
	case len(g.sidecars) == 0:
		return ReasonSidecarMissing, "no metadata sidecar (.json, .xml, .csv) arrived within the grace period"
	default:
		return ReasonRecordingMissing, "no recording arrived within the grace period, and the sidecar records consent"
	}
}
