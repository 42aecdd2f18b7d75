package models

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// FetchVAD downloads the pinned wheel (here a synthetic one served
// locally), checks it, converts it and checks the recorded checksum of the
// conversion; a second run reuses the wheel; a conversion that does not
// match the recorded checksum is an error and is removed.
func TestFetchVAD(t *testing.T) {
	whl, _ := synWheel(t, "9.8.7", nil)
	body, err := os.ReadFile(whl)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.ServeContent(w, r, "w.whl", time.Time{}, bytes.NewReader(body))
	}))
	defer srv.Close()
	wsum, _ := FileSHA256(whl)
	ref, err := ConvertSileroVAD(whl, filepath.Join(t.TempDir(), "ref.bin"), "")
	if err != nil {
		t.Fatal(err)
	}
	src := VADSource{Version: "9.8.7", Wheel: Wheel{URL: srv.URL + "/p/" + filepath.Base(whl), SHA256: wsum},
		GGMLSHA256: ref.SHA256, GGMLSize: ref.Size}
	cache := t.TempDir()
	var log strings.Builder
	res, err := FetchVAD(context.Background(), src, cache, "", FetchOptions{Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.Path != filepath.Join(cache, "ggml-silero-v9.8.7.bin") || res.SHA256 != ref.SHA256 {
		t.Errorf("result %+v", res)
	}
	if err := VerifyVAD(src, res.Path); err != nil {
		t.Errorf("verify: %v", err)
	}
	if _, err := FetchVAD(context.Background(), src, cache, "", FetchOptions{Progress: &log}); err != nil || hits.Load() != 1 {
		t.Errorf("second fetch: %v, %d downloads\n%s", err, hits.Load(), log.String())
	}
	bad := src
	bad.GGMLSHA256 = strings.Repeat("0", 64)
	if _, err := FetchVAD(context.Background(), bad, cache, "", FetchOptions{}); err == nil || !strings.Contains(err.Error(), "records") {
		t.Errorf("wrong recorded checksum: %v", err)
	}
	if _, err := os.Stat(res.Path); !os.IsNotExist(err) {
		t.Errorf("mismatching conversion left in place: %v", err)
	}
	if err := VerifyVAD(src, whl); err == nil {
		t.Error("VerifyVAD accepted the wheel itself as the model")
	}
	other := src
	other.Wheel.SHA256 = strings.Repeat("1", 64)
	if _, err := ConvertVADWheel(other, whl, "", cache); err == nil || !strings.Contains(err.Error(), "not the pinned") {
		t.Errorf("wheel with another checksum: %v", err)
	}
}

// The real pinned wheel converts to the recorded checksum. It needs the
// wheel in MODEL_CACHE/pypi (`callscribe models fetch-vad`, which
// scripts/testmodel.sh runs); without it the test skips, since the host
// tests run before anything is downloaded.
func TestConvertRealSileroVAD(t *testing.T) {
	src := SileroVAD()
	cache, err := CacheDir()
	if err != nil {
		t.Skip(err)
	}
	whl := filepath.Join(WheelCacheDir(cache), src.Wheel.FileName())
	if _, err := os.Stat(whl); err != nil {
		t.Skipf("no %s: run `callscribe models fetch-vad`", whl)
	}
	res, err := ConvertVADWheel(src, whl, filepath.Join(t.TempDir(), src.FileName()), cache)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tensors != 15 || res.Version != src.Version {
		t.Errorf("result %+v", res)
	}
}
