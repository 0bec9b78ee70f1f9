package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks 1.0 header names ("Webhook headers").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a symmetric signing secret (spec: "Secret serialization").
const SecretPrefix = "whsec_"

// The spec asks for at least 24 random bytes; 64 is HMAC-SHA256's block
// size, beyond which HMAC hashes the key first and nothing is gained.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
	newSecretBytes = 32
)

// NewSecret returns a fresh signing secret: whsec_ and the standard
// base64 of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, newSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// ParseSecret decodes a whsec_ secret into its HMAC key. Errors say what
// is wrong with it and never repeat it.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret does not start with " + SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		// err would quote the offending byte and its offset: a piece of
		// the secret. Say only what kind of problem it is.
		return nil, errors.New("webhook: secret is not standard base64 after " + SecretPrefix)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("webhook: secret decodes to %d bytes, want %d to %d", len(key), minSecretBytes, maxSecretBytes)
	}
	return key, nil
}

// Sign returns the v1 signature of one attempt: the base64 HMAC-SHA256 of
// "msgID.unixTimestamp.body" under secret (spec: "Signature scheme").
func Sign(secret []byte, msgID string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(secret, msgID, ts.Unix(), body))
}

func mac(secret []byte, msgID string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Headers returns the three Standard Webhooks headers for one attempt,
// with one signature per secret, space-separated: during a rotation the
// endpoint holds two secrets and a receiver that knows either verifies.
func Headers(secrets [][]byte, msgID string, ts time.Time, body []byte) http.Header {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = Sign(s, msgID, ts, body)
	}
	h := make(http.Header, 3)
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return h
}

// Errors from Verify, so a receiver can tell a replay from a forgery.
var (
	ErrMissingHeaders = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp   = errors.New("webhook: webhook-timestamp is not a Unix time in seconds")
	ErrTooOld         = errors.New("webhook: webhook-timestamp is older than the tolerance")
	ErrTooNew         = errors.New("webhook: webhook-timestamp is further in the future than the tolerance")
	ErrNoSignature    = errors.New("webhook: no v1 signature matches any secret")
)

// Verify checks a received webhook: the timestamp within tolerance of now
// (replay protection), then any v1 signature in the header against any of
// secrets, in constant time. Signatures of other versions are skipped.
func Verify(secrets [][]byte, h http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	id, tsText, sigText := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigText == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	ts := time.Unix(unix, 0)
	if now.Sub(ts) > tolerance {
		return ErrTooOld
	}
	if ts.Sub(now) > tolerance {
		return ErrTooNew
	}
	for _, s := range secrets {
		want := mac(s, id, unix, body)
		for _, vs := range strings.Fields(sigText) {
			b64, ok := strings.CutPrefix(vs, "v1,")
			if !ok {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoSignature
}
