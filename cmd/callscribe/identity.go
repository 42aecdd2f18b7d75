package main

import (
	"os"
	"os/user"
)

// whoami is who runs the command, the default account name of 'login
// -user' (the password decides who it is): $USER when set, else the
// account of the process's user ID (a service manager, a container or
// `env -i` often sets no USER).
func whoami() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
