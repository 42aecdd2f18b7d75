package pipeline_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/callscribe/callscribe/pipeline"
)

// unreachable is a URL nothing listens on: tests that must fail before
// dialling use it, so a dial attempt would show up as a refused connection.
const unreachable = "nats://127.0.0.1:1"

func TestConnectOptionErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.file")
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a key, not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opt  pipeline.Option
		want []string
	}{
		{"missing creds", pipeline.WithCredsFile(missing), []string{"creds file", missing}},
		{"junk creds", pipeline.WithCredsFile(junk), []string{"creds file", junk}},
		{"missing nkey seed", pipeline.WithNkeySeedFile(missing), []string{"nkey seed file", missing}},
		{"junk nkey seed", pipeline.WithNkeySeedFile(junk), []string{"nkey seed file", junk}},
		{"missing CA", pipeline.WithTLS(missing, "", ""), []string{"TLS CA file", missing}},
		{"junk CA", pipeline.WithTLS(junk, "", ""), []string{"TLS CA file", junk, "no PEM certificate"}},
		{"missing cert", pipeline.WithTLS("", missing, junk), []string{"TLS client certificate", missing}},
		{"cert without key", pipeline.WithTLS("", junk, ""), []string{"give both or neither"}},
		{"password without user", pipeline.WithUserPassword("", "pw"), []string{"without a user"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pipeline.Connect(bg(t), unreachable, tc.opt)
			if err == nil {
				t.Fatal("Connect succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "refused") {
				t.Errorf("error %q: dialled before checking the options", err)
			}
		})
	}
}

func TestConnectRefusesTwoWaysToAuthenticate(t *testing.T) {
	_, err := pipeline.Connect(bg(t), unreachable, pipeline.WithToken("t"), pipeline.WithUserPassword("u", "p"))
	if err == nil || !strings.Contains(err.Error(), "token and user/password") {
		t.Fatalf("token and user/password: %v", err)
	}
}

func TestConnectServerList(t *testing.T) {
	env := newEnv(t)
	// A dead server first, spaces around the commas: the client moves on
	// to one that answers.
	c, err := pipeline.Connect(bg(t), unreachable+" , "+env.srv.ClientURL()+",")
	if err != nil {
		t.Fatalf("Connect to a list: %v", err)
	}
	defer c.Close()
	if got := c.Conn().ConnectedUrl(); got != env.srv.ClientURL() {
		t.Errorf("connected to %s, want %s", got, env.srv.ClientURL())
	}
	if _, err := pipeline.Connect(bg(t), " , "); err == nil || !strings.Contains(err.Error(), "no NATS server URL") {
		t.Errorf("empty list: %v", err)
	}
	// A password in a URL does not reach the error message (or the logs
	// it is written to).
	_, err = pipeline.ConnectServers(bg(t), []string{"nats://svc:s3cret-pw@127.0.0.1:1"}, pipeline.WithNATSOptions())
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error with password in URL: %v", err)
	}
}

func TestConnectNkeySeedFile(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	seedFile := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startPlainServer(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}})

	c, err := pipeline.Connect(bg(t), srv.ClientURL(), pipeline.WithNkeySeedFile(seedFile))
	if err != nil {
		t.Fatalf("Connect with nkey seed: %v", err)
	}
	c.Close()
	if c, err := pipeline.Connect(bg(t), srv.ClientURL()); err == nil {
		c.Close()
		t.Fatal("server requiring an nkey accepted a client without one")
	}
}

func TestConnectTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCA(t, dir)
	srvCert, srvKey := newLeaf(t, dir, "server", ca, caKey, x509.ExtKeyUsageServerAuth)
	cliCert, cliKey := newLeaf(t, dir, "client", ca, caKey, x509.ExtKeyUsageClientAuth)
	caFile := filepath.Join(dir, "ca.pem")

	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: srvCert, KeyFile: srvKey, CaFile: caFile, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := startPlainServer(t, &server.Options{TLSConfig: tc, TLSVerify: true, TLSTimeout: 2})
	url := strings.Replace(srv.ClientURL(), "nats://", "tls://", 1)

	c, err := pipeline.Connect(bg(t), url, pipeline.WithTLS(caFile, cliCert, cliKey))
	if err != nil {
		t.Fatalf("Connect with CA and client certificate: %v", err)
	}
	if !c.Conn().TLSRequired() {
		t.Error("connection is not TLS")
	}
	c.Close()
	// The server verifies clients: no certificate, no connection.
	if c, err := pipeline.Connect(bg(t), url, pipeline.WithTLS(caFile, "", "")); err == nil {
		c.Close()
		t.Error("connected without the client certificate the server requires")
	}

	// Given TLS files, a server without TLS is refused rather than spoken
	// to in plain text.
	plain := startPlainServer(t, &server.Options{})
	if c, err := pipeline.Connect(bg(t), plain.ClientURL(), pipeline.WithTLS(caFile, cliCert, cliKey)); err == nil {
		c.Close()
		t.Error("TLS files given, but a plain-text server was accepted")
	}
}

// startPlainServer starts a nats-server without JetStream, for testing how
// clients connect.
func startPlainServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoSigs, opts.NoLog = "127.0.0.1", server.RANDOM_PORT, true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(liveness) {
		t.Fatal("server not ready")
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// newCA writes a self-signed CA certificate to dir/ca.pem.
func newCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "callscribe test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", der)
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

// newLeaf writes a certificate for 127.0.0.1 signed by ca, and its key,
// returning their paths.
func newLeaf(t *testing.T, dir, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
