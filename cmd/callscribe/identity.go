package main

import (
	"os"
	"os/user"
)

// whoami is who runs the command, the default of -as for the audit trail:
// $USER when set, else the account of the process's user ID. A service
// manager, a container or `env -i` often sets no USER, and an audit event
// without a user is refused, so the read it would record is refused too.
func whoami() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
