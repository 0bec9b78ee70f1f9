package relay

import (
	"strings"

	"github.com/sealgate/sealgate/envelope"
	"github.com/sealgate/sealgate/internal/smtpaddr"
)

// smtputf8Envelope decides how one transaction's envelope travels
// (RFC 6531 §3.2). SMTPUTF8 is needed when ingress flagged the message
// (env.SMTPUTF8: a UTF-8 local part or UTF-8 header fields, sent with the
// SMTPUTF8 parameter) or an address has a non-ASCII local part. Otherwise
// the envelope is sent without SMTPUTF8, non-ASCII domains as A-labels (the
// same addresses), so ASCII mail whose client merely offered SMTPUTF8, and
// IDN domains, reach a hop without it. A message that needs SMTPUTF8 and a
// hop that lacks it: 5.6.7 for every recipient, never a raw 8-bit envelope.
func smtputf8Envelope(env *envelope.Envelope, addrs []string, hopUTF8 bool) (from string, rcpt map[string]string, useUTF8 bool, e *DeliveryError) {
	need := env.SMTPUTF8 || !localASCII(env.From)
	for _, a := range addrs {
		need = need || !localASCII(a)
	}
	rcpt = make(map[string]string, len(addrs))
	if !need {
		var ok bool
		if from, ok = aLabel(env.From); ok {
			for _, a := range addrs {
				if rcpt[a], ok = aLabel(a); !ok {
					break
				}
			}
		}
		if ok {
			return from, rcpt, false, nil
		}
		need = true // a domain IDNA cannot convert: only SMTPUTF8 can carry it
	}
	if !hopUTF8 {
		return "", nil, false, &DeliveryError{Permanent: true, Enhanced: "5.6.7", Msg: "message needs SMTPUTF8, which the next hop does not support"}
	}
	for _, a := range addrs {
		rcpt[a] = a
	}
	return env.From, rcpt, true, nil
}

func localASCII(addr string) bool {
	i := strings.LastIndexByte(addr, '@')
	return isASCII(addr[:max(i, 0)])
}

// aLabel is addr with its domain in A-labels; ok is false when that is not
// possible (an address that does not parse is passed on only if ASCII).
func aLabel(addr string) (string, bool) {
	if isASCII(addr) {
		return addr, true
	}
	a, err := smtpaddr.Parse(addr)
	if err != nil {
		return "", false
	}
	d, err := a.ASCIIDomain()
	if err != nil {
		return "", false
	}
	a.Domain = d
	return a.String(), true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
