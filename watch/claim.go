package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// take claims a group's files by renaming them into this instance's claim
// folder, then ingests or quarantines them there. The recording is renamed
// first: of watchers racing for it, the one whose rename succeeds owns the
// group; the others find it gone and leave the rest alone.
func (w *Watcher) take(ctx context.Context, g *group, act action) error {
	order := g.files() // recordings first
	for i, n := range order {
		dst := filepath.Join(w.proc, n)
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("watch: %s: a file of that name is still being processed; taking it later", n)
		}
		err := os.Rename(filepath.Join(w.cfg.Dir, n), dst)
		if errors.Is(err, fs.ErrNotExist) {
			if i == 0 {
				return nil // another watcher claimed it
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("watch: claim %s: %w", n, err)
		}
		delete(w.seen, n)
	}
	w.cfg.Log.Debug().Str("key", g.key).Strs("files", order).Msg("recording claimed")
	if act == actQuarantine {
		r, why := reasonFor(g)
		return w.quarantine(g, r, why)
	}
	return w.process(ctx, g)
}

// recover ingests what this instance claimed and did not finish: after a
// crash, or when the pipeline could not be reached. Ingest is write-once
// per call ID, so a group ingested just before the crash is a duplicate.
func (w *Watcher) recover(ctx context.Context) error {
	entries, err := os.ReadDir(w.proc)
	if err != nil {
		return fmt.Errorf("watch: list claimed files: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil
	}
	// A crash between the recording's rename and its sidecar's leaves the
	// sidecar in the folder: claim it now, or the pair would be split.
	more, err := w.claimRest(names)
	if err != nil {
		return err
	}
	names = append(names, more...)
	var errs []error
	for _, g := range w.cfg.groups(names) {
		w.cfg.Log.Info().Str("key", g.key).Msg("finishing a recording claimed before a restart or a failed attempt")
		var err error
		if len(g.audio) > 1 || len(g.sidecars) > 1 || len(g.other) > 0 {
			r, why := reasonFor(g)
			err = w.quarantine(g, r, why)
		} else {
			err = w.process(ctx, g)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

// claimRest renames into the claim folder the files left in the drop
// folder that share a name with claimed ones, and returns their names.
func (w *Watcher) claimRest(claimed []string) ([]string, error) {
	keys := map[string]bool{}
	for _, n := range claimed {
		keys[w.cfg.keyOf(n)] = true
	}
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("watch: list %s: %w", w.cfg.Dir, err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || w.cfg.ignored(n) || !keys[w.cfg.keyOf(n)] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(w.proc, n)); err == nil {
			continue // a second file of the same name: it waits for this one
		}
		err := os.Rename(filepath.Join(w.cfg.Dir, n), filepath.Join(w.proc, n))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("watch: claim %s: %w", n, err)
		}
		delete(w.seen, n)
		out = append(out, n)
	}
	return out, nil
}

// quarantine moves a claimed group to the quarantine folder, each file
// with a <name>.reason.txt, so that nothing is lost or silently skipped.
func (w *Watcher) quarantine(g *group, r Reason, why string) error {
	now := w.cfg.Now().UTC()
	for _, n := range g.files() {
		dst := freeName(w.cfg.Quarantine, n, now)
		if err := moveFile(filepath.Join(w.proc, n), dst); err != nil {
			return fmt.Errorf("watch: quarantine %s: %w", n, err)
		}
		note := fmt.Sprintf("file: %s\nreason: %s\ndetail: %s\nquarantined_at: %s\nwatcher: %s\n",
			n, r, why, now.Format(time.RFC3339), w.cfg.Instance)
		if err := os.WriteFile(dst+".reason.txt", []byte(note), 0o600); err != nil {
			return fmt.Errorf("watch: quarantine %s: reason: %w", n, err)
		}
	}
	w.count(OutcomeQuarantined, r)
	w.cfg.Log.Warn().Str("key", g.key).Strs("files", g.files()).Str("reason", string(r)).Str("detail", why).
		Str("quarantine", w.cfg.Quarantine).Msg("recording quarantined")
	return nil
}

// freeName is dir/name, or with a time stamp added if that is taken (the
// same file name quarantined twice must not overwrite the first).
func freeName(dir, name string, now time.Time) string {
	p := filepath.Join(dir, name)
	if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
		return p
	}
	ext := filepath.Ext(name)
	return filepath.Join(dir, fmt.Sprintf("%s.%s%s", strings.TrimSuffix(name, ext), now.Format("20060102T150405.000000000"), ext))
}

// finish applies the after-ingest policy: delete the originals, or move
// them to KeepDir named by call ID, where the sweep reaches them.
func (w *Watcher) finish(g *group, id string) error {
	for _, n := range g.files() {
		src := filepath.Join(w.proc, n)
		if w.cfg.KeepDir == "" {
			if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("watch: delete %s: %w", n, err)
			}
			continue
		}
		dst := filepath.Join(w.cfg.KeepDir, id+strings.ToLower(filepath.Ext(n)))
		if err := moveFile(src, dst); err != nil {
			return fmt.Errorf("watch: keep %s: %w", n, err)
		}
	}
	return nil
}

// purge deletes a claimed group whatever the policy: the recording of a
// caller who objected is kept nowhere.
func (w *Watcher) purge(g *group) error {
	for _, n := range g.files() {
		if err := os.Remove(filepath.Join(w.proc, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("watch: purge %s: %w", n, err)
		}
	}
	return nil
}
