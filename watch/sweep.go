package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/callscribe/callscribe/call"
	"github.com/callscribe/callscribe/pipeline"
)

// Sweep holds the kept and quarantine folders to the rules every copy of a
// recording is under: nothing older than KeepFor (by modification time,
// which a move keeps: the recorder's write time), and a kept copy goes as
// soon as the pipeline no longer holds its call (its intake is gone: the
// call was erased after an objection, or by retention). Kept files are
// named <call ID>.<ext>, which is how the call is found.
func (w *Watcher) Sweep(ctx context.Context) error {
	var errs []error
	if w.cfg.KeepDir != "" {
		errs = append(errs, w.sweep(ctx, w.cfg.KeepDir, true))
	}
	errs = append(errs, w.sweep(ctx, w.cfg.Quarantine, false))
	return errors.Join(errs...)
}

func (w *Watcher) sweep(ctx context.Context, dir string, byCall bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("watch: sweep %s: %w", dir, err)
	}
	now := w.cfg.Now()
	held := map[string]bool{} // call ID → the pipeline still holds it
	var errs []error
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		why := ""
		if now.Sub(fi.ModTime()) > w.cfg.KeepFor {
			why = "older than " + w.cfg.KeepFor.String()
		} else if id := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())); byCall && !call.ValidID(id) {
			why = "not named by a call ID: an interrupted copy (its original was still claimed) or a stranger"
		} else if byCall {
			h, ok := held[id]
			if !ok {
				_, err := w.pl.Intake(ctx, id)
				if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
					errs = append(errs, err)
					continue
				}
				h = err == nil
				held[id] = h
			}
			if !h {
				why = "the call is no longer held (erased after an objection, or by retention)"
			}
		}
		if why == "" {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, fmt.Errorf("watch: sweep: %w", err))
			continue
		}
		w.cfg.Log.Info().Str("file", e.Name()).Str("folder", dir).Str("why", why).Msg("watch: kept copy deleted")
	}
	return errors.Join(errs...)
}
