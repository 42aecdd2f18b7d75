package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// benchFile is one recording to benchmark, with its reference transcript
// when one exists (for word error rate).
type benchFile struct {
	Path      string
	Reference string
}

// benchCorpus collects the WAV files under each path. References come from
// a refs.tsv in a folder (file<TAB>reference, as ../shared/speech has) or a
// .txt beside the WAV (as ../shared/calls/dev has). Per-channel references
// ("LEFT: … RIGHT: …") are not a single transcript and are left out of WER.
func benchCorpus(paths []string, limit int) ([]benchFile, error) {
	var files []benchFile
	for _, root := range paths {
		refs, err := readRefsTSV(filepath.Join(root, "refs.tsv"))
		if err != nil {
			return nil, err
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".wav") {
				return nil
			}
			f := benchFile{Path: p}
			rel, _ := filepath.Rel(root, p)
			if r, ok := refs[filepath.ToSlash(rel)]; ok {
				f.Reference = r
			} else if b, err := os.ReadFile(strings.TrimSuffix(p, filepath.Ext(p)) + ".txt"); err == nil {
				f.Reference = string(b)
			}
			if strings.HasPrefix(f.Reference, "LEFT:") {
				f.Reference = ""
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("bench files %s: %w", root, err)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if len(files) == 0 {
		return nil, fmt.Errorf("no .wav files under %s", strings.Join(paths, ", "))
	}
	if limit > 0 && len(files) > limit {
		files = files[:limit]
	}
	return files, nil
}

func readRefsTSV(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	refs := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 2 && cols[0] != "file" {
			refs[cols[0]] = cols[1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return refs, nil
}
