package smime

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"sort"
	"time"
)

var (
	oidSignedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidAttrContentType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMessageDigst = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidECDSAWithSHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type signerInfo struct {
	Version     int
	SID         issuerAndSerial
	DigestAlg   algorithmIdentifier
	SignedAttrs asn1.RawValue // [0] IMPLICIT SET OF Attribute
	SigAlg      algorithmIdentifier
	Signature   []byte
}

type signedData struct {
	Version     int
	DigestAlgs  asn1.RawValue // SET OF AlgorithmIdentifier
	Encap       struct{ ContentType asn1.ObjectIdentifier }
	Certs       asn1.RawValue // [0] IMPLICIT CertificateSet
	SignerInfos asn1.RawValue // SET OF SignerInfo
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT
}

func set(content ...[]byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(content, nil)}
}

// detachedSignature returns a CMS SignedData (RFC 5652 §5, RFC 8551 §2)
// over content whose SHA-256 is digest: version 1, signer identified by
// issuerAndSerialNumber, signed attributes contentType, signingTime and
// messageDigest, the signer certificate and chain, no encapsulated content.
// It is built here rather than with smallstep/pkcs7 because that library
// needs the whole content as []byte to hash it; taking the digest lets
// signing stream.
func detachedSignature(digest []byte, s *Signer, now time.Time) ([]byte, error) {
	der := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			panic(err) // only fixed, well-formed values are marshalled here
		}
		return b
	}
	sha := algorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1Null}
	var sigAlg algorithmIdentifier
	switch s.Key.Public().(type) {
	case *rsa.PublicKey:
		sigAlg = algorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1Null}
	case *ecdsa.PublicKey:
		sigAlg = algorithmIdentifier{Algorithm: oidECDSAWithSHA256}
	default:
		return nil, fmt.Errorf("smime: unsupported signing key type %T", s.Key.Public())
	}
	attrs := [][]byte{
		der(cmsAttribute{Type: oidAttrContentType, Values: []asn1.RawValue{{FullBytes: der(oidData)}}}),
		der(cmsAttribute{Type: oidAttrSigningTime, Values: []asn1.RawValue{{FullBytes: der(now.UTC())}}}),
		der(cmsAttribute{Type: oidAttrMessageDigst, Values: []asn1.RawValue{{FullBytes: der(digest)}}}),
	}
	// DER orders a SET OF by encoding; the signature covers the SET with
	// its universal tag (RFC 5652 §5.4), the message carries it as [0].
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	attrSet := der(set(attrs...))
	h := sha256.Sum256(attrSet)
	sig, err := s.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("smime: sign: %w", err)
	}
	si := der(signerInfo{
		Version:     1,
		SID:         issuerAndSerial{Issuer: asn1.RawValue{FullBytes: s.Cert.RawIssuer}, Serial: s.Cert.SerialNumber},
		DigestAlg:   sha,
		SignedAttrs: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(attrs, nil)},
		SigAlg:      sigAlg,
		Signature:   sig,
	})
	certs := [][]byte{s.Cert.Raw}
	for _, c := range s.Chain {
		certs = append(certs, c.Raw)
	}
	sd := der(signedData{
		Version:     1,
		DigestAlgs:  set(der(sha)),
		Encap:       struct{ ContentType asn1.ObjectIdentifier }{oidData},
		Certs:       asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(certs, nil)},
		SignerInfos: set(si),
	})
	return asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd},
	})
}
