package whisper

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ModelName is a model file's name as people say it: ggml-tiny.en.bin is
// tiny.en.
func ModelName(path string) string {
	name := filepath.Base(path)
	name = strings.TrimSuffix(name, ".bin")
	return strings.TrimPrefix(name, "ggml-")
}

// fileSHA256 hashes the model file once at Open, so every transcript can
// name the exact model that made it (tiny.en, 75 MiB: about 0.2 s here).
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
