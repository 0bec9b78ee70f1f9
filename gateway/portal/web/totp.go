package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPMode is the portal's second factor policy.
type TOTPMode string

const (
	// TOTPOff: the email code alone opens a message.
	TOTPOff TOTPMode = "off"
	// TOTPOptional: a recipient may enrol an authenticator app; once it
	// has, every message to its address also needs the app's code.
	TOTPOptional TOTPMode = "optional"
	// TOTPRequired: after the email code, a recipient must enrol (first
	// visit) or give the app's code (every later visit).
	TOTPRequired TOTPMode = "required"
)

// ParseTOTPMode accepts "", "off", "optional" and "required".
func ParseTOTPMode(s string) (TOTPMode, error) {
	switch m := TOTPMode(s); m {
	case "":
		return TOTPOff, nil
	case TOTPOff, TOTPOptional, TOTPRequired:
		return m, nil
	}
	return "", fmt.Errorf("web: TOTP mode %q: want off, optional or required", s)
}

// totpSecretBytes is the enrolment secret size: 160 bits, RFC 4226's
// recommendation and what authenticator apps expect.
const totpSecretBytes = 20

// second is a browser between the email code and its session: it passed
// the code for token, and owes the TOTP (secret nil) or an enrolment
// confirming secret. It lives in memory only, for the code's life.
type second struct {
	token, msgID string
	secret       []byte
	created      time.Time
}

// seconds maps the hash of the cookie a pending step is bound to (the
// pre-session's, or a session's for optional enrolment) to that step.
type seconds struct {
	mu   sync.Mutex
	m    map[[32]byte]*second
	life time.Duration
	now  func() time.Time
}

func newSeconds(life time.Duration, now func() time.Time) *seconds {
	return &seconds{m: map[[32]byte]*second{}, life: life, now: now}
}

func secondKey(cookie string) [32]byte { return sha256.Sum256([]byte("second\x00" + cookie)) }

func (ss *seconds) put(cookie string, st second) {
	st.created = ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		for k, v := range ss.m {
			if ss.now().Sub(v.created) > ss.life {
				delete(ss.m, k)
			}
		}
	}
	ss.m[secondKey(cookie)] = &st
}

// stepKind names what a pending browser owes.
type stepKind int

const (
	stepTOTP  stepKind = iota // the enrolled app's code
	stepEnrol                 // a code confirming the secret on offer
)

func (st second) kind() stepKind {
	if st.secret != nil {
		return stepEnrol
	}
	return stepTOTP
}

// get returns the live step of cookie for token, if it is of kind.
func (ss *seconds) get(cookie, token string, kind stepKind) (second, bool) {
	if cookie == "" {
		return second{}, false
	}
	k := secondKey(cookie)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st, ok := ss.m[k]
	if !ok {
		return second{}, false
	}
	if ss.now().Sub(st.created) > ss.life {
		delete(ss.m, k)
		return second{}, false
	}
	if st.token != token || st.kind() != kind {
		return second{}, false
	}
	return *st, true
}

func (ss *seconds) drop(cookie string) {
	ss.mu.Lock()
	delete(ss.m, secondKey(cookie))
	ss.mu.Unlock()
}

func newTOTPSecret() []byte {
	b := make([]byte, totpSecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return b
}

// totpKey is the otpauth:// key an app enrols: SHA1, 6 digits, 30 s.
func (s *Server) totpKey(m Message, secret []byte) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{
		Issuer: s.cfg.OrgName, AccountName: m.Recipient, Secret: secret,
		Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
}

// groupSecret is the base32 secret in groups of four, for typing.
func groupSecret(secret []byte) string {
	b := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	var g []string
	for len(b) > 4 {
		g, b = append(g, b[:4]), b[4:]
	}
	return strings.Join(append(g, b), " ")
}

// normCode strips the spaces people type into codes, and bounds it.
func normCode(s string) string {
	c := strings.Join(strings.Fields(s), "")
	if len(c) > 64 {
		c = c[:64]
	}
	return c
}
