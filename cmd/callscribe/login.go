package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/callscribe/callscribe/web"
)

// cmdLogin signs in to the web UI's API and keeps the token for the other
// commands: with a password (local accounts), or with a token made on the
// UI's API token page (-token-stdin; accounts that sign in through the
// organisation's identity provider have no password here).
func cmdLogin(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("login", "[-web-url URL] [-user NAME | -token-stdin]")
	af.register(fs, true)
	user := fs.String("user", whoami(), "your callscribe account name; the password is read from CALLSCRIBE_PASSWORD, or asked for on the terminal without echo")
	fromStdin := fs.Bool("token-stdin", false, "instead of a password, read a token made on the web UI's 'API token' page from standard input")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{errors.New("login takes no arguments")}
	}
	base := strings.TrimRight(af.url, "/")
	st := savedToken{URL: base}
	var err error
	if *fromStdin {
		st.Token, err = readLine(os.Stdin)
	} else {
		st.Token, st.Expires, err = passwordLogin(ctx, base, *user)
	}
	if err != nil {
		return err
	}
	var me web.Me
	if err := newAPIClient(base, st.Token).call(ctx, "GET", "/api/v1/me", nil, &me); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if err := saveToken(af.tokenFile, st); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed in to %s as %s (%s); token kept in %s\n", base, me.User, me.Role, af.tokenFile)
	return nil
}

// passwordLogin signs user in with a password and returns the token.
func passwordLogin(ctx context.Context, base, user string) (string, time.Time, error) {
	if user == "" {
		return "", time.Time{}, usageError{errors.New("-user: who are you signing in as?")}
	}
	pw, err := password(fmt.Sprintf("Password for %s at %s: ", user, base))
	if err != nil {
		return "", time.Time{}, err
	}
	var tok web.APIToken
	err = newAPIClient(base, "").call(ctx, "POST", "/api/v1/login", map[string]string{"user": user, "password": pw}, &tok)
	var ref *apiRefusal
	if errors.As(err, &ref) && ref.status == 401 {
		return "", time.Time{}, errors.New("login: wrong user name or password")
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("login: %w", err)
	}
	return tok.Token, tok.Expires, nil
}

// password is CALLSCRIBE_PASSWORD, else read from the terminal without
// echo, else a line of standard input.
func password(prompt string) (string, error) {
	if pw, ok := os.LookupEnv("CALLSCRIBE_PASSWORD"); ok {
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return readLine(os.Stdin)
	}
	fmt.Fprint(os.Stderr, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

// readLine reads one line, without its line end; empty is an error.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read standard input: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("nothing on standard input")
	}
	return line, nil
}

// saveToken writes the token file (0600, its folder 0700), replacing any
// earlier one in one step.
func saveToken(path string, st savedToken) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("API token: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".api-token-*") // 0600
	if err != nil {
		return fmt.Errorf("API token: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("API token %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("API token %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("API token %s: %w", path, err)
	}
	return nil
}

// cmdLogout revokes the saved token on the server and deletes the file.
func cmdLogout(ctx context.Context, args []string, stdout io.Writer) error {
	var af apiFlags
	fs := newFlags("logout", "[-api-token-file FILE]")
	af.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := af.client()
	if errors.Is(err, errNotSignedIn) {
		fmt.Fprintln(stdout, "not signed in")
		return nil
	}
	if err != nil {
		return err
	}
	rerr := c.call(ctx, "POST", "/api/v1/logout", nil, nil)
	var ref *apiRefusal
	if errors.As(rerr, &ref) && ref.status == 401 {
		rerr = nil // already ended on the server
	}
	if err := os.Remove(af.tokenFile); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("token file removed, but the server was not told (the token stays valid until it expires): %w", rerr)
	}
	fmt.Fprintln(stdout, "signed out")
	return nil
}
