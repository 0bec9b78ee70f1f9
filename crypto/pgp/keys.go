package pgp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Limits on key input. Keys come from outside (admin imports, WKD): every
// parse is bounded before the OpenPGP library sees a byte.
const (
	// MaxKeyringBytes caps the whole input, armored or binary.
	MaxKeyringBytes = 10 << 20
	// MaxKeyBytes caps one transferable public key (primary key, user IDs,
	// subkeys and all their signatures).
	MaxKeyBytes = 1 << 20
	// MaxKeyPackets caps the packets of one key: certification flooding
	// (the 2019 SKS poisoning: 150,000 signatures on one key) ends in an
	// error instead of minutes of parsing.
	MaxKeyPackets = 2000
	// MaxKeys caps the keys in one input.
	MaxKeys = 1000
)

// Key is one recipient's transferable public key.
type Key struct {
	entity *openpgp.Entity
	raw    []byte // the packets as given (trust/marker/padding dropped): Armored re-emits them unchanged
}

// Fingerprint is the primary key's fingerprint, uppercase hex as gpg prints it.
func (k *Key) Fingerprint() string {
	return strings.ToUpper(fmt.Sprintf("%x", k.entity.PrimaryKey.Fingerprint))
}

// Addresses lists the e-mail addresses of the key's user IDs, lowercase,
// sorted, without duplicates. Revoked user IDs are listed too: CheckRecipient
// is the place that refuses them, with the reason.
func (k *Key) Addresses() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range k.entity.Identities {
		a := uidAddress(id.UserId)
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// Armored returns the key as an ASCII-armored public key block.
func (k *Key) Armored() (string, error) {
	var b strings.Builder
	w, err := armor.Encode(&b, "PGP PUBLIC KEY BLOCK", nil)
	if err != nil {
		return "", fmt.Errorf("pgp: armor: %w", err)
	}
	if _, err := w.Write(k.raw); err != nil {
		return "", fmt.Errorf("pgp: armor: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("pgp: armor: %w", err)
	}
	b.WriteString("\n")
	return b.String(), nil
}

// uidAddress extracts the lowercase address of a user ID: the <addr> part,
// or the whole ID when it is a bare address.
func uidAddress(u *packet.UserId) string {
	if u == nil {
		return ""
	}
	if u.Email != "" {
		return strings.ToLower(strings.TrimSpace(u.Email))
	}
	if a, err := mail.ParseAddress(u.Id); err == nil {
		return strings.ToLower(a.Address)
	}
	return ""
}

// ParseKeys reads one key or a keyring, armored (one or more blocks) or
// binary. Input over the limits is refused as a whole. A key that fails to
// parse does not stop the others: ParseKeys returns the keys it could read
// and, joined, one error per refused key ("pgp: key 2: ..."). Secret keys
// are refused: the key store holds public keys only.
func ParseKeys(r io.Reader) ([]*Key, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxKeyringBytes+1))
	if err != nil {
		return nil, fmt.Errorf("pgp: read keys: %w", err)
	}
	if len(data) > MaxKeyringBytes {
		return nil, fmt.Errorf("pgp: keys: input over %d bytes", MaxKeyringBytes)
	}
	bins, err := dearmor(data)
	if err != nil {
		return nil, err
	}
	var blocks [][]byte
	for _, bin := range bins {
		bs, err := splitKeyBlocks(bin)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, bs...)
		if len(blocks) > MaxKeys {
			return nil, fmt.Errorf("pgp: keys: more than %d keys", MaxKeys)
		}
	}
	if len(blocks) == 0 {
		return nil, errors.New("pgp: keys: no OpenPGP key found")
	}
	var keys []*Key
	var errs []error
	for i, b := range blocks {
		e, err := readEntity(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("pgp: key %d: %w", i+1, err))
			continue
		}
		keys = append(keys, &Key{entity: e, raw: b})
	}
	return keys, errors.Join(errs...)
}

// readEntity parses one pre-checked key block. The library is not expected to
// panic, but a panic on hostile input must not take the daemon down.
func readEntity(b []byte) (e *openpgp.Entity, err error) {
	defer func() {
		if p := recover(); p != nil {
			e, err = nil, errors.New("malformed key (parser panic)")
		}
	}()
	pr := packet.NewReader(bytes.NewReader(b))
	e, err = openpgp.ReadEntity(pr)
	if err != nil {
		return nil, err
	}
	if _, err := pr.Next(); err != io.EOF {
		return nil, errors.New("trailing packets after key")
	}
	return e, nil
}

