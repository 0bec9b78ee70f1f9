package smime

import (
	"crypto/aes"
	"encoding/binary"
	"errors"
)

// keyWrapIV is RFC 3394 §2.2.3.1's default initial value.
var keyWrapIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

// aesKeyWrap wraps key (a multiple of 8 bytes, at least 16) under kek with
// the AES key wrap of RFC 3394 §2.2.1 (the index-based form). The standard
// library has no key wrap; ECDH recipients (RFC 5753 §3.1.1) need it.
func aesKeyWrap(kek, key []byte) ([]byte, error) {
	if len(key) < 16 || len(key)%8 != 0 {
		return nil, errors.New("smime: key wrap: key length must be a multiple of 8, at least 16")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(key) / 8
	out := make([]byte, 8+len(key)) // A || R[1..n]
	copy(out, keyWrapIV[:])
	copy(out[8:], key)
	var b [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			copy(b[:8], out[:8])
			copy(b[8:], out[8*i:8*i+8])
			block.Encrypt(b[:], b[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(out[:8], binary.BigEndian.Uint64(b[:8])^t)
			copy(out[8*i:], b[8:])
		}
	}
	return out, nil
}
