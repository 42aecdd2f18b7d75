package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files holding secrets are refused when other users can read them, and a
// store key too short to be a key is refused.
func TestSecretFilesMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := readKeyFile(write("open.key", strings.Repeat("k", 32), 0o644)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key: %v", err)
	}
	if _, err := readKeyFile(write("short.key", "short", 0o600)); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Errorf("short key: %v", err)
	}
	if k, err := readKeyFile(write("good.key", strings.Repeat("k", 32)+"\n", 0o600)); err != nil || k != strings.Repeat("k", 32) {
		t.Errorf("good key: %q, %v", k, err)
	}
}
