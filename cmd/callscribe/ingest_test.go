package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wavHeaderDeclaring writes a mono 8 kHz 16-bit WAV whose header declares
// secs seconds of audio, followed by one second of it.
func wavHeaderDeclaring(t *testing.T, secs int) string {
	t.Helper()
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data")
	b = binary.LittleEndian.AppendUint32(b, uint32(secs*8000*2))
	b = append(b, make([]byte, 16000)...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	path := filepath.Join(t.TempDir(), "call-long.wav")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A recording whose header declares 10 hours is refused before ingest
// connects to NATS, so not a byte of it is uploaded: the server named here
// does not exist, and reaching it would say so instead. The control, a
// header within the limit, gets as far as connecting.
func TestIngestRefusesTooLongBeforeUpload(t *testing.T) {
	long := wavHeaderDeclaring(t, 10*3600)
	code, _, errOut := runCLI(t, "ingest", "-nats", "nats://127.0.0.1:1", long)
	if code != 1 || !strings.Contains(errOut, "not uploaded") || !strings.Contains(errOut, "header declares 10h0m0s of audio, limit is 4h0m0s") {
		t.Fatalf("exit %d, %q: want the file refused for its length", code, errOut)
	}
	if strings.Contains(errOut, "127.0.0.1:1") || strings.Contains(strings.ToLower(errOut), "connect") {
		t.Fatalf("ingest tried to connect before refusing: %q", errOut)
	}
	code, _, errOut = runCLI(t, "ingest", "-nats", "nats://127.0.0.1:1", "-max-duration", "11h", long)
	if code == 0 || strings.Contains(errOut, "not uploaded") {
		t.Fatalf("with -max-duration 11h: exit %d, %q; want it past the check, failing to connect", code, errOut)
	}
}