// dearmor returns the binary contents: each armored block's body, or the
// input itself when it is not armored.
func dearmor(data []byte) ([][]byte, error) {
	const begin = "-----BEGIN PGP "
	idx := bytes.Index(data, []byte(begin))
	if idx < 0 {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, errors.New("pgp: keys: empty input")
		}
		return [][]byte{data}, nil
	}
	var out [][]byte
	for idx >= 0 {
		blk, err := armor.Decode(bytes.NewReader(data[idx:]))
		if err != nil {
			return nil, fmt.Errorf("pgp: keys: armor: %w", err)
		}
		switch blk.Type {
		case "PGP PUBLIC KEY BLOCK":
		case "PGP PRIVATE KEY BLOCK", "PGP SECRET KEY BLOCK":
			return nil, errors.New("pgp: keys: secret key block refused: import the public key")
		default:
			return nil, fmt.Errorf("pgp: keys: armor block %q is not a public key", blk.Type)
		}
		// Decoded data is smaller than its armor, so MaxKeyringBytes bounds it.
		body, err := io.ReadAll(io.LimitReader(blk.Body, MaxKeyringBytes+1))
		if err != nil {
			return nil, fmt.Errorf("pgp: keys: armor: %w", err)
		}
		out = append(out, body)
		// Base64 never contains '-', so the next BEGIN line is the next block.
		next := bytes.Index(data[idx+len(begin):], []byte(begin))
		if next < 0 {
			break
		}
		idx += len(begin) + next
	}
	return out, nil
}

// OpenPGP packet tags (RFC 9580 §5) that may appear in a transferable key.
const (
	tagSignature     = 2
	tagSecretKey     = 5
	tagPublicKey     = 6
	tagSecretSubkey  = 7
	tagCompressed    = 8
	tagMarker        = 10
	tagTrust         = 12
	tagUserID        = 13
	tagPublicSubkey  = 14
	tagUserAttribute = 17
	tagPadding       = 21
)

