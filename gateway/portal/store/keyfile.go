package store

import (
	"bytes"
	"fmt"
)

// A key file holds one message's wrapped data key, apart from the sealed
// message, so that deleting it shreds the message:
//
//	keyfile = "SGPKEY1\n" || u16be(len(wrapped)) || wrapped
const keyMagic = "SGPKEY1\n"

const maxWrapped = 4096 // room for KMS envelopes, far below anything hostile

func encodeKeyFile(wrapped []byte) []byte {
	out := make([]byte, 0, len(keyMagic)+2+len(wrapped))
	out = append(out, keyMagic...)
	out = append(out, byte(len(wrapped)>>8), byte(len(wrapped)))
	return append(out, wrapped...)
}

func parseKeyFile(data []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(data, []byte(keyMagic))
	if !ok || len(rest) < 2 {
		return nil, fmt.Errorf("%w: key file header", ErrCorrupt)
	}
	n := int(rest[0])<<8 | int(rest[1])
	if n == 0 || n > maxWrapped || len(rest)-2 != n {
		return nil, fmt.Errorf("%w: key file length", ErrCorrupt)
	}
	return rest[2:], nil
}
