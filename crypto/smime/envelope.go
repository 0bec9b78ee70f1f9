package smime

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
)

// Object identifiers used in the EnvelopedData we build (RFC 5652, RFC 3565,
// RFC 4055, RFC 8017).
var (
	oidData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEnvelopedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 3}
	oidAES256CBC     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAESOAEP     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 7}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// Key transport choices for Options.KeyTransport.
const (
	KeyTransportOAEP     = "oaep"
	KeyTransportPKCS1v15 = "pkcs1v15"
)

// algorithmIdentifier is written by hand rather than with pkix so that the
// parameters are exactly as RFC 4055 and OpenSSL spell them (NULL for the
// hash, absent pSourceFunc).
type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type oaepParams struct {
	Hash algorithmIdentifier `asn1:"explicit,tag:0"`
	MGF  algorithmIdentifier `asn1:"explicit,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// keyTransRecipientInfo is RFC 5652 §6.2.1 with rid = issuerAndSerialNumber
// (version 0), which every client reads.
type keyTransRecipientInfo struct {
	Version      int
	RID          issuerAndSerial
	KeyEncAlg    algorithmIdentifier
	EncryptedKey []byte
}

var asn1Null = asn1.RawValue{Tag: asn1.TagNull}

func keyEncryptionAlgorithm(transport string) (algorithmIdentifier, error) {
	switch transport {
	case KeyTransportOAEP:
		sha := algorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1Null}
		shaDER, err := asn1.Marshal(sha)
		if err != nil {
			return algorithmIdentifier{}, err
		}
		p, err := asn1.Marshal(oaepParams{
			Hash: sha,
			MGF:  algorithmIdentifier{Algorithm: oidMGF1, Parameters: asn1.RawValue{FullBytes: shaDER}},
		})
		if err != nil {
			return algorithmIdentifier{}, err
		}
		return algorithmIdentifier{Algorithm: oidRSAESOAEP, Parameters: asn1.RawValue{FullBytes: p}}, nil
	case "", KeyTransportPKCS1v15:
		return algorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1Null}, nil
	}
	return algorithmIdentifier{}, fmt.Errorf("smime: unknown key transport %q (want %q or %q)", transport, KeyTransportOAEP, KeyTransportPKCS1v15)
}

// recipientInfos gives the content key to every recipient: an RSA key by
// key transport, with the algorithm KeyTransportFor picks (def for those
// that do not announce OAEP); an EC key by ECDH key agreement (keyagree.go).
// It returns the DER of the SET OF RecipientInfo and whether any is a
// KeyAgreeRecipientInfo (version 3), which makes an EnvelopedData version 2
// (RFC 5652 §6.1).
func recipientInfos(key []byte, recipients []*x509.Certificate, def string, capabilities func(*x509.Certificate) []byte) (der []byte, agreed bool, err error) {
	// An unknown default is refused even if every recipient announces OAEP
	// or is EC.
	if _, err := keyEncryptionAlgorithm(def); err != nil {
		return nil, false, err
	}
	var infos [][]byte
	for i, c := range recipients {
		if ec, ok := c.PublicKey.(*ecdsa.PublicKey); ok {
			der, err := keyAgreeInfo(key, c, ec)
			if err != nil {
				var ue *UnusableError
				if errors.As(err, &ue) {
					return nil, false, err
				}
				return nil, false, fmt.Errorf("smime: agree key for recipient %d: %w", i, err)
			}
			infos = append(infos, der)
			agreed = true
			continue
		}
		var harvested []byte
		if capabilities != nil {
			harvested = capabilities(c)
		}
		transport, _ := KeyTransportFor(c, harvested, def)
		alg, err := keyEncryptionAlgorithm(transport)
		if err != nil {
			return nil, false, err
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, false, &UnusableError{Reason: reasonKeyType}
		}
		var ek []byte
		if alg.Algorithm.Equal(oidRSAESOAEP) {
			ek, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, key, nil)
		} else {
			// PKCS#1 v1.5 is what every client opens (gpgsm 2.2 and GPGME
			// clients do not unwrap OAEP); OAEP goes to those that announce it.
			//lint:ignore SA1019 deliberate: the form every client decrypts
			ek, err = rsa.EncryptPKCS1v15(rand.Reader, pub, key)
		}
		if err != nil {
			return nil, false, fmt.Errorf("smime: wrap key for recipient %d: %w", i, err)
		}
		der, err := asn1.Marshal(keyTransRecipientInfo{
			RID:          issuerAndSerial{Issuer: asn1.RawValue{FullBytes: c.RawIssuer}, Serial: c.SerialNumber},
			KeyEncAlg:    alg,
			EncryptedKey: ek,
		})
		if err != nil {
			return nil, false, fmt.Errorf("smime: encode recipient %d: %w", i, err)
		}
		infos = append(infos, der)
	}
	// DER orders a SET OF by encoding.
	sort.Slice(infos, func(i, j int) bool { return bytes.Compare(infos[i], infos[j]) < 0 })
	body := bytes.Join(infos, nil)
	der, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: body})
	return der, agreed, err
}

// chunkSize is how much plaintext is encrypted per OCTET STRING segment; it
// is also the whole working memory of an encryption, whatever the message
// size.
const chunkSize = 64 << 10

// envelopeWriter streams an RFC 5652 EnvelopedData in BER with indefinite
// lengths for the outer structures and the encrypted content as a
// constructed OCTET STRING of segments (as `openssl cms -stream`, Outlook and
// Thunderbird write it), so nothing is buffered beyond one segment.
type envelopeWriter struct {
	w    io.Writer
	head []byte // DER up to the encrypted content, written with the first segment
	cbc  cipher.BlockMode
	buf  []byte // pending plaintext, at most chunkSize (+ padding at Close)
	out  []byte // tag and length of one segment
	done bool
}

func newEnvelopeWriter(w io.Writer, recipients []*x509.Certificate, transport string, capabilities func(*x509.Certificate) []byte) (*envelopeWriter, error) {
	key := make([]byte, 32)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	ris, agreed, err := recipientInfos(key, recipients, transport, capabilities)
	if err != nil {
		return nil, err
	}
	// RFC 5652 §6.1: version 0 when every RecipientInfo is a ktri v0, 2
	// once a kari (v3) is among them.
	version := byte(0)
	if agreed {
		version = 2
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	algDER, err := asn1.Marshal(algorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{Tag: asn1.TagOctetString, Bytes: iv}})
	if err != nil {
		return nil, err
	}
	oidEnv, _ := asn1.Marshal(oidEnvelopedData)
	oidD, _ := asn1.Marshal(oidData)
	var h bytes.Buffer
	h.Write([]byte{0x30, 0x80}) // ContentInfo
	h.Write(oidEnv)
	h.Write([]byte{0xa0, 0x80})          // [0] EXPLICIT content
	h.Write([]byte{0x30, 0x80})          // EnvelopedData
	h.Write([]byte{0x02, 0x01, version}) // no originatorInfo
	h.Write(ris)                         // recipientInfos
	h.Write([]byte{0x30, 0x80})          // EncryptedContentInfo
	h.Write(oidD)                        // contentType id-data
	h.Write(algDER)                      // aes256-CBC with IV
	h.Write([]byte{0xa0, 0x80})          // [0] IMPLICIT encryptedContent, constructed
	return &envelopeWriter{
		w:    w,
		head: h.Bytes(),
		cbc:  cipher.NewCBCEncrypter(block, iv),
		// buf grows by append up to one segment: a 10 KB message does not
		// pay for a 64 KiB buffer.
		out: make([]byte, 0, 8),
	}, nil
}

func (e *envelopeWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), chunkSize-len(e.buf))
		e.buf = append(e.buf, p[:k]...)
		p = p[k:]
		n += k
		if len(e.buf) == chunkSize {
			if err := e.flush(e.buf); err != nil {
				return n, err
			}
			e.buf = e.buf[:0]
		}
	}
	return n, nil
}

// flush encrypts p (a multiple of the block size) in place and writes it
// as one primitive OCTET STRING segment.
func (e *envelopeWriter) flush(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if e.head != nil {
		if _, err := e.w.Write(e.head); err != nil {
			return err
		}
		e.head = nil
	}
	e.cbc.CryptBlocks(p, p)
	e.out = appendTagLen(e.out[:0], asn1.TagOctetString, len(p))
	if _, err := e.w.Write(e.out); err != nil {
		return err
	}
	_, err := e.w.Write(p)
	return err
}

// Close pads the last block (PKCS#7 padding, RFC 5652 §6.3) and closes the
// five indefinite-length encodings.
func (e *envelopeWriter) Close() error {
	if e.done {
		return nil
	}
	e.done = true
	pad := aes.BlockSize - len(e.buf)%aes.BlockSize
	for range pad {
		e.buf = append(e.buf, byte(pad))
	}
	if err := e.flush(e.buf); err != nil {
		return err
	}
	_, err := e.w.Write(make([]byte, 10)) // five end-of-contents octets pairs
	return err
}

func appendTagLen(b []byte, tag byte, n int) []byte {
	b = append(b, tag)
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}