// splitKeyBlocks walks the packet framing (headers only, RFC 9580 §4.2) and
// cuts the input into one block per primary key. It never decompresses or
// decodes anything: a compressed or encrypted packet, a partial body length
// or an indeterminate length is not part of a key and ends in an error, so
// nesting and decompression bombs cannot occur here.
func splitKeyBlocks(bin []byte) ([][]byte, error) {
	var blocks [][]byte
	var cur []byte
	packets := 0
	off := 0
	for off < len(bin) {
		tag, hdrLen, bodyLen, err := packetHeader(bin[off:])
		if err != nil {
			return nil, fmt.Errorf("pgp: keys: packet at offset %d: %w", off, err)
		}
		end := off + hdrLen + bodyLen
		if bodyLen > MaxKeyBytes || end > len(bin) {
			return nil, fmt.Errorf("pgp: keys: packet at offset %d: length %d beyond input or limit", off, bodyLen)
		}
		pkt := bin[off:end]
		off = end
		if tag == tagPublicKey || tag == tagPublicSubkey {
			if err := checkKeyMaterial(pkt[hdrLen:]); err != nil {
				return nil, fmt.Errorf("pgp: keys: key packet at offset %d: %w", end-len(pkt), err)
			}
		}
		switch tag {
		case tagSecretKey, tagSecretSubkey:
			return nil, errors.New("pgp: keys: secret key material refused: import the public key")
		case tagPublicKey:
			if cur != nil {
				blocks = append(blocks, cur)
			}
			if len(blocks) >= MaxKeys {
				return nil, fmt.Errorf("pgp: keys: more than %d keys", MaxKeys)
			}
			cur = append([]byte(nil), pkt...)
			packets = 1
			continue
		case tagTrust, tagMarker, tagPadding:
			// Local trust (pubring.gpg), marker and padding packets carry
			// nothing we use.
			continue
		case tagSignature, tagUserID, tagUserAttribute, tagPublicSubkey:
		case tagCompressed:
			return nil, fmt.Errorf("pgp: keys: compressed packet at offset %d: not a key", end-len(pkt))
		default:
			return nil, fmt.Errorf("pgp: keys: packet tag %d at offset %d: not part of a key", tag, end-len(pkt))
		}
		if cur == nil {
			return nil, fmt.Errorf("pgp: keys: packet tag %d before any primary key", tag)
		}
		packets++
		if packets > MaxKeyPackets {
			return nil, fmt.Errorf("pgp: keys: key %d has more than %d packets", len(blocks)+1, MaxKeyPackets)
		}
		if len(cur)+len(pkt) > MaxKeyBytes {
			return nil, fmt.Errorf("pgp: keys: key %d over %d bytes", len(blocks)+1, MaxKeyBytes)
		}
		cur = append(cur, pkt...)
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks, nil
}

// packetHeader decodes one packet header: its tag, header length and body
// length. Partial and indeterminate lengths are refused (only data packets
// use them, never keys).
func packetHeader(b []byte) (tag, hdrLen, bodyLen int, err error) {
	if len(b) < 2 {
		return 0, 0, 0, errors.New("truncated packet header")
	}
	h := b[0]
	if h&0x80 == 0 {
		return 0, 0, 0, errors.New("not an OpenPGP packet (bit 7 clear)")
	}
	if h&0x40 != 0 { // new format
		tag = int(h & 0x3f)
		l0 := int(b[1])
		switch {
		case l0 < 192:
			return tag, 2, l0, nil
		case l0 < 224:
			if len(b) < 3 {
				return 0, 0, 0, errors.New("truncated packet length")
			}
			return tag, 3, (l0-192)<<8 + int(b[2]) + 192, nil
		case l0 == 255:
			if len(b) < 6 {
				return 0, 0, 0, errors.New("truncated packet length")
			}
			n := uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
			if n > MaxKeyBytes {
				return 0, 0, 0, fmt.Errorf("packet length %d over limit", n)
			}
			return tag, 6, int(n), nil
		default:
			return 0, 0, 0, errors.New("partial body length: not allowed in a key")
		}
	}
	tag = int(h>>2) & 0x0f
	switch h & 3 {
	case 0:
		return tag, 2, int(b[1]), nil
	case 1:
		if len(b) < 3 {
			return 0, 0, 0, errors.New("truncated packet length")
		}
		return tag, 3, int(b[1])<<8 | int(b[2]), nil
	case 2:
		if len(b) < 5 {
			return 0, 0, 0, errors.New("truncated packet length")
		}
		n := uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
		if n > MaxKeyBytes {
			return 0, 0, 0, fmt.Errorf("packet length %d over limit", n)
		}
		return tag, 5, int(n), nil
	default:
		return 0, 0, 0, errors.New("indeterminate length: not allowed in a key")
	}
}

// Public key sizes we accept. Verifying a self-signature of a DSA key, or
// encrypting to an ElGamal key, costs a modular exponentiation in the size
// of the key: an MPI may claim 65,535 bits, which takes long enough per
// signature to stall an import. RSA verification uses a small exponent and
// stays cheap, so its cap is generous.
const (
	maxRSABits     = 16384
	maxDSAPBits    = 3072
	maxDSAQBits    = 256
	maxElGamalBits = 4096
)

// checkKeyMaterial refuses oversized RSA, DSA and ElGamal parameters in a
// public key packet body (RFC 9580 §5.5.2). Other algorithms have fixed
// sizes; anything it cannot read is left to the library to reject.
func checkKeyMaterial(body []byte) error {
	if len(body) < 1 {
		return nil
	}
	var algoOff, mpiOff int
	switch body[0] {
	case 2, 3:
		algoOff = 7
		mpiOff = 8
	case 4:
		algoOff = 5
		mpiOff = 6
	case 5, 6:
		algoOff = 5
		mpiOff = 10
	default:
		return nil
	}
	if len(body) <= mpiOff+1 {
		return nil
	}
	mpiBits := func(i int) int { // bit count of the i-th MPI, -1 if absent
		off := mpiOff
		for ; i > 0; i-- {
			if off+2 > len(body) {
				return -1
			}
			bits := int(body[off])<<8 | int(body[off+1])
			off += 2 + (bits+7)/8
		}
		if off+2 > len(body) {
			return -1
		}
		return int(body[off])<<8 | int(body[off+1])
	}
	switch algo := body[algoOff]; algo {
	case 1, 2, 3:
		if b := mpiBits(0); b > maxRSABits {
			return fmt.Errorf("RSA key of %d bits over %d", b, maxRSABits)
		}
	case 16, 20:
		if b := mpiBits(0); b > maxElGamalBits {
			return fmt.Errorf("ElGamal key of %d bits over %d", b, maxElGamalBits)
		}
	case 17:
		if p, q := mpiBits(0), mpiBits(1); p > maxDSAPBits || q > maxDSAQBits {
			return fmt.Errorf("DSA key of %d/%d bits over %d/%d", p, q, maxDSAPBits, maxDSAQBits)
		}
	}
	return nil
}
