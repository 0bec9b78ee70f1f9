package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// mediaType is the request's media type, lower case, without parameters.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// requireMedia refuses a request whose Content-Type is not one of want.
func requireMedia(r *http.Request, want ...string) (string, error) {
	mt := mediaType(r)
	if slices.Contains(want, mt) {
		return mt, nil
	}
	return "", problem(ProbUnsupportedMediaType, http.StatusUnsupportedMediaType,
		"Content-Type must be "+strings.Join(want, " or "))
}

// readBody reads the whole body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, bodyError(err, limit)
	}
	return data, nil
}

func bodyError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(limit)
	}
	return problem(ProbInvalidRequest, http.StatusBadRequest, "the request body could not be read")
}

func tooLarge(limit int64) *Problem {
	return problem(ProbBodyTooLarge, http.StatusRequestEntityTooLarge,
		"the body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

// decodeJSON decodes exactly one JSON value into v, refusing unknown
// fields. Errors name the field or the offset, never a value.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem(ProbInvalidJSON, http.StatusBadRequest, "the body has more than one JSON value")
	}
	return nil
}

func jsonProblem(err error) *Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return problem(ProbInvalidJSON, http.StatusBadRequest, fmt.Sprintf("JSON syntax error at byte %d", syn.Offset))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return problem(ProbInvalidJSON, http.StatusBadRequest, "the JSON body is empty or cut short")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return invalidField(field, "must be a JSON "+jsonKind(typ.Type.Kind().String()))
	}
	// encoding/json words an unknown field as: json: unknown field "name".
	// The name is the client's key, not a value; it is quoted back only
	// when short and plain, so nothing else can ride on it.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, uerr := strconv.Unquote(name)
		p := problem(ProbUnknownField, http.StatusBadRequest, "the body has a field this route does not take")
		if uerr == nil && plainName(name) {
			p.Errors = []FieldError{{Field: name, Detail: "unknown field"}}
		}
		return p
	}
	return problem(ProbInvalidJSON, http.StatusBadRequest, "the body is not valid JSON for this route")
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	case "int", "int64", "float64", "uint", "int32":
		return "number"
	}
	return k
}

// plainName: up to 64 of [A-Za-z0-9_.-].
func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !isNameByte(c) {
			return false
		}
	}
	return true
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// Paging limits.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
	maxCursor        = 1024
)

// page reads ?cursor= and ?limit=.
func page(r *http.Request) (cursor string, limit int, err error) {
	q := r.URL.Query()
	cursor = q.Get("cursor")
	if len(cursor) > maxCursor || !printable(cursor) {
		return "", 0, invalidField("cursor", "must be a cursor from a previous page's next")
	}
	limit = DefaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageLimit {
			return "", 0, invalidField("limit", "must be an integer from 1 to 1000")
		}
		limit = n
	}
	return cursor, limit, nil
}

// timeParam reads an RFC 3339 time or a duration back from now ("24h",
// "90m", "7d"); zero when absent.
func timeParam(r *http.Request, name string, now time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := parseAgo(v)
	if err != nil {
		return time.Time{}, invalidField(name, "must be an RFC 3339 time or a duration back from now such as 24h or 7d")
	}
	return now.Add(-d), nil
}

func parseAgo(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3660 {
			return 0, errors.New("bad days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

// printable: printable ASCII only (IDs, cursors, keys).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// hasControl reports CR, LF or any other control character: what would
// let a value start a new header line.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return true
		}
	}
	return !utf8.ValidString(s)
}

// pathID reads a path wildcard that names an object: printable ASCII, at
// most 256 bytes.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if v == "" || len(v) > 256 || !printable(v) {
		return "", invalidField(name, "must be 1 to 256 printable ASCII characters")
	}
	return v, nil
}
