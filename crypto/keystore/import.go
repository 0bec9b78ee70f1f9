package keystore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/smallstep/pkcs7"
	bolt "go.etcd.io/bbolt"
)

// Input limits. Everything imported comes from an admin, but files are
// often downloaded from strangers, so the parsers get bounded input.
const (
	maxImportBytes = 16 << 20 // one file
	maxPKCS7Bytes  = 1 << 20  // one PKCS#7 bundle (its BER parser is the fragile one)
	maxEntities    = 10000    // keys in one keyring, certificates in one file
)

const refusePrivate = "refusing a private key: import the public key"

var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// Import parses data (PEM or DER certificates, PKCS#7 certificate bundles
// in PEM or DER, armored or binary OpenPGP public keys and keyrings, or a
// file mixing PEM and armored blocks) and stores every usable entry, with
// Source "local:<base name of name>". An entry with a fingerprint already
// stored replaces it. Items that are not taken are reported in Refused with
// the reason; a revoked OpenPGP key is refused and any stored copy of it
// removed. The error is only for failures of the store itself.
func (s *Store) Import(name string, data []byte) (ImportResult, error) {
	base := filepath.Base(name)
	p := &importer{now: s.now(), base: base, source: "local:" + base, seen: map[string]int{}}
	p.parse(data)
	var res ImportResult
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, fp := range p.revoked {
			if _, err := deleteEntry(tx, entryKey(PGP, fp)); err != nil {
				return err
			}
		}
		for _, e := range p.entries {
			if err := put(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	s.invalidate()
	if err != nil {
		return res, fmt.Errorf("keystore: import %s: %w", base, err)
	}
	res.Imported, res.Refused = p.entries, p.refused
	s.log.Info("keystore import", "file", base, "imported", len(res.Imported), "refused", len(res.Refused))
	return res, nil
}

// importer collects what one file holds.
type importer struct {
	now     time.Time
	base    string
	source  string
	entries []Entry
	seen    map[string]int // entry key -> index in entries
	refused []Refusal
	revoked []string // PGP fingerprints
	count   int
}

func (p *importer) refuse(item, format string, args ...any) {
	p.refused = append(p.refused, Refusal{Item: item, Reason: fmt.Sprintf(format, args...)})
}

func (p *importer) add(e Entry) {
	k := string(entryKey(e.Kind, e.Fingerprint))
	if i, ok := p.seen[k]; ok {
		p.entries[i] = e
		return
	}
	p.seen[k] = len(p.entries)
	p.entries = append(p.entries, e)
}

// guard turns a parser panic on hostile input into a refusal.
func (p *importer) guard(item string) {
	if r := recover(); r != nil {
		p.refuse(item, "unparseable (parser failure)")
	}
}

func (p *importer) parse(data []byte) {
	if len(data) > maxImportBytes {
		p.refuse(p.base, "file too large (%d bytes, limit %d)", len(data), maxImportBytes)
		return
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		p.refuse(p.base, "empty")
		return
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		p.parseText(data)
		return
	}
	item := p.base
	switch {
	case data[0] == 0x30: // ASN.1 SEQUENCE: a certificate or a PKCS#7 ContentInfo
		// Untrimmed: a DER file may end in a byte that looks like white
		// space (0x0a, 0x20, ...) - about one signature in sixty does.
		p.parseDER(item, data)
	case trimmed[0] == 0x30: // DER after a stray newline (a copy-paste)
		p.parseDER(item, trimmed)
	case trimmed[0]&0x80 != 0: // OpenPGP packet tag
		p.parseKeyring(item, bytes.NewReader(data))
	default:
		p.refuse(item, "not a certificate, PKCS#7 bundle or OpenPGP key")
	}
}

// parseText walks "-----BEGIN X-----" ... "-----END X-----" blocks; text
// between them is ignored, as openssl and gpg do.
func (p *importer) parseText(data []byte) {
	rest := data
	n := 0
	for {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		rest = rest[i:]
		eol := bytes.Index(rest, []byte("-----\n"))
		if eol2 := bytes.Index(rest, []byte("-----\r\n")); eol2 >= 0 && (eol < 0 || eol2 < eol) {
			eol = eol2
		}
		n++
		item := fmt.Sprintf("%s#%d", p.base, n)
		if eol < 0 {
			p.refuse(item, "truncated block")
			return
		}
		typ := string(rest[len("-----BEGIN "):eol])
		end := []byte("-----END " + typ + "-----")
		j := bytes.Index(rest, end)
		if j < 0 {
			p.refuse(item, "%s block without its END line", typ)
			return
		}
		block := rest[:j+len(end)]
		rest = rest[j+len(end):]
		p.parseBlock(item, typ, block)
		if p.count > maxEntities {
			p.refuse(p.base, "too many items (limit %d)", maxEntities)
			return
		}
	}
	if n == 0 {
		p.refuse(p.base, "no PEM or armored block")
	}
}

func (p *importer) parseBlock(item, typ string, block []byte) {
	defer p.guard(item)
	switch {
	case strings.Contains(typ, "PRIVATE KEY"):
		p.refuse(item, refusePrivate)
	case typ == "PGP PUBLIC KEY BLOCK":
		ab, err := armor.Decode(bytes.NewReader(block))
		if err != nil {
			p.refuse(item, "bad OpenPGP armor: %v", err)
			return
		}
		p.parseKeyring(item, ab.Body)
	case strings.HasPrefix(typ, "PGP "):
		p.refuse(item, "not a public key (%s)", typ)
	default:
		pb, _ := pem.Decode(block)
		if pb == nil {
			p.refuse(item, "bad PEM %s block", typ)
			return
		}
		switch pb.Type {
		case "CERTIFICATE", "X509 CERTIFICATE":
			c, err := x509.ParseCertificate(pb.Bytes)
			if err != nil {
				p.refuse(item, "bad certificate: %v", err)
				return
			}
			p.cert(item, c)
		case "PKCS7", "PKCS #7 SIGNED DATA", "CMS":
			p.parsePKCS7(item, pb.Bytes)
		default:
			p.refuse(item, "unsupported PEM block %q", pb.Type)
		}
	}
}

func (p *importer) parseDER(item string, der []byte) {
	defer p.guard(item)
	c, certErr := x509.ParseCertificate(der)
	if certErr == nil {
		p.cert(item, c)
		return
	}
	if looksLikePKCS7(der) {
		p.parsePKCS7(item, der)
		return
	}
	p.refuse(item, "not a certificate or PKCS#7 bundle: %v", certErr)
}

// looksLikePKCS7 reports whether der starts a ContentInfo with the
// signedData OID, so plain garbage is reported as a bad certificate.
func looksLikePKCS7(der []byte) bool {
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	i := bytes.Index(der, oid)
	return i >= 0 && i < 12
}

func (p *importer) parsePKCS7(item string, der []byte) {
	if len(der) > maxPKCS7Bytes {
		p.refuse(item, "PKCS#7 bundle too large (%d bytes, limit %d)", len(der), maxPKCS7Bytes)
		return
	}
	// pkcs7.Parse converts BER to DER recursively and rescans for
	// end-of-contents markers: check first that doing so is cheap.
	if err := berCheck(der); err != nil {
		p.refuse(item, "refused PKCS#7 bundle: %v", err)
		return
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		p.refuse(item, "bad PKCS#7 bundle: %v", err)
		return
	}
	if len(p7.Certificates) == 0 {
		p.refuse(item, "PKCS#7 bundle without certificates")
		return
	}
	for i, c := range p7.Certificates {
		p.cert(fmt.Sprintf("%s/%d", item, i+1), c)
	}
}

// cert turns one certificate into an entry or a refusal.
func (p *importer) cert(item string, c *x509.Certificate) {
	p.count++
	if cn := c.Subject.CommonName; cn != "" {
		item += " (" + cn + ")"
	}
	if p.now.After(c.NotAfter) {
		p.refuse(item, "certificate expired on %s", c.NotAfter.UTC().Format(time.DateOnly))
		return
	}
	var addrs []string
	for _, a := range c.EmailAddresses {
		addrs = appendAddr(addrs, a)
	}
	for _, n := range c.Subject.Names {
		if n.Type.Equal(oidEmailAddress) {
			if v, ok := n.Value.(string); ok {
				addrs = appendAddr(addrs, v)
			}
		}
	}
	// A CA certificate is not a recipient's, except the self-signed ones
	// openssl req -x509 makes for people (CA:TRUE by default).
	selfSigned := bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
	if c.IsCA && (len(addrs) == 0 || !selfSigned) {
		p.refuse(item, "CA certificate, not a recipient certificate")
		return
	}
	if len(addrs) == 0 {
		p.refuse(item, "no email address (neither subjectAltName rfc822Name nor subject emailAddress)")
		return
	}
	sum := sha256.Sum256(c.Raw)
	p.add(Entry{
		Kind:        SMIME,
		Fingerprint: hex.EncodeToString(sum[:]),
		Addresses:   addrs,
		NotAfter:    c.NotAfter.UTC(),
		Source:      p.source,
		Imported:    p.now.UTC(),
		Data:        bytes.Clone(c.Raw),
	})
}

func appendAddr(addrs []string, a string) []string {
	n, err := NormalizeAddress(a)
	if err != nil || slices.Contains(addrs, n) {
		return addrs
	}
	return append(addrs, n)
}

func (p *importer) parseKeyring(item string, r io.Reader) {
	defer p.guard(item)
	el, err := openpgp.ReadKeyRing(r)
	if err != nil {
		p.refuse(item, "not an OpenPGP public key: %v", err)
		return
	}
	if len(el) == 0 {
		p.refuse(item, "no OpenPGP key found")
		return
	}
	for _, e := range el {
		p.count++
		if p.count > maxEntities {
			return
		}
		p.entity(item, e)
	}
}

// entity turns one OpenPGP transferable key into an entry or a refusal.
func (p *importer) entity(item string, e *openpgp.Entity) {
	fp := strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
	item += " " + fp
	if e.PrivateKey != nil {
		p.refuse(item, refusePrivate)
		return
	}
	if e.Revoked(p.now) {
		p.revoked = append(p.revoked, fp)
		p.refuse(item, "key is revoked (any stored copy is removed)")
		return
	}
	addrs := entityAddresses(e, p.now)
	if len(addrs) == 0 {
		p.refuse(item, "no user ID with an email address")
		return
	}
	notAfter := entityExpiry(e)
	if !notAfter.IsZero() && p.now.After(notAfter) {
		p.refuse(item, "key expired on %s", notAfter.Format(time.DateOnly))
		return
	}
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		p.refuse(item, "cannot serialize key: %v", err)
		return
	}
	p.add(Entry{
		Kind:        PGP,
		Fingerprint: fp,
		Addresses:   addrs,
		NotAfter:    notAfter,
		Source:      p.source,
		Imported:    p.now.UTC(),
		Data:        buf.Bytes(),
	})
}

// entityAddresses returns the addresses of e's valid, unrevoked user IDs.
func entityAddresses(e *openpgp.Entity, now time.Time) []string {
	var addrs []string
	for _, id := range e.Identities {
		if id.SelfSignature == nil || id.Revoked(now) || id.UserId == nil {
			continue
		}
		a := id.UserId.Email
		if pa, err := mail.ParseAddress(id.UserId.Id); err == nil {
			a = pa.Address
		}
		if a != "" {
			addrs = appendAddr(addrs, a)
		}
	}
	slices.Sort(addrs)
	return addrs
}

// entityExpiry is the primary key's expiry from its primary self-signature.
func entityExpiry(e *openpgp.Entity) time.Time {
	sig, _ := e.PrimarySelfSignature()
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second).UTC()
}
