package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callscribe/callscribe/internal/testenv"
)

// serve's UI over TLS with a certificate made by OpenSSL, fetched by a
// client that trusts only that certificate; and a key that does not match
// the certificate stops serve at start with the reason.
func TestServeUIOverTLSWithOpenSSLCertificate(t *testing.T) {
	openssl := testenv.Tool(t, "openssl")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	gen := exec.Command(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=callscribe test",
		"-addext", "subjectAltName=IP:127.0.0.1")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	serveArgs := func(wport int, keyFile string) []string {
		return []string{"-roles", "web", "-web", "127.0.0.1:" + strconv.Itoa(wport), "-web-cert", cert, "-web-key", keyFile,
			"-data", t.TempDir(), "-port", strconv.Itoa(freePort(t)), "-metrics", "",
			"-web-accounts", filepath.Join(t.TempDir(), "accounts.json"),
			"-audit-key", filepath.Join(t.TempDir(), "audit.key"), "-credentials", filepath.Join(t.TempDir(), "nats")}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wport := freePort(t)
	done := make(chan error, 1)
	go func() { done <- cmdServe(ctx, serveArgs(wport, key), &bytes.Buffer{}) }()
	url := "https://127.0.0.1:" + strconv.Itoa(wport) + "/login"
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.TLS == nil {
				t.Fatalf("GET %s: %s, TLS %v", url, resp.Status, resp.TLS != nil)
			}
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	// A key that is not the certificate's: refused at start, not later.
	other := filepath.Join(dir, "other.pem")
	if out, err := exec.Command(openssl, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", other).CombinedOutput(); err != nil {
		t.Fatalf("openssl ecparam: %v\n%s", err, out)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	err = cmdServe(ctx2, serveArgs(freePort(t), other), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "certificate") || ctx2.Err() != nil {
		t.Fatalf("serve with a key that is not the certificate's: %v, want a certificate error at start", err)
	}
}
