package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadHead reads a trusted tree head kept by an auditor (WriteHead). A
// missing file is (nil, nil): nothing is trusted yet.
func ReadHead(path string) (*Head, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trusted head: %w", err)
	}
	var h Head
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("trusted head %s: %w", path, err)
	}
	if h.Size < 0 {
		return nil, fmt.Errorf("trusted head %s: negative size", path)
	}
	return &h, nil
}

// WriteHead saves a tree head for the next verification, replacing the
// file atomically so a crash cannot leave half a head.
func WriteHead(path string, h Head) error {
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("trusted head: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".head-*")
	if err != nil {
		return fmt.Errorf("trusted head: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("trusted head %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("trusted head %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("trusted head %s: %w", path, err)
	}
	return nil
}
