package store

import (
	"bytes"
	"context"
	"encoding/base32"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	bolt "go.etcd.io/bbolt"
)

// TestTOTPSecretIsSealedAtRestAndBoundToItsAddress: index.db holds neither
// the secret (raw or base32) nor the address, the enrolment survives a
// reopen, and a record copied onto another address's key does not open.
func TestTOTPSecretIsSealedAtRestAndBoundToItsAddress(t *testing.T) {
	dir := t.TempDir()
	c := newClock()
	s := openStore(t, dir, c, testKEK(t, 7))
	secret := bytes.Repeat([]byte("S3cr"), 5)
	a, _ := put(t, s, "jane.roe.patient@example.org")
	b, _ := put(t, s, "mallory@example.net")
	ctx := context.Background()
	if err := s.EnrolTOTP(ctx, a.Grants[0].Token, secret, totpCode(t, secret, c.Now())); err != nil {
		t.Fatal(err)
	}
	s.Close()
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	for _, needle := range []string{string(secret), b32, "jane.roe.patient"} {
		if hits := filesContaining(t, dir, []byte(needle)); len(hits) > 0 {
			t.Fatalf("%q found in the clear in %v", needle, hits)
		}
	}
	s = openStore(t, dir, c, testKEK(t, 7))
	defer s.Close()
	c.Add(time.Minute)
	if err := s.CheckTOTP(ctx, a.Grants[0].Token, totpCode(t, secret, c.Now())); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	// Copy A's enrolment onto B's address: B's check must not use it.
	err := s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketTOTP)
		v := bk.Get(s.addressKey("jane.roe.patient@example.org"))
		return bk.Put(s.addressKey("mallory@example.net"), append([]byte(nil), v...))
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	if err := s.CheckTOTP(ctx, b.Grants[0].Token, totpCode(t, secret, c.Now())); err == nil || err == ErrBadCode {
		t.Fatalf("moved enrolment: %v, want a corrupt-data error", err)
	}
}

func totpCode(t *testing.T, secret []byte, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret), at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzMatchStep: a code is accepted only when it is one of the skew
// window's codes for a step after the spent one; nothing panics.
func FuzzMatchStep(f *testing.F) {
	secret := bytes.Repeat([]byte{0xa7}, 20)
	at := time.Date(2026, 5, 1, 9, 0, 10, 0, time.UTC)
	for _, s := range []string{"", "123456", "12345", "1234567", "abcdef", "٣٣٣٣٣٣", "000000\x00"} {
		f.Add(s, int64(-1))
	}
	f.Fuzz(func(t *testing.T, code string, after int64) {
		step, ok := matchStep(secret, code, at, after)
		if !ok {
			return
		}
		cur := at.Unix() / TOTPPeriod
		if step < cur-TOTPSkew || step > cur+TOTPSkew || step <= after ||
			totpCode(t, secret, time.Unix(step*TOTPPeriod, 0)) != code {
			t.Fatalf("accepted %q at step %d (after %d)", code, step, after)
		}
	})
}

// FuzzHostileTOTPRecord: whatever the index holds for an address, a
// check fails closed and names no secret.
func FuzzHostileTOTPRecord(f *testing.F) {
	f.Add([]byte(`{"Sealed":"AAAA","LastStep":1}`))
	f.Add([]byte(`{"Sealed":null}`))
	f.Add([]byte(`not json`))
	s, c, _ := newTestStore(f)
	rc, _ := put(f, s, "a@x")
	tok := rc.Grants[0].Token
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bucketVerify).Delete(tokenHash(tok)); err != nil {
				return err
			}
			return tx.Bucket(bucketTOTP).Put(s.addressKey("a@x"), data)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CheckTOTP(context.Background(), tok, totpCode(t, bytes.Repeat([]byte{1}, 20), c.Now())); err == nil {
			t.Fatalf("hostile record %q accepted a code", data)
		}
		if on, err := s.TOTPEnrolled(context.Background(), tok); err != nil || !on {
			t.Fatalf("enrolled = %v, %v", on, err)
		}
	})
}

// BenchmarkCheckTOTP is one accepted second factor: a bbolt write
// transaction, an index-key open and three HMAC-SHA1 codes.
func BenchmarkCheckTOTP(b *testing.B) {
	s, c, _ := newTestStore(b)
	secret := bytes.Repeat([]byte{4}, 20)
	rc, _ := put(b, s, "a@x")
	tok := rc.Grants[0].Token
	code, _ := totp.GenerateCode(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret), c.Now())
	if err := s.EnrolTOTP(context.Background(), tok, secret, code); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c.Add(TOTPPeriod * time.Second)
		code, _ := totp.GenerateCode(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret), c.Now())
		if err := s.CheckTOTP(context.Background(), tok, code); err != nil {
			b.Fatal(err)
		}
	}
}
