package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/callscribe/callscribe/models"
)

// Weight formats are swept like workers and threads: q8_0 halves the bytes
// every matrix product reads and whisper.cpp's CPU kernels are bound by
// those reads on small hosts, so the fastest format is a property of the
// host that only a measurement settles. A format only wins at equal
// accuracy: its word error rate may exceed the f16 model's by at most
// werTolerance (issue 17: WER no worse than the peer's + 1 point).
const werTolerance = 0.01

// weightsF16 names the unquantised model in -weights and the report.
const weightsF16 = "f16"

// weightVariant is one form of the model a bench runs.
type weightVariant struct {
	Weights string // f16 or one of models.QuantTypes
	Model   string // what -model becomes: a name or a path
}

// sweepQuantTypes are the forms -sweep tries by default: every form
// Quantize writes but q5_1, whose encoder was the slowest of all here
// (2.09 s per 30 s window of base against q8_0's 1.66 s and the K-quants'
// 1.20–1.26 s, whisper-cli on the 2-core AVX2 VM); -weights still runs it.
var sweepQuantTypes = []string{"q8_0", "q6_k", "q5_k", "q4_k"}

// parseWeights reads -weights; empty means the model as given.
func parseWeights(s string, sweep bool) ([]string, error) {
	if s == "" {
		if sweep {
			return append([]string{weightsF16}, sweepQuantTypes...), nil
		}
		return nil, nil
	}
	var out []string
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if w != weightsF16 && !slices.Contains(models.QuantTypes, w) {
			return nil, fmt.Errorf("-weights %q: want %s or %s", w, weightsF16, strings.Join(models.QuantTypes, ", "))
		}
		out = append(out, w)
	}
	return out, nil
}

// weightVariants resolves the model in each weight format, writing a
// quantised copy into the model cache when there is none yet (seconds;
// the file is what `models quantize` would write). A model that is itself
// quantised has no other forms: with forms named (explicit) that is an
// error, with -sweep's default it is run as it is.
func weightVariants(model string, weights []string, explicit bool) ([]weightVariant, error) {
	if len(weights) == 0 {
		return []weightVariant{{Model: model}}, nil
	}
	env, err := models.EnvFromOS(models.DefaultName)
	if err != nil {
		return nil, err
	}
	src, err := models.Resolve(model, env)
	if err != nil {
		return nil, err
	}
	info, err := models.Check(src)
	if err != nil {
		return nil, err
	}
	if info.Weights != "f16" && info.Weights != "f32" {
		if !explicit {
			return []weightVariant{{Weights: info.Weights, Model: src}}, nil
		}
		return nil, fmt.Errorf("-weights: %s is already %s; name the f16 model", src, info.Weights)
	}
	name := models.NameFor(src)
	var out []weightVariant
	for _, w := range weights {
		if w == weightsF16 {
			out = append(out, weightVariant{Weights: w, Model: src})
			continue
		}
		qname := models.QuantizedName(name, w)
		path, err := models.Resolve(qname, env)
		if err != nil {
			path = filepath.Join(env.Cache, models.FileNameFor(qname))
			if err := os.MkdirAll(env.Cache, 0o755); err != nil {
				return nil, err
			}
			if _, err := models.Quantize(src, path, w); err != nil {
				if !explicit && errors.Is(err, models.ErrBlockRows) {
					continue // tiny's rows do not fit the K-quants: not a form of it
				}
				return nil, err
			}
			if _, _, err := models.CheckQuantized(qname, path); err != nil {
				return nil, err
			}
		}
		out = append(out, weightVariant{Weights: w, Model: path})
	}
	return out, nil
}

// bestIndex is the run with the highest throughput among those as
// accurate as the f16 runs (within werTolerance); without word error
// rates, or without an f16 run, the fastest. -1 when every run failed.
func bestIndex(runs []benchRun) int {
	f16WER := -1.0
	for _, r := range runs {
		if (r.Weights == weightsF16 || r.Weights == "") && r.WER != nil && (f16WER < 0 || *r.WER < f16WER) {
			f16WER = *r.WER
		}
	}
	best := -1
	for i, r := range runs {
		if r.Failed != 0 {
			continue
		}
		if f16WER >= 0 && r.WER != nil && *r.WER > f16WER+werTolerance {
			continue
		}
		if best < 0 || r.RTF > runs[best].RTF {
			best = i
		}
	}
	return best
}
