package loopmark

import (
	"crypto/sha256"
	"errors"
	"mime"
	"net/mail"
	"strconv"
	"strings"
)

// fields is a parsed mark: v=1; t=<unix>; m=<method>; id=<id>; mac=<b64url>.
type fields struct {
	t   int64
	m   string
	id  string
	mac []byte
}

func (f fields) String() string {
	return "v=1; t=" + strconv.FormatInt(f.t, 10) + "; m=" + f.m + "; id=" + f.id + "; mac=" + b64.EncodeToString(f.mac)
}

var errSyntax = errors.New("loopmark: malformed mark")

// parse reads a mark. Whitespace, folding included, is ignored anywhere:
// a relay may re-fold the field, and no tag value holds a space. Each of
// the five tags must appear exactly once; anything else is malformed.
func parse(v string) (fields, error) {
	if len(v) > 512 {
		return fields{}, errSyntax
	}
	v = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, v)
	var f fields
	seen := map[string]bool{}
	for _, tag := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(tag, "=")
		if !ok || seen[k] {
			return fields{}, errSyntax
		}
		seen[k] = true
		if !f.set(k, val) {
			return fields{}, errSyntax
		}
	}
	if len(seen) != 5 {
		return fields{}, errSyntax
	}
	return f, nil
}

func (f *fields) set(k, val string) bool {
	switch k {
	case "v":
		return val == "1"
	case "t":
		n, err := strconv.ParseInt(val, 10, 64)
		f.t = n
		return err == nil && n > 0 && val[0] != '+' && strconv.FormatInt(n, 10) == val
	case "m":
		f.m = val
		return validMethod(val)
	case "id":
		f.id = val
		return validID(val)
	case "mac":
		b, err := b64.DecodeString(val)
		f.mac = b
		return err == nil && len(b) == sha256.Size
	}
	return false
}

func validMethod(s string) bool {
	return tokenOf(s, 32, func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' })
}

func validID(s string) bool {
	return tokenOf(s, 128, func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	})
}

func tokenOf(s string, max int, ok func(byte) bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// bound is the digest of the header fields the mark binds to, in a form
// that survives what Exchange Online and other relays do to a message on
// the way back: they add fields, re-fold lines, re-encode display names and
// may rebuild MIME boundaries, so none of those count. What counts:
//   - Message-ID, with whitespace removed;
//   - the From addresses (not display names), lower-cased;
//   - the top-level media type, lower-cased, x-pkcs7 as pkcs7, with its
//     protocol and smime-type parameters (what says the body is
//     ciphertext), and no boundary, name or charset.
//
// The body is not bound: relays re-encode it. A mark copied onto another
// message therefore needs that message's Message-ID, From and type, and
// must be used within MaxAge.
func bound(h Headers) [32]byte {
	d := sha256.New()
	for _, p := range []string{squeeze(h.Get("Message-Id")), fromAddrs(h.Get("From")), mediaType(h.Get("Content-Type"))} {
		d.Write([]byte(strconv.Itoa(len(p)) + ":" + p + ","))
	}
	var out [32]byte
	d.Sum(out[:0])
	return out
}

func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// maxParse bounds what is handed to a parser: net/mail's time grows
// faster than linearly on some hostile inputs. Longer values are bound raw.
const maxParse = 4096

func fromAddrs(v string) string {
	if len(v) > maxParse {
		return strings.ToLower(squeeze(v))
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return strings.ToLower(squeeze(v))
	}
	addrs := make([]string, len(list))
	for i, a := range list {
		addrs[i] = strings.ToLower(a.Address)
	}
	return strings.Join(addrs, ",")
}

func mediaType(v string) string {
	if strings.TrimSpace(v) == "" {
		return "text/plain" // RFC 2045 §5.2
	}
	if len(v) > maxParse {
		return "?" + strings.ToLower(squeeze(v))
	}
	mt, params, err := mime.ParseMediaType(v)
	if mt == "" || err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return "?" + strings.ToLower(squeeze(v))
	}
	// Exchange and Outlook write the x- aliases (RFC 8551 §3.2.1 still
	// lists them); a relay may switch between the two.
	out := strings.Replace(mt, "application/x-pkcs7-", "application/pkcs7-", 1)
	for _, p := range []string{"protocol", "smime-type"} {
		if val, ok := params[p]; ok {
			out += ";" + p + "=" + strings.ToLower(val)
		}
	}
	return out
}
