package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// ProblemBase is the prefix of every problem type URI. The URIs are
// stable: clients switch on them, never on title or detail.
const ProblemBase = "https://sealgate.dev/problems/"

// Problem types (RFC 9457 §3.1.1), one per kind of error.
const (
	ProbInvalidJSON          = ProblemBase + "invalid-json"
	ProbUnknownField         = ProblemBase + "unknown-field"
	ProbBodyTooLarge         = ProblemBase + "body-too-large"
	ProbUnsupportedMediaType = ProblemBase + "unsupported-media-type"
	ProbInvalidRequest       = ProblemBase + "invalid-request"
	ProbUnauthorized         = ProblemBase + "unauthorized"
	ProbKeyRevoked           = ProblemBase + "key-revoked"
	ProbKeyExpired           = ProblemBase + "key-expired"
	ProbForbiddenScope       = ProblemBase + "forbidden-scope"
	ProbRateLimited          = ProblemBase + "rate-limited"
	ProbNotFound             = ProblemBase + "not-found"
	ProbMethodNotAllowed     = ProblemBase + "method-not-allowed"
	ProbIdempotencyConflict  = ProblemBase + "idempotency-conflict"
	ProbMessageBlocked       = ProblemBase + "message-blocked"
	ProbUnavailable          = ProblemBase + "unavailable"
	ProbInternal             = ProblemBase + "internal"
)

// Problem is an RFC 9457 problem details object. Detail says what is
// wrong in words that never quote the request: no value a client sent
// (an address, a subject, a header) is ever echoed, only field names.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"` // validation errors, one per field
	Rule   string       `json:"rule,omitempty"`   // message-blocked: the policy rule ID

	retryAfter int    // seconds, for 429 and 503
	challenge  string // WWW-Authenticate, for 401
}

// FieldError is one invalid field: its JSON path ("to[2]",
// "attachments[0].content") and what is wrong with it.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

var titles = map[string]string{
	ProbInvalidJSON:          "Request body is not valid JSON",
	ProbUnknownField:         "Request body has an unknown field",
	ProbBodyTooLarge:         "Request body is too large",
	ProbUnsupportedMediaType: "Unsupported media type",
	ProbInvalidRequest:       "Invalid request",
	ProbUnauthorized:         "Missing or invalid API key",
	ProbKeyRevoked:           "API key revoked",
	ProbKeyExpired:           "API key expired",
	ProbForbiddenScope:       "API key lacks the scope",
	ProbRateLimited:          "Too many requests",
	ProbNotFound:             "Not found",
	ProbMethodNotAllowed:     "Method not allowed",
	ProbIdempotencyConflict:  "Idempotency key reused with a different request",
	ProbMessageBlocked:       "Message blocked by policy",
	ProbUnavailable:          "Temporarily unavailable",
	ProbInternal:             "Internal error",
}

func problem(typ string, status int, detail string) *Problem {
	return &Problem{Type: typ, Title: titles[typ], Status: status, Detail: detail}
}

func invalid(errs ...FieldError) *Problem {
	p := problem(ProbInvalidRequest, http.StatusBadRequest, "the request has invalid fields")
	p.Errors = errs
	return p
}

func invalidField(field, detail string) *Problem {
	return invalid(FieldError{Field: field, Detail: detail})
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// writeProblem answers p as application/problem+json.
func writeProblem(w http.ResponseWriter, p *Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON answers v as application/json with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
