package transcribe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// This file walks the RIFF/WAVE container up to the first sample byte.
//
// It is a small streaming chunk walker rather than github.com/go-audio/wav's
// Decoder. That decoder needs an io.ReadSeeker (a call arriving on stdin or
// over HTTP is not one), and v1.1.0 cannot give the rejections callscribe
// promises: ReadInfo reports no error for a missing fmt chunk, for a fmt chunk
// shorter than 16 bytes (it reads on into the next chunk) or for a header cut
// short (riff.Parser.IDnSize drops the size read error); the RIFF form type is
// never compared with "WAVE"; a data chunk that declares more bytes than the
// file holds decodes silently as the shorter audio; the pad byte of an
// odd-sized data chunk comes back as one more sample; the
// WAVE_FORMAT_EXTENSIBLE SubFormat is read and thrown away; and float, µ-law
// and A-law data come back as raw integers. The tests still use go-audio/wav
// where it is right: as an independent PCM encoder and as a second reader of
// the well-formed real recordings, to check this decoder against.

// wavHeader is the container as read up to the first byte of sample data.
type wavHeader struct {
	format     waveFormat
	dataSize   int64 // bytes in the data chunk, as declared
	dataOffset int64 // offset of the first sample byte in the input
}

// offsetReader counts bytes consumed so that errors can say where in the
// file things went wrong.
type offsetReader struct {
	r    io.Reader
	off  int64
	back []byte // bytes read ahead and given back (unread)
}

func (o *offsetReader) Read(p []byte) (int, error) {
	if len(o.back) > 0 {
		n := copy(p, o.back)
		o.back = o.back[n:]
		o.off += int64(n)
		return n, nil
	}
	n, err := o.r.Read(p)
	o.off += int64(n)
	return n, err
}

// unread gives b back, to be read again next.
func (o *offsetReader) unread(b []byte) {
	o.back = append(append([]byte(nil), b...), o.back...)
	o.off -= int64(len(b))
}

// skipPad consumes the pad byte after a chunk of odd size. RIFF pads such
// chunks to an even length with a zero byte, but some writers leave it out;
// a chunk ID never starts with a zero byte, so a non-zero byte here is the
// next chunk's first and is given back. (Before, the reader always skipped
// a byte, then read the next chunk's ID one byte late and reported
// `missing data chunk: file ends inside the "\x00\x00\x00\x00" chunk`.)
// At the end of the input there is nothing to skip.
func skipPad(r *offsetReader, size int64) error {
	if size&1 == 0 {
		return nil
	}
	var b [1]byte
	n, err := r.Read(b[:])
	if n == 0 {
		if err == nil || isShort(err) {
			return nil
		}
		return err
	}
	if b[0] != 0 {
		r.unread(b[:])
	}
	return nil
}

// isShort reports whether err means the input ended early, as opposed to
// the reader failing.
func isShort(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// readHeader consumes the RIFF header and every chunk before "data", leaving
// r at the first sample byte. Chunks other than fmt (LIST, bext, fact, JUNK)
// are skipped by reading past them, so no seeking is needed.
func readHeader(r *offsetReader) (wavHeader, error) {
	var riff [12]byte
	if n, err := io.ReadFull(r, riff[:]); err != nil {
		if isShort(err) {
			return wavHeader{}, fmt.Errorf("%w: input is %d bytes, shorter than a RIFF header", ErrNotWAVE, n)
		}
		return wavHeader{}, fmt.Errorf("read RIFF header: %w", err)
	}
	switch id := string(riff[0:4]); {
	case id == "RF64":
		return wavHeader{}, fmt.Errorf("%w: RF64 (64-bit WAV) is not supported", ErrNotWAVE)
	case id != "RIFF":
		return wavHeader{}, fmt.Errorf("%w: starts with %q, not \"RIFF\"", ErrNotWAVE, riff[0:4])
	}
	if form := string(riff[8:12]); form != "WAVE" {
		return wavHeader{}, fmt.Errorf("%w: RIFF form type is %q, not \"WAVE\"", ErrNotWAVE, form)
	}
	// The RIFF size field is not checked: recorders that stream write a
	// placeholder there and never come back, and nothing below depends on it.

	var (
		h       wavHeader
		haveFmt bool
	)
	for {
		at := r.off
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if !isShort(err) {
				return wavHeader{}, fmt.Errorf("read chunk header at byte %d: %w", at, err)
			}
			if !haveFmt {
				return wavHeader{}, fmt.Errorf("%w: file ends at byte %d without one", ErrNoFormat, r.off)
			}
			return wavHeader{}, fmt.Errorf("%w: file ends at byte %d without one", ErrNoData, r.off)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch {
		case id == "data":
			if !haveFmt {
				return wavHeader{}, fmt.Errorf("%w: data chunk at byte %d comes before any fmt chunk", ErrNoFormat, at)
			}
			h.dataSize = size
			h.dataOffset = r.off
			return h, nil
		case id == "fmt " && !haveFmt:
			f, err := readFormat(r, size, at)
			if err != nil {
				return wavHeader{}, err
			}
			h.format = f
			haveFmt = true
		default:
			// Any other chunk, and a repeated fmt chunk: a stream cannot
			// go back, so the first fmt chunk stands.
			n, err := io.CopyN(io.Discard, r, size)
			if err == nil {
				if err := skipPad(r, size); err != nil {
					return wavHeader{}, fmt.Errorf("skip %q chunk at byte %d: %w", id, at, err)
				}
				continue
			}
			if !isShort(err) {
				return wavHeader{}, fmt.Errorf("skip %q chunk at byte %d: %w", id, at, err)
			}
			missing := ErrNoData
			if !haveFmt {
				missing = ErrNoFormat
			}
			return wavHeader{}, fmt.Errorf("%w: file ends inside the %q chunk at byte %d (declares %d bytes, %d present)",
				missing, id, at, size, n)
		}
	}
}
