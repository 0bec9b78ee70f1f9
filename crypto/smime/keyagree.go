package smime

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"hash"
)

// Object identifiers for ECDH key agreement (RFC 5753, RFC 5480, RFC 3565).
var (
	oidECPublicKey           = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDHSinglePassSHA256KDF = asn1.ObjectIdentifier{1, 3, 132, 1, 11, 1}
	oidDHSinglePassSHA384KDF = asn1.ObjectIdentifier{1, 3, 132, 1, 11, 2}
	oidAES256Wrap            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 45}
)

// ecdhScheme is one curve's ephemeral-static ECDH profile: the KDF hash
// matches the curve's strength (RFC 5008 §3 for P-384; RFC 5753 §8 lists
// both), and the key encryption key is AES-256 wrap, as strong as the
// AES-256 content key it wraps.
type ecdhScheme struct {
	curve ecdh.Curve
	kdf   asn1.ObjectIdentifier
	hash  func() hash.Hash
}

// ecdhSchemeFor returns the scheme for pub's curve; only P-256 and P-384.
func ecdhSchemeFor(pub *ecdsa.PublicKey) (ecdhScheme, bool) {
	switch pub.Curve {
	case elliptic.P256():
		return ecdhScheme{ecdh.P256(), oidDHSinglePassSHA256KDF, sha256.New}, true
	case elliptic.P384():
		return ecdhScheme{ecdh.P384(), oidDHSinglePassSHA384KDF, sha512.New384}, true
	}
	return ecdhScheme{}, false
}

// originatorPublicKey is RFC 5652 §6.2.2's OriginatorPublicKey: for ECDH
// id-ecPublicKey with absent parameters and the uncompressed ephemeral
// point (RFC 5753 §3.1.1), as OpenSSL writes it.
type originatorPublicKey struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

type recipientEncryptedKey struct {
	RID          issuerAndSerial
	EncryptedKey []byte
}

// keyAgreeRecipientInfo is RFC 5652 §6.2.2, version 3, without ukm. Its
// originator is [0] EXPLICIT holding originatorKey [1] IMPLICIT, built by
// hand because encoding/asn1 ignores tags on a RawValue with FullBytes.
type keyAgreeRecipientInfo struct {
	Version                int
	Originator             asn1.RawValue
	KeyEncAlg              algorithmIdentifier
	RecipientEncryptedKeys []recipientEncryptedKey
}

// eccCMSSharedInfo is RFC 5753 §7.2's ECC-CMS-SharedInfo without
// entityUInfo (no ukm): the X9.63 KDF's SharedInfo.
type eccCMSSharedInfo struct {
	KeyInfo     algorithmIdentifier
	SuppPubInfo []byte `asn1:"explicit,tag:2"`
}

// checkECRecipient refuses what Encrypt cannot or must not agree a key with.
func checkECRecipient(c *x509.Certificate, pub *ecdsa.PublicKey) error {
	if _, ok := ecdhSchemeFor(pub); !ok {
		return &UnusableError{Reason: fmt.Sprintf("%s (%s)", reasonCurve, pub.Curve.Params().Name)}
	}
	// RFC 5480 §3: an EC key used for ECDH needs keyAgreement when the
	// extension is present (Go leaves KeyUsage zero when it is absent).
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageKeyAgreement == 0 {
		return &UnusableError{Reason: reasonKeyAgreement}
	}
	return nil
}

// keyAgreeInfo returns the DER of a RecipientInfo kari (RFC 5652 §6.2.2,
// RFC 5753 §3.1.1) that gives cek to c: a fresh ephemeral key on c's curve,
// Z = ECDH(ephemeral, c's key), KEK = X9.63-KDF(Z, ECC-CMS-SharedInfo),
// encryptedKey = AES-256-wrap(KEK, cek).
func keyAgreeInfo(cek []byte, c *x509.Certificate, pub *ecdsa.PublicKey) ([]byte, error) {
	if err := checkECRecipient(c, pub); err != nil {
		return nil, err
	}
	s, _ := ecdhSchemeFor(pub)
	static, err := pub.ECDH()
	if err != nil {
		return nil, &UnusableError{Reason: "EC public key not on its curve"}
	}
	eph, err := s.curve.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	z, err := eph.ECDH(static)
	if err != nil {
		return nil, fmt.Errorf("smime: ecdh: %w", err)
	}
	wrapAlg := algorithmIdentifier{Algorithm: oidAES256Wrap} // RFC 3565 §2.3.2: parameters absent
	kek, err := ecdhKEK(s.hash, z, wrapAlg, 32)
	if err != nil {
		return nil, err
	}
	ek, err := aesKeyWrap(kek, cek)
	if err != nil {
		return nil, err
	}
	wrapDER, err := asn1.Marshal(wrapAlg)
	if err != nil {
		return nil, err
	}
	point := eph.PublicKey().Bytes()
	opk, err := asn1.Marshal(originatorPublicKey{
		Algorithm: algorithmIdentifier{Algorithm: oidECPublicKey},
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
	if err != nil {
		return nil, err
	}
	opk[0] = 0xa1 // originatorKey [1] IMPLICIT OriginatorPublicKey
	der, err := asn1.Marshal(keyAgreeRecipientInfo{
		Version:    3,
		Originator: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: opk},
		KeyEncAlg:  algorithmIdentifier{Algorithm: s.kdf, Parameters: asn1.RawValue{FullBytes: wrapDER}},
		RecipientEncryptedKeys: []recipientEncryptedKey{{
			RID:          issuerAndSerial{Issuer: asn1.RawValue{FullBytes: c.RawIssuer}, Serial: c.SerialNumber},
			EncryptedKey: ek,
		}},
	})
	if err != nil {
		return nil, err
	}
	der[0] = 0xa1 // RecipientInfo kari [1] IMPLICIT
	return der, nil
}

// ecdhKEK is the ANSI X9.63 KDF (SEC 1 §3.6.1) as RFC 5753 §3.1.1 uses it:
// Hash(Z || counter || SharedInfo) for counter 1, 2, ... until n bytes,
// with SharedInfo the DER ECC-CMS-SharedInfo naming the wrap algorithm and
// the KEK length in bits.
func ecdhKEK(h func() hash.Hash, z []byte, wrapAlg algorithmIdentifier, n int) ([]byte, error) {
	bits := make([]byte, 4)
	binary.BigEndian.PutUint32(bits, uint32(8*n))
	info, err := asn1.Marshal(eccCMSSharedInfo{KeyInfo: wrapAlg, SuppPubInfo: bits})
	if err != nil {
		return nil, err
	}
	return x963KDF(h, z, info, n), nil
}

func x963KDF(h func() hash.Hash, z, sharedInfo []byte, n int) []byte {
	var out []byte
	var ctr [4]byte
	for i := uint32(1); len(out) < n; i++ {
		d := h()
		d.Write(z)
		binary.BigEndian.PutUint32(ctr[:], i)
		d.Write(ctr[:])
		d.Write(sharedInfo)
		out = d.Sum(out)
	}
	return out[:n]
}
