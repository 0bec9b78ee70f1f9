package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	// Validate checks the document and, by default, every example against
	// its schema.
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func TestOpenAPIDocsCopyIsIdentical(t *testing.T) {
	docs, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, openAPIDocument) {
		t.Fatal("docs/openapi.json differs from gateway/api/openapi.json: copy it")
	}
}

func TestOpenAPIDocumentsExactlyTheRegisteredRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	e := newEnv(t, nil)
	registered := slices.Clone(e.srv.routes)
	sort.Strings(documented)
	sort.Strings(registered)
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not documented", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("documented %s is not a route", d)
		}
	}
}

// TestOpenAPIEveryBodyHasAnExampleThatValidates walks every request and
// response body: each has an example, and the example fits its schema
// (checked here again, by the JSON Schema 2020-12 validator of 3.1).
func TestOpenAPIEveryBodyHasAnExampleThatValidates(t *testing.T) {
	doc := loadOpenAPI(t)
	check := func(where string, content openapi3.Content) {
		for mt, m := range content {
			if m.Example == nil {
				t.Errorf("%s %s: no example", where, mt)
				continue
			}
			if m.Schema == nil {
				t.Errorf("%s %s: no schema", where, mt)
				continue
			}
			if err := m.Schema.Value.VisitJSON(m.Example, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("%s %s: example does not fit the schema: %v", where, mt, err)
			}
		}
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				check(where+" request", op.RequestBody.Value.Content)
				n++
			}
			for code, resp := range op.Responses.Map() {
				if resp.Value.Content == nil && code != "204" {
					t.Errorf("%s %s: no body", where, code)
				}
				check(where+" "+code, resp.Value.Content)
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d bodies walked", n)
	}
}

// TestOpenAPIRealResponsesValidate checks what the server really answers
// (over the fake backend) against the documented schemas.
func TestOpenAPIRealResponsesValidate(t *testing.T) {
	doc := loadOpenAPI(t)
	e := newEnv(t, nil)
	sent := e.sendJSON(e.send, goodJSON, nil)
	var res SubmitResult
	json.Unmarshal(sent.Body.Bytes(), &res)
	for _, c := range []struct {
		route string // documented path
		r     req
	}{
		{"POST /v1/messages", req{method: "POST", path: "/v1/messages", token: e.send, ctype: "application/json", body: goodJSON}},
		{"POST /v1/messages", req{method: "POST", path: "/v1/messages", token: e.send, ctype: "application/json", body: `{"from":"x"}`}},
		{"POST /v1/messages", req{method: "POST", path: "/v1/messages", token: e.read, ctype: "application/json", body: goodJSON}},
		{"POST /v1/messages/batch", req{method: "POST", path: "/v1/messages/batch", token: e.send, ctype: "application/json", body: `{"messages":[` + goodJSON + `,{"from":"x"}]}`}},
		{"GET /v1/messages/{id}", req{method: "GET", path: "/v1/messages/" + res.ID, token: e.read}},
		{"GET /v1/messages", req{method: "GET", path: "/v1/messages?limit=1", token: e.read}},
		{"GET /v1/audit", req{method: "GET", path: "/v1/audit", token: e.read}},
		{"GET /v1/audit", req{method: "GET", path: "/v1/audit"}},
		{"GET /v1/webhooks", req{method: "GET", path: "/v1/webhooks", token: e.admin}},
		{"POST /v1/api-keys", req{method: "POST", path: "/v1/api-keys", token: e.admin, ctype: "application/json", body: `{"name":"n","scopes":["read"]}`}},
		{"GET /v1/api-keys", req{method: "GET", path: "/v1/api-keys", token: e.admin}},
		{"POST /v1/policy/validate", req{method: "POST", path: "/v1/policy/validate", token: e.admin, ctype: "text/yaml", body: "bad"}},
		{"GET /v1/health", req{method: "GET", path: "/v1/health"}},
	} {
		rec := e.do(c.r)
		method, path, _ := strings.Cut(c.route, " ")
		op := doc.Paths.Find(path).GetOperation(method)
		resp := op.Responses.Status(rec.Code)
		if resp == nil {
			t.Errorf("%s answered %d, which is not documented", c.route, rec.Code)
			continue
		}
		ct := rec.Header().Get("Content-Type")
		mt := resp.Value.Content.Get(ct)
		if mt == nil {
			t.Errorf("%s %d: Content-Type %q not documented", c.route, rec.Code, ct)
			continue
		}
		var body any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if err := mt.Schema.Value.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s %d: answer does not fit the schema: %v\n%s", c.route, rec.Code, err, rec.Body)
		}
		for name := range resp.Value.Headers {
			if name == "WWW-Authenticate" || name == "Retry-After" || name == "Location" {
				if rec.Header().Get(name) == "" && rec.Code != http.StatusOK {
					t.Errorf("%s %d: documented header %s missing", c.route, rec.Code, name)
				}
			}
		}
	}
}
