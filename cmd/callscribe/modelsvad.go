package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/callscribe/callscribe/models"
)

// modelsFetchVAD gets the Silero VAD model whisper.cpp's voice activity
// detection loads, without Hugging Face or PyTorch: the pinned silero-vad
// wheel from PyPI, converted by callscribe's own code and checked against
// the recorded sha256 of that conversion.
func modelsFetchVAD(ctx context.Context, args []string, stdout io.Writer) error {
	src := models.SileroVAD()
	fs := newFlags("models fetch-vad", "[flags]")
	cache := cacheFlag(fs)
	out := fs.String("out", "", "output file (default: MODEL_CACHE/"+src.FileName()+")")
	wheel := fs.String("wheel", "", "convert this copy of "+src.Wheel.FileName()+" instead of downloading it (for machines that cannot reach PyPI; its sha256 must be the pinned one)")
	fs.Usage = wrapUsage(fs, "Downloads silero-vad "+src.Version+" from files.pythonhosted.org (pinned by URL and sha256; kept in\n"+
		"MODEL_CACHE/pypi and reused), converts its TorchScript model into the ggml file whisper.cpp's\n"+
		"VAD loads (the layout of whisper.cpp's convert-silero-vad-to-ggml.py) and checks the result\n"+
		"against the recorded sha256 "+src.GGMLSHA256+".\n"+
		"Use it with whisper.cpp's tools: whisper-cli --vad -vm FILE, whisper-vad-speech-segments -vm FILE.\n")
	if err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q (the version is pinned: silero-vad %s)", fs.Args(), src.Version)}
	}
	if *cache == "" && (*out == "" || *wheel == "") {
		return usageError{errors.New("no model cache: give -model-cache or set CALLSCRIBE_MODEL_CACHE")}
	}
	var res models.VADResult
	var err error
	if *wheel != "" {
		fmt.Fprintf(stdout, "converting %s\n", *wheel)
		res, err = models.ConvertVADWheel(src, *wheel, *out, *cache)
	} else {
		res, err = models.FetchVAD(ctx, src, *cache, *out, models.FetchOptions{
			Download: models.DownloadOptions{Progress: os.Stderr},
			Progress: stdout,
		})
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\n  Silero VAD %s (silero-16k), %d tensors, %d bytes, sha256 %s\n  sha256 matches the recorded checksum\n",
		res.Path, res.Version, res.Tensors, res.Size, res.SHA256)
	return nil
}
