package loopmark

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Name is the header field that carries the mark.
const Name = "X-Sealgate-Protected"

// Limits. MaxAge bounds a replay: a mark copied from a message seen on the
// wire is worthless a week later. MaxSkew allows for clocks of several
// nodes that share a key.
const (
	MaxAge       = 7 * 24 * time.Hour
	MaxSkew      = 5 * time.Minute
	MinKeyLen    = 32
	maxInstances = 16
)

// Headers is what the marker needs of a message header. go-message's
// *textproto.Header and *mail.Header, and net/textproto.MIMEHeader, have
// these methods. Keys are case-insensitive.
type Headers interface {
	Get(key string) string
	Values(key string) []string
	Del(key string)
}

// Mark is what a valid mark says.
type Mark struct {
	Method string    // how sealgate protected this copy: "pgp", "smime", ...
	ID     string    // sealgate's id of the message the copy came from
	Time   time.Time // when the copy was made
}

// Marker makes and checks marks under a local key. It is safe for
// concurrent use.
type Marker struct {
	keys [][]byte // derived MAC keys; the first one signs
}

// New returns a Marker that signs with key and also accepts marks made
// under the old keys (for rotation). Every key must be at least MinKeyLen
// bytes, as from crypto/rand.
func New(key []byte, old ...[]byte) (*Marker, error) {
	m := &Marker{}
	for i, k := range append([][]byte{key}, old...) {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("loopmark: key %d is %d bytes, want at least %d", i, len(k), MinKeyLen)
		}
		m.keys = append(m.keys, derive(k))
	}
	return m, nil
}

// derive separates the mark's key from any other use of the same secret.
func derive(k []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte("sealgate loopmark v1"))
	return h.Sum(nil)
}

// Header returns the field to add to a copy sealgate made with method, for
// the message id. h is the copy's header as it leaves (Message-ID, From and
// Content-Type final): the mark binds to them.
func (m *Marker) Header(method, id string, h Headers, now time.Time) (name, value string, err error) {
	if !validMethod(method) {
		return "", "", errors.New("loopmark: method not a lower-case token")
	}
	if !validID(id) {
		return "", "", errors.New("loopmark: id not a token")
	}
	f := fields{t: now.Unix(), m: method, id: id}
	f.mac = m.sum(m.keys[0], f, bound(h))
	return Name, f.String(), nil
}

// Check reports whether h carries a valid mark: made under one of the
// Marker's keys, for this header's bound fields, not older than MaxAge and
// not more than MaxSkew in the future. With several instances (a loop, or
// forgeries added beside a real one), the newest valid one counts; more
// than 16 instances is invalid, since no sealgate path makes that many.
// Check does not remove anything: call StripAll before the message goes on.
func (m *Marker) Check(h Headers, now time.Time) (Mark, bool) {
	vals := h.Values(Name)
	if len(vals) == 0 || len(vals) > maxInstances {
		return Mark{}, false
	}
	b := bound(h)
	var best Mark
	ok := false
	for _, v := range vals {
		f, err := parse(v)
		if err != nil || !m.valid(f, b, now) {
			continue
		}
		t := time.Unix(f.t, 0)
		if !ok || t.After(best.Time) {
			best, ok = Mark{Method: f.m, ID: f.id, Time: t}, true
		}
	}
	return best, ok
}

func (m *Marker) valid(f fields, b [32]byte, now time.Time) bool {
	t := time.Unix(f.t, 0)
	if t.After(now.Add(MaxSkew)) || t.Before(now.Add(-MaxAge)) {
		return false
	}
	for _, k := range m.keys {
		want := m.sum(k, f, b)
		if hmac.Equal(want, f.mac) {
			return true
		}
	}
	return false
}

// sum is the MAC over the mark's own tags and the bound-field digest. Each
// part is length-prefixed, so no two inputs share an encoding.
func (m *Marker) sum(key []byte, f fields, b [32]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range []string{"v1", strconv.FormatInt(f.t, 10), f.m, f.id} {
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p + ","))
	}
	h.Write(b[:])
	return h.Sum(nil)
}

// StripAll deletes every instance of the mark from h and says how many
// there were. Call it on every message once Check has run, so a mark never
// travels further than the hop that may trust it.
func StripAll(h Headers) int {
	n := len(h.Values(Name))
	if n > 0 {
		h.Del(Name)
	}
	return n
}

var b64 = base64.RawURLEncoding
