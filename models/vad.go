package models

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// The Silero VAD model, which whisper.cpp's voice activity detection runs
// before Whisper, is obtained the way the PyPI Whisper models are: the
// silero-vad wheel pinned by URL and PyPI's sha256, converted here by
// ConvertSileroVAD into the ggml file whisper.cpp loads, whose sha256 is
// recorded because the conversion is deterministic.

// VADSource is a pinned silero-vad wheel and the file converted from it.
type VADSource struct {
	Version    string // silero-vad's version, also written into the file
	Wheel      Wheel
	GGMLSHA256 string // of ConvertSileroVAD's output
	GGMLSize   int64
}

// FileName is the converted model's name in the model cache
// (ggml-silero-v6.2.3.bin, as whisper.cpp's own models are named).
func (s VADSource) FileName() string { return FileNameFor("silero-v" + s.Version) }

// SileroVAD is the pinned silero-vad release.
func SileroVAD() VADSource {
	return VADSource{
		Version: "6.2.3",
		Wheel: Wheel{
			URL:    "https://files.pythonhosted.org/packages/84/ef/9099037ed6f180ea33220178df4107112c0ce2bf5fb4d6f6ab19db2844ed/silero_vad-6.2.3-py3-none-any.whl",
			SHA256: "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
		},
		GGMLSHA256: "abd79739d3ff4bc37fa1d24f1fca8244f2e31ec9f0bb7ea6244b185bfaa0b8e6",
		GGMLSize:   885098,
	}
}

// FetchVAD downloads src's wheel into CACHE/pypi (reusing an intact one),
// converts it to out (default CACHE/FileName()) and checks the result's
// recorded sha256.
func FetchVAD(ctx context.Context, src VADSource, cache, out string, opts FetchOptions) (VADResult, error) {
	whl, err := fetchWheel(ctx, src.Wheel, cache, opts)
	if err != nil {
		return VADResult{}, fmt.Errorf("fetching silero-vad %s from PyPI: %w", src.Version, err)
	}
	if err := ctx.Err(); err != nil {
		return VADResult{}, err
	}
	return ConvertVADWheel(src, whl, out, cache)
}

// ConvertVADWheel converts a copy of src's wheel that is already here (its
// sha256 must be the pinned one) to out (default CACHE/FileName()) and
// checks the result's recorded sha256.
func ConvertVADWheel(src VADSource, whl, out, cache string) (VADResult, error) {
	sum, err := FileSHA256(whl)
	if err != nil {
		return VADResult{}, fmt.Errorf("convert %s: %w", whl, err)
	}
	if sum != src.Wheel.SHA256 {
		return VADResult{}, fmt.Errorf("convert %s: its sha256 is %s, not the pinned %s of %s", whl, sum, src.Wheel.SHA256, src.Wheel.FileName())
	}
	if out == "" {
		out = filepath.Join(cache, src.FileName())
	}
	res, err := ConvertSileroVAD(whl, out, src.Version)
	if err != nil {
		return res, err
	}
	if err := src.check(res); err != nil {
		os.Remove(out)
		return res, fmt.Errorf("%w; removed it (the converter changed without the recorded checksum being updated)", err)
	}
	return res, nil
}

// check compares a converted file with the recorded checksum.
func (s VADSource) check(res VADResult) error {
	if res.SHA256 != s.GGMLSHA256 || res.Size != s.GGMLSize {
		return fmt.Errorf("converted %s has sha256 %s (%d bytes), but this version of callscribe records %s (%d bytes)",
			res.Path, res.SHA256, res.Size, s.GGMLSHA256, s.GGMLSize)
	}
	return nil
}

// VerifyVAD checks a converted VAD model file against src's recorded sha256.
func VerifyVAD(src VADSource, path string) error {
	sum, err := FileSHA256(path)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	return src.check(VADResult{Path: path, SHA256: sum, Size: st.Size()})
}
