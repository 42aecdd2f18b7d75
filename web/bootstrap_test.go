package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callscribe/callscribe/roles"
)

func TestLoadOrCreateAccounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conf", "accounts.json")
	accts, created, err := LoadOrCreateAccounts(path)
	if err != nil || !created || len(accts) != len(roles.People) {
		t.Fatalf("created %v, %d accounts, err %v", created, len(accts), err)
	}
	pw, err := os.ReadFile(path + ".initial-passwords")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + ".initial-passwords"} {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", f, st.Mode())
		}
	}
	hashes, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(pw)), "\n")
	if len(lines) != 2+len(roles.People) || lines[1] != "user\trole\tpassword" {
		t.Fatalf("want a comment, a header line and one account per role, got %q", lines)
	}
	for _, line := range lines[2:] {
		f := strings.Split(line, "\t")
		if strings.Contains(string(hashes), f[2]) {
			t.Fatal("plain password in the accounts file")
		}
		if ok, _ := CheckPassword(accts[f[0]].PasswordHash, f[2]); !ok || accts[f[0]].Role != f[1] {
			t.Fatalf("account %s does not take its initial password", f[0])
		}
	}
	// Second start: loaded, not recreated.
	again, created, err := LoadOrCreateAccounts(path)
	if err != nil || created || again["clinician"].PasswordHash != accts["clinician"].PasswordHash {
		t.Fatalf("reload: created %v err %v", created, err)
	}
}
