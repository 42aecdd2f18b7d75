package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/callscribe/callscribe/review"
)

// LoadOrCreateAccounts loads the accounts file, or, on first start, creates
// one account per role with random passwords so the UI is usable at once.
// The passwords are written once to path+".initial-passwords" (mode 0600)
// and never logged; the accounts file holds only argon2id hashes. created
// is true when the files were made.
func LoadOrCreateAccounts(path string) (accts Accounts, created bool, err error) {
	accts, err = LoadAccounts(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return accts, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("accounts: %w", err)
	}
	var list []Account
	var pw strings.Builder
	pw.WriteString("# Initial passwords for the callscribe review UI. Give them out, then delete this file.\n")
	pw.WriteString("user\trole\tpassword\n")
	for _, a := range []struct{ user, name, role string }{
		{"clinician", "Duty clinician", review.RoleClinician},
		{"admin", "Administrative staff", review.RoleAdmin},
		{"dpo", "Data protection officer", review.RoleDPO},
		{"auditor", "Auditor", review.RoleAuditor},
		{"safety", "Clinical safety officer", review.RoleSafety},
	} {
		secret := newToken()[:20]
		h, err := HashPassword(secret)
		if err != nil {
			return nil, false, err
		}
		list = append(list, Account{Username: a.user, Name: a.name, Role: a.role, PasswordHash: h})
		fmt.Fprintf(&pw, "%s\t%s\t%s\n", a.user, a.role, secret)
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, false, fmt.Errorf("accounts: %w", err)
	}
	if err := writeNew(path+".initial-passwords", []byte(pw.String())); err != nil {
		return nil, false, err
	}
	if err := writeNew(path, append(data, '\n')); err != nil {
		return nil, false, err
	}
	accts, err = NewAccounts(list...)
	return accts, true, err
}

// writeNew creates a 0600 file that must not exist yet.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("accounts: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("accounts: write %s: %w", path, err)
	}
	return nil
}
