package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

const (
	// maxKeyFileSize bounds what is read from a key file; real PEM keys are
	// a few KiB at most.
	maxKeyFileSize = 64 << 10
	// minRSABits is the smallest RSA modulus accepted for RS256.
	minRSABits = 2048
	// generatedRSABits is the modulus size of a generated development key.
	generatedRSABits = 2048
)

// keyFile is what one PEM file yielded: always a public key and its
// algorithm, and the private key when the file held one.
type keyFile struct {
	priv crypto.Signer
	pub  crypto.PublicKey
	alg  jwa.SignatureAlgorithm
}

// readKeyFile loads the single key in the PEM file at path. Every error
// names the file and says what is wrong with it, never what the key is.
func readKeyFile(path string) (keyFile, error) {
	data, err := readSmallFile(path)
	if err != nil {
		return keyFile{}, fmt.Errorf("key file %q: %w", path, err)
	}
	k, err := parseKeyPEM(data)
	if err != nil {
		return keyFile{}, fmt.Errorf("key file %q: %w", path, err)
	}
	return k, nil
}

func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		// The caller names the file; keep only what went wrong.
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("larger than %d bytes, not a PEM key", maxKeyFileSize)
	}
	return data, nil
}

// parseKeyPEM finds exactly one key block in data (skipping the "EC
// PARAMETERS" block openssl writes before EC keys) and parses it.
func parseKeyPEM(data []byte) (keyFile, error) {
	var found *pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "EC PARAMETERS" {
			continue
		}
		if found != nil {
			return keyFile{}, errors.New(
				"holds more than one PEM block; keep one key per file")
		}
		found = b
	}
	if found == nil {
		return keyFile{}, errors.New("no PEM block found")
	}
	if found.Type == "ENCRYPTED PRIVATE KEY" ||
		strings.Contains(found.Headers["Proc-Type"], "ENCRYPTED") {
		return keyFile{}, errors.New("encrypted PEM keys are not supported")
	}

	var (
		raw any
		err error
	)
	switch found.Type {
	case "PRIVATE KEY":
		raw, err = x509.ParsePKCS8PrivateKey(found.Bytes)
	case "EC PRIVATE KEY":
		raw, err = x509.ParseECPrivateKey(found.Bytes)
	case "RSA PRIVATE KEY":
		raw, err = x509.ParsePKCS1PrivateKey(found.Bytes)
	case "PUBLIC KEY":
		raw, err = x509.ParsePKIXPublicKey(found.Bytes)
	case "RSA PUBLIC KEY":
		raw, err = x509.ParsePKCS1PublicKey(found.Bytes)
	default:
		return keyFile{}, fmt.Errorf("unsupported PEM block type %q", found.Type)
	}
	if err != nil {
		// The x509 errors describe the encoding, not the key's value.
		return keyFile{}, fmt.Errorf("cannot parse %q block: %w", found.Type, err)
	}
	return classify(raw)
}

// classify maps a parsed key to the one algorithm this service uses for
// its type and refuses weak or unsupported keys.
func classify(raw any) (keyFile, error) {
	var k keyFile
	if s, ok := raw.(crypto.Signer); ok {
		k.priv = s
		k.pub = s.Public()
	} else {
		k.pub = raw
	}

	switch pub := k.pub.(type) {
	case ed25519.PublicKey:
		k.alg = jwa.EdDSA
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return keyFile{}, fmt.Errorf(
				"ECDSA curve %s is not supported; use P-256 (ES256)", curveName(pub.Curve))
		}
		k.alg = jwa.ES256
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < minRSABits {
			return keyFile{}, fmt.Errorf(
				"RSA key of %d bits is too small; RS256 needs at least %d", bits, minRSABits)
		}
		k.alg = jwa.RS256
	default:
		return keyFile{}, fmt.Errorf(
			"unsupported key type %T; use Ed25519, ECDSA P-256 or RSA", k.pub)
	}
	return k, nil
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "unknown"
	}
	return c.Params().Name
}

// generateKey makes a new private key for alg.
func generateKey(alg jwa.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jwa.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case jwa.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwa.RS256:
		return rsa.GenerateKey(rand.Reader, generatedRSABits)
	default:
		return nil, fmt.Errorf("cannot generate a key for algorithm %q", alg)
	}
}

// writeKeyFile stores priv as a PKCS#8 PEM file at path, mode 0600, in a
// parent directory created with mode 0700. The key is written to a
// temporary file in the same directory and then linked into place, so a
// crash never leaves half a key and a key written meanwhile by another
// process is never replaced: in that case it reports created == false and
// the caller loads the file that won.
func writeKeyFile(path string, priv crypto.Signer) (created bool, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return false, fmt.Errorf("encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	// Removing tmp after a successful link or rename is harmless: the key
	// stays reachable under path.
	defer os.Remove(tmp)

	if err := writeAndSync(f, data); err != nil {
		return false, err
	}

	err = os.Link(tmp, path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		// Some file systems have no hard links; a rename is still atomic.
		if err := os.Rename(tmp, path); err != nil {
			return false, err
		}
	}
	syncDir(dir)
	return true, nil
}

func writeAndSync(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the new directory entry durable where the platform allows
// it; failing to is not worth refusing a development key over.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
