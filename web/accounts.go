package web

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/callscribe/callscribe/review"
)

// Account is a local user. Passwords are stored only as argon2id hashes.
type Account struct {
	Username     string `json:"username"`
	Name         string `json:"name"`
	Role         string `json:"role"`
	PasswordHash string `json:"password_hash"`
}

// Accounts are the local users, by username.
type Accounts map[string]Account

// validRole reports whether role is one of the review roles.
func validRole(role string) bool {
	switch role {
	case review.RoleClinician, review.RoleAdmin, review.RoleDPO, review.RoleAuditor, review.RoleSafety:
		return true
	}
	return false
}

// LoadAccounts reads a JSON array of Account from path.
func LoadAccounts(path string) (Accounts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	var list []Account
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("accounts %s: %w", path, err)
	}
	return NewAccounts(list...)
}

// NewAccounts checks and indexes accounts.
func NewAccounts(list ...Account) (Accounts, error) {
	out := Accounts{}
	for _, a := range list {
		if a.Username == "" || !validRole(a.Role) {
			return nil, fmt.Errorf("account %q: need a username and a role (clinician, admin, dpo, auditor, safety)", a.Username)
		}
		if _, err := CheckPassword(a.PasswordHash, ""); err != nil {
			return nil, fmt.Errorf("account %q: password_hash: %w", a.Username, err)
		}
		if _, dup := out[a.Username]; dup {
			return nil, fmt.Errorf("account %q: listed twice", a.Username)
		}
		out[a.Username] = a
	}
	return out, nil
}
